"""The Markdown the merchant edits: members' pages read from `content/members/`, rendered to HTML on the server.

Each file has YAML front matter (`title:`, `feature:`) and a Markdown body. Raw HTML in the body is escaped,
not passed through (markdown-it-py with `html=False`; it also drops `javascript:` and similar links). A
file is parsed again only when its modification time or size changes. A file that cannot be read or has no
valid front matter is skipped with a warning in the log: one bad edit never takes the members area down.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import frontmatter
import yaml
from markdown_it import MarkdownIt

from khalti_portal.config import PROJECT_ROOT

log = logging.getLogger(__name__)

CONTENT_ROOT = PROJECT_ROOT / "content"
MEMBERS_DIR = CONTENT_ROOT / "members"
FEATURE_KEY_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
MAX_FILE_BYTES = 256 * 1024  # a members' page is prose; anything bigger is a mistake, not a page


@dataclass(frozen=True)
class Block:
    """One members' page: its heading, the feature key that unlocks it, and its body as safe HTML."""

    title: str
    feature: str
    html: str


_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
_cache: dict[Path, tuple[tuple[int, int], Block | None]] = {}
_cache_lock = threading.Lock()


def render_markdown(text: str) -> str:
    """Markdown to HTML: raw HTML escaped, unsafe link schemes dropped."""
    return _markdown.render(text)


def _parse(path: Path) -> Block | None:
    """The file as a Block, or None (with a warning saying why) when it is not a usable page."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            log.warning("content: %s skipped: larger than %d bytes", path, MAX_FILE_BYTES)
            return None
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        log.warning("content: %s skipped: cannot read its front matter (%s)", path, exc)
        return None
    title, feature = post.metadata.get("title"), post.metadata.get("feature")
    if not isinstance(title, str) or not title.strip():
        log.warning("content: %s skipped: front matter has no `title:`", path)
        return None
    if not isinstance(feature, str) or not FEATURE_KEY_RE.fullmatch(feature.strip()):
        log.warning("content: %s skipped: `feature:` must be a key like `downloads` (got %r)", path, feature)
        return None
    return Block(title=title.strip(), feature=feature.strip(), html=render_markdown(post.content))


def load_block(path: Path) -> Block | None:
    """The page in `path`, parsed again only when the file changed since it was last read."""
    try:
        stat = path.stat()
    except OSError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    block = _parse(path)
    with _cache_lock:
        _cache[path] = (stamp, block)
    return block


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
