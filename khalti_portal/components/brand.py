"""The merchant's brand in the page chrome: the header's logo, name and tagline, the favicon, the page titles.

Read from the settings when the frontend is built (page functions are compiled into the bundle), so a new
SITE_NAME, SITE_TAGLINE, ACCENT_COLOR, logo or favicon shows after a rebuild (`make run` rebuilds on start).
"""

from __future__ import annotations

import hashlib

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.styles import ACCENT
from khalti_portal.config import ASSETS_DIR, get_settings

_ICON_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "ico": "image/x-icon",
    "webp": "image/webp",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
}


def asset_url(name: str) -> str:
    """`/logo.svg?v=1a2b3c4d5e6f`: a file of assets/ as the site serves it, versioned by its content.

    A replaced logo is then not taken from a browser's cache (like `rx.asset`, without its working-folder lookup).
    """
    digest = hashlib.sha256((ASSETS_DIR / name).read_bytes()).hexdigest()[:12]
    return f"/{name}?v={digest}"


def site_name() -> str:
    """The merchant's name as every page and message shows it."""
    return get_settings().site_name


def page_title(title: str) -> str:
    """`Dashboard · Pahilo Patrika`: the page, then the site."""
    return f"{title} · {site_name()}"


def page_meta(title: str) -> dict[str, str]:
    """What `rx.page` takes about a page: its title, and the tagline as its description when there is one."""
    tagline = get_settings().brand.tagline
    return {"title": page_title(title), **({"description": tagline} if tagline else {})}


def favicon() -> rx.Component:
    """The `<link rel="icon">` for every page's head: SITE_FAVICON from assets/."""
    name = get_settings().brand.favicon
    return rx.el.link(rel="icon", href=asset_url(name), type=_ICON_TYPES[name.rsplit(".", 1)[-1].lower()])


def site_brand() -> rx.Component:
    """The logo, the site's name and its tagline, linking home (`#site-brand`)."""
    settings = get_settings()
    tagline = settings.brand.tagline
    return rx.link(
        rx.hstack(
            # The name beside it says what the logo says: the image is decoration for screen readers.
            rx.image(src=asset_url(settings.brand.logo), alt="", height="2.25rem", width="auto", flex_shrink="0"),
            rx.vstack(
                rx.text(settings.site_name, size="5", weight="bold", color=rx.color(ACCENT, 11), id="site-name"),
                rx.text(tagline, size="1", color_scheme="gray", id="site-tagline") if tagline else rx.fragment(),
                spacing="0",
            ),
            spacing="2",
            align="center",
        ),
        href=routes.CATALOG_ROUTE,
        underline="none",
        id="site-brand",
    )
