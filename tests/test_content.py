"""The merchant's Markdown: front matter read, rendered to safe HTML, a bad file skipped with a warning, cached."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from khalti_portal import content
from khalti_portal.content import Block, member_pages, pages_for, render_markdown


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def page_text(title: str, feature: str, body: str) -> str:
    return f"---\ntitle: {title}\nfeature: {feature}\n---\n\n{body}\n"


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    write(tmp_path, "01-welcome.md", page_text("Welcome", "members", "Hello **members**."))
    write(tmp_path, "02-downloads.md", page_text("Downloads", "downloads", "[Handbook](https://example.com/h.pdf)"))
    write(tmp_path, "03-support.md", page_text("Priority support", "priority-support", "Call us."))
    return tmp_path


def test_each_page_is_read_with_its_title_feature_and_html(pages: Path) -> None:
    assert member_pages(pages) == [
        Block(title="Welcome", feature="members", html="<p>Hello <strong>members</strong>.</p>\n"),
        Block(
            title="Downloads",
            feature="downloads",
            html='<p><a href="https://example.com/h.pdf">Handbook</a></p>\n',
        ),
        Block(title="Priority support", feature="priority-support", html="<p>Call us.</p>\n"),
    ]


def test_pages_for_gives_exactly_the_pages_the_features_unlock_in_file_order(pages: Path) -> None:
    assert [b.feature for b in pages_for(["priority-support", "members"], pages)] == ["members", "priority-support"]
    assert [b.feature for b in pages_for(("downloads",), pages)] == ["downloads"]
    assert pages_for(["nothing-here"], pages) == []
    assert pages_for([], pages) == []


def test_raw_html_is_escaped_and_script_links_dropped() -> None:
    html = render_markdown('<script>alert("x")</script>\n\n[bad](javascript:alert(1)) <img src=x onerror=alert(1)>')
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img" in html
    assert 'href="javascript:' not in html


@pytest.mark.parametrize(
    ("name", "text", "why"),
    [
        ("no-front-matter.md", "Just text, no front matter.\n", "no `title:`"),
        ("broken-yaml.md", "---\ntitle: [unclosed\nfeature: members\n---\nx\n", "cannot read its front matter"),
        ("no-feature.md", "---\ntitle: Orphan\n---\nx\n", "`feature:` must be a key"),
        ("bad-feature.md", "---\ntitle: Odd\nfeature: Not A Key!\n---\nx\n", "`feature:` must be a key"),
        ("title-not-text.md", "---\ntitle: [1, 2]\nfeature: members\n---\nx\n", "no `title:`"),
        ("list-front-matter.md", "---\n- a\n- b\n---\nx\n", "no `title:`"),
        ("not-utf8.md", b"---\ntitle: \xff\xfe\nfeature: members\n---\n", "cannot read its front matter"),
    ],
)
def test_a_bad_file_is_skipped_with_a_warning_and_the_rest_still_shown(
    pages: Path, caplog: pytest.LogCaptureFixture, name: str, text: str | bytes, why: str
) -> None:
    (pages / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    with caplog.at_level(logging.WARNING, logger="khalti_portal.content"):
        shown = member_pages(pages)
    assert [b.feature for b in shown] == ["members", "downloads", "priority-support"]
    assert any(name in r.getMessage() and why in r.getMessage() for r in caplog.records), caplog.text


def test_a_missing_folder_is_no_pages(tmp_path: Path) -> None:
    assert member_pages(tmp_path / "absent") == []


def test_a_file_is_parsed_once_until_it_changes(pages: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[Path] = []
    real_parse = content._parse

    def counting_parse(path: Path) -> Block | None:
        parsed.append(path)
        return real_parse(path)

    monkeypatch.setattr(content, "_parse", counting_parse)
    target = pages / "01-welcome.md"
    member_pages(pages)
    parsed.clear()
    member_pages(pages)
    assert parsed == []  # nothing changed: all three from the cache

    stat = target.stat()
    write(pages, "01-welcome.md", page_text("Welcome back", "members", "Edited."))
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a later mtime, whatever the clock
    shown = member_pages(pages)
    assert parsed == [target]
    assert shown[0] == Block(title="Welcome back", feature="members", html="<p>Edited.</p>\n")


def test_the_shipped_example_pages_parse_and_match_the_demo_plans_keys() -> None:
    from khalti_portal.billing.plans import DEMO_PLANS

    shipped = member_pages()
    assert {b.feature for b in shipped} == {"members", "downloads", "priority-support"}
    keys = {spec.slug: spec.feature_keys for spec in DEMO_PLANS}
    assert keys == {
        "basic": ("members",),
        "standard": ("members", "downloads"),
        "premium": ("members", "downloads", "priority-support"),
    }
    assert len(pages_for(keys["premium"])) == 3 and len(pages_for(keys["basic"])) == 1
