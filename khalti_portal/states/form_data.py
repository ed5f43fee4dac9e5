"""Reading what a browser form sent: a field is text or it is empty, and never longer than we read."""

from __future__ import annotations


def form_text(data: object, name: str, limit: int | None = None, *, strip: bool = False) -> str:
    """Field `name` of browser form data as text ("" when absent or not text), stripped first if asked, cut at `limit`.

    Limits sit above any valid length, so an over-long entry still reaches validation and is refused
    with a message rather than silently shortened into something valid.
    """
    value = data.get(name, "") if isinstance(data, dict) else ""
    if not isinstance(value, str):
        return ""
    if strip:
        value = value.strip()
    return value[:limit] if limit is not None else value


SWITCH_WORDS = {"true": True, "on": True, "false": False, "off": False}


def switch_position(value: object) -> bool | None:
    """A switch or checkbox as the browser sent it: a real boolean, or `true`/`false`/`on`/`off` in any case.

    None for anything else (a number, a list, `"yes"`...): `bool("false")` is True, so text is never cast.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return SWITCH_WORDS.get(value.strip().lower())
    return None
