"""Accessibility in the browser: axe-core at both widths, a screenshot of each, and what axe does not judge.

axe-core comes inside the `axe-playwright-python` package (nothing is fetched at test time). A page passes when
axe finds nothing `serious` or `critical` at 375 px and at 1280 px, and when the checks below find nothing:
the page's language and title, headings in order inside `main` (and inside an open dialog), the skip link,
every error message tied to its input and announced, no spinner left without words, and no sideways scrolling
of the page itself (a wide table scrolls in its own region).
"""

from __future__ import annotations

import json
import re
from itertools import pairwise
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.e2e.helpers import WIDTHS
from tests.e2e.server import PROJECT

A11Y_ARTIFACTS = PROJECT / "test-artifacts" / "a11y"
BLOCKING = ("serious", "critical")
TITLE = re.compile(r"^(?P<page>.+?) · (?P<site>.+)$")  # "Dashboard · Site name"

_axe = Axe()

# Waits until CSS transitions and finite animations are over (a dialog fading in would be half transparent to
# axe's colour checks); a spinner's animation never ends and is left out.
_SETTLED = """() => document.getAnimations().every(a =>
    a.playState !== 'running' || a.effect?.getComputedTiming().iterations === Infinity)"""

_STRUCTURE = """() => {
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
    && getComputedStyle(el).visibility !== 'hidden';
  const dialog = document.querySelector('[role=dialog], [role=alertdialog]');
  const scope = dialog || document.querySelector('main');
  const headings = scope ? [...scope.querySelectorAll('h1,h2,h3,h4,h5,h6')].filter(visible)
    .map(h => ({level: +h.tagName[1], text: h.textContent.trim().slice(0, 60)})) : [];
  const describedBy = [...document.querySelectorAll('[aria-describedby]')]
    .flatMap(el => el.getAttribute('aria-describedby').split(/\\s+/));
  const errors = [...document.querySelectorAll('.field-error, [role=alert]')].filter(visible).map(el => ({
    id: el.id, text: el.textContent.trim().slice(0, 80),
    announced: !!el.closest('[role=alert], [role=status], [aria-live]:not([aria-live=off])'),
    field: el.classList.contains('field-error'),
  }));
  const invalid = [...document.querySelectorAll('[aria-invalid=true]')].map(el => ({
    id: el.id, describedBy: (el.getAttribute('aria-describedby') || '').split(/\\s+/)
      .filter(id => { const d = document.getElementById(id); return d && visible(d) && d.textContent.trim(); }),
  }));
  const spinners = [...document.querySelectorAll('.rt-Spinner')].filter(visible).map(el => {
    const around = el.closest('[role=status], [aria-live], #payment-status') || el.parentElement;
    return around.textContent.trim().slice(0, 80);
  });
  const skip = document.querySelector('a.skip-link');
  return {
    lang: document.documentElement.lang, title: document.title, headings, dialog: !!dialog,
    skipTarget: skip ? skip.getAttribute('href') : null,
    mainId: (document.querySelector('main') || {}).id || null,
    errors, describedBy, invalid, spinners, emptyStates: document.querySelectorAll('.empty-state').length,
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  };
}"""


def settle(page: Page) -> None:
    """Until animations and transitions are over, then two frames (the layout of a new width)."""
    page.wait_for_function(_SETTLED, timeout=10_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def axe_findings(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (every rule axe runs by default)."""
    return _axe.run(page).response["violations"]


def describe(violation: dict[str, Any]) -> str:
    """One line per violation: rule, impact, how many elements and the first few of them."""
    targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:4])
    summary = violation["nodes"][0].get("failureSummary", "").replace("\n", " ") if violation["nodes"] else ""
    return f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])}): {targets} — {summary[:300]}"


def structure_problems(facts: dict[str, Any]) -> list[str]:
    """What axe does not fail a page for (or only as minor), read from `_STRUCTURE`'s facts."""
    problems: list[str] = []
    if not facts["lang"]:
        problems.append("<html> has no lang")
    title = TITLE.match(facts["title"])
    if not title or title["page"].strip() in ("", title["site"].strip()):
        problems.append(f"the title does not name the page: {facts['title']!r}")
    levels = [h["level"] for h in facts["headings"]]
    if not levels:
        problems.append("no heading in the main content" + (" or the open dialog" if facts["dialog"] else ""))
    elif not facts["dialog"] and (levels[0] != 1 or levels.count(1) != 1):
        problems.append(f"the main content needs one h1, first: {facts['headings']}")
    for before, after in pairwise(levels):
        if after > before + 1:
            problems.append(f"a heading level is skipped (h{before} then h{after}): {facts['headings']}")
            break
    if not facts["mainId"] or not (facts["skipTarget"] or "").endswith(f"#{facts['mainId']}"):
        problems.append(f"no skip link to the main content (link {facts['skipTarget']}, main #{facts['mainId']})")
    for error in facts["errors"]:
        if not error["announced"]:
            problems.append(f"an error is not announced (no role=alert/aria-live): {error['text']!r}")
        if error["field"] and error["id"] not in facts["describedBy"]:
            problems.append(f"a field error is not tied to its input (aria-describedby): {error['text']!r}")
    for field in facts["invalid"]:
        if not field["describedBy"]:
            problems.append(f"#{field['id']} is marked invalid without a visible message describing it")
    if facts["overflow"] > 0:  # a wide table scrolls in its own region; the page itself never sideways
        problems.append(f"the page scrolls sideways by {facts['overflow']} px")
    for words in facts["spinners"]:
        if not words:
            problems.append("a spinner shows without words")
    return problems


def audit(page: Page, name: str, *, empty_state: bool = False) -> list[str]:
    """axe and the structure checks at 375 px and 1280 px, with a full-page screenshot of each.

    Returns every blocking problem as a line (an empty list is a pass); axe's full answer for each width is
    saved beside the screenshots (`test-artifacts/a11y/<name>-<width>.json`), minor findings included.
    """
    A11Y_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    try:
        for width, height in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            settle(page)
            violations = axe_findings(page)
            stem = A11Y_ARTIFACTS / f"{name}-{width}"
            Path(f"{stem}.json").write_text(json.dumps(violations, indent=1))
            page.screenshot(path=f"{stem}.png", full_page=True)
            problems += [f"{width}px axe {describe(v)}" for v in violations if v["impact"] in BLOCKING]
            facts = page.evaluate(_STRUCTURE)
            problems += [f"{width}px {p}" for p in structure_problems(facts)]
            if empty_state and not facts["emptyStates"]:
                problems.append(f"{width}px no .empty-state on a page with nothing to list")
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
    return problems


def focus_ring(page: Page) -> dict[str, Any]:
    """The focused element and whether a ring shows on it (an outline, or Radix's box-shadow ring)."""
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          if (!el || el === document.body) return {tag: 'BODY', ring: false};
          // Radix draws a text field's ring on the field around the input (:focus-within).
          const host = el.closest('.rt-TextFieldRoot, .rt-TextAreaRoot, .rt-SelectTrigger') || el;
          const cs = getComputedStyle(host);
          const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
          const shadow = cs.boxShadow && cs.boxShadow !== 'none';
          const r = el.getBoundingClientRect();
          return {
            tag: el.tagName, id: el.id, text: (el.textContent || el.value || '').trim().slice(0, 40),
            ring: outline || !!shadow, focusVisible: el.matches(':focus-visible'),
            inView: r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth && r.width > 0,
          };
        }"""
    )
