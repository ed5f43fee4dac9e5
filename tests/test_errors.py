"""An unexpected error in a handler shows a calm sentence, never the exception or a trace."""

from __future__ import annotations

import json
import logging

from reflex_base.utils.serializers import serialize

from khalti_portal.i18n.catalogs import Language, translate
from khalti_portal.states.errors import MESSAGE, on_backend_error


def test_the_visitor_sees_one_sentence_and_the_log_gets_the_story(caplog) -> None:
    try:
        raise RuntimeError("database password=hunter2 refused")
    except RuntimeError as exc:
        with caplog.at_level(logging.ERROR, logger="khalti_portal.errors"):
            event = on_backend_error(exc)
    shown = json.dumps([(str(k), v) for k, v in event.args], default=serialize, ensure_ascii=False)
    assert MESSAGE[:40] in shown
    # The browser picks the sentence by the page's <html lang>: the Nepali one is in the toast too.
    assert "document.documentElement.lang" in shown and translate(Language.NE, MESSAGE)[:30] in shown
    assert translate(Language.NE, MESSAGE) != MESSAGE
    assert "hunter2" not in shown and "Traceback" not in shown and "RuntimeError" not in shown
    assert "RuntimeError: database password=hunter2 refused" in caplog.text  # we keep it, in our logs


def test_the_app_accepts_the_handler() -> None:
    import khalti_portal.khalti_portal as portal

    assert portal.app.backend_exception_handler is on_backend_error
