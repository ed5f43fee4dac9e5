"""The Markdown the merchant edits, rendered to HTML on the server: members' pages and the terms and privacy.

Members' pages are `content/members/*.md`; the legal pages `content/terms.md` and `content/privacy.md`, and for
a reader of another language `content/terms.<lang>.md` (`terms.ne.md`) when the merchant wrote one. Each
file has YAML front matter (`title:`, and for a members' page `feature:`) and a Markdown body. Raw HTML in the
body is escaped, not passed through (markdown-it-py with `html=False`; it also drops `javascript:` and similar links). A
file is parsed again only when its modification time or size changes. A file that cannot be read or has no
valid front matter is skipped with a warning in the log: one bad edit never takes the members area down.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import frontmatter
import yaml
from markdown_it import MarkdownIt

from khalti_portal.config import PROJECT_ROOT
from khalti_portal.i18n.catalogs import SOURCE_LANGUAGE, Language

log = logging.getLogger(__name__)
T = TypeVar("T")

CONTENT_ROOT = PROJECT_ROOT / "content"
MEMBERS_DIR = CONTENT_ROOT / "members"
LEGAL_PAGES = ("terms", "privacy")  # content/terms.md at /terms, content/privacy.md at /privacy
FEATURE_KEY_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
MAX_FILE_BYTES = 256 * 1024  # a members' page is prose; anything bigger is a mistake, not a page


@dataclass(frozen=True)
class Block:
    """One members' page: its heading, the feature key that unlocks it, and its body as safe HTML."""

    title: str
    feature: str
    html: str


@dataclass(frozen=True)
class Document:
    """A page of its own (terms, privacy): its heading and its body as safe HTML."""

    title: str
    html: str


_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
_cache: dict[tuple[Path, str], tuple[tuple[int, int], Block | Document | None]] = {}
_cache_lock = threading.Lock()


def render_markdown(text: str) -> str:
    """Markdown to HTML: raw HTML escaped, unsafe link schemes dropped."""
    return _markdown.render(text)


def _read(path: Path) -> tuple[str, dict[str, object], str] | None:
    """(title, front matter, body) of the file, or None (with a warning saying why) when it is not a usable page."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            log.warning("content: %s skipped: larger than %d bytes", path, MAX_FILE_BYTES)
            return None
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        log.warning("content: %s skipped: cannot read its front matter (%s)", path, exc)
        return None
    title = post.metadata.get("title")
    if not isinstance(title, str) or not title.strip():
        log.warning("content: %s skipped: front matter has no `title:`", path)
        return None
    return title.strip(), dict(post.metadata), post.content


def _parse(path: Path) -> Block | None:
    """The file as a Block, or None (with a warning saying why) when it is not a usable members' page."""
    read = _read(path)
    if read is None:
        return None
    title, metadata, body = read
    feature = metadata.get("feature")
    if not isinstance(feature, str) or not FEATURE_KEY_RE.fullmatch(feature.strip()):
        log.warning("content: %s skipped: `feature:` must be a key like `downloads` (got %r)", path, feature)
        return None
    return Block(title=title, feature=feature.strip(), html=render_markdown(body))


def _parse_document(path: Path) -> Document | None:
    """The file as a Document, or None (with a warning saying why) when it is not usable."""
    read = _read(path)
    return Document(title=read[0], html=render_markdown(read[2])) if read is not None else None


def _cached(path: Path, kind: str, parse: Callable[[Path], T | None]) -> T | None:
    """`parse(path)`, done again only when the file changed since it was last read."""
    try:
        stat = path.stat()
    except OSError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get((path, kind))
    if cached is not None and cached[0] == stamp:
        return cached[1]  # type: ignore[return-value]
    parsed = parse(path)
    with _cache_lock:
        _cache[(path, kind)] = (stamp, parsed)  # type: ignore[assignment]
    return parsed


def load_block(path: Path) -> Block | None:
    """The members' page in `path`, parsed again only when the file changed since it was last read."""
    return _cached(path, "block", _parse)


def legal_page(name: str, directory: Path | None = None, language: Language = SOURCE_LANGUAGE) -> Document | None:
    """`content/<name>.md` (`terms` or `privacy`) as a Document; None when it is missing or unusable.

    A reader of another language gets `content/<name>.<lang>.md` when it exists and is usable, else the English.
    """
    if name not in LEGAL_PAGES:
        return None
    directory = CONTENT_ROOT if directory is None else directory
    if language is not SOURCE_LANGUAGE:
        translated = _cached(directory / f"{name}.{language.value}.md", "document", _parse_document)
        if translated is not None:
            return translated
    return _cached(directory / f"{name}.md", "document", _parse_document)


def member_pages(directory: Path | None = None) -> list[Block]:
    """Every usable members' page, in file-name order."""
    directory = MEMBERS_DIR if directory is None else directory
    try:
        paths = sorted(p for p in directory.glob("*.md") if p.is_file())
    except OSError as exc:
        log.warning("content: cannot list %s (%s)", directory, exc)
        return []
    return [block for path in paths if (block := load_block(path)) is not None]


def pages_for(features: Iterable[str], directory: Path | None = None) -> list[Block]:
    """The members' pages the given feature keys unlock, in file-name order; none for no features."""
    wanted = frozenset(features)
    if not wanted:
        return []
    return [block for block in member_pages(directory) if block.feature in wanted]
