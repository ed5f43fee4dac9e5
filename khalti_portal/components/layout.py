"""The one page wrapper: brand, navigation, sign-in/out, admin links, the emulator and sandbox banners, footer."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.actions import link_button
from khalti_portal.components.brand import page_meta, site_brand, site_name
from khalti_portal.components.footer import site_footer
from khalti_portal.components.language_switch import devanagari_font_css, document_title, language_switch
from khalti_portal.components.styles import GLOBAL_CSS, MAX_WIDTH
from khalti_portal.components.text import t
from khalti_portal.states.auth import AuthState
from khalti_portal.states.site import SiteState


def _test_mode_banner(text: rx.Var | str, banner_id: str) -> rx.Component:
    return rx.box(
        rx.text(text, weight="bold", size="2"),
        id=banner_id,
        class_name="mode-banner",
        role="status",
        background_color=rx.color("amber", 4),
        color=rx.color("amber", 12),
        padding="0.4rem 1rem",
        text_align="center",
        width="100%",
    )


def emulator_banner() -> rx.Component:
    """Says loudly that no real money moves: payments go to the built-in emulator."""
    return _test_mode_banner(t("Khalti emulator — no real money moves"), "emulator-banner")


def sandbox_banner() -> rx.Component:
    """Says loudly that payments are Khalti sandbox tests, paid with public test credentials."""
    return _test_mode_banner(t("Khalti sandbox — test payments only, no real money moves"), "sandbox-banner")


def mode_banner() -> rx.Component:
    """The banner for the mode the server runs in, read from state at run time (page functions are compiled)."""
    return rx.match(
        SiteState.khalti_mode,
        ("emulator", emulator_banner()),
        ("sandbox", sandbox_banner()),
        rx.fragment(),
    )


def navbar() -> rx.Component:
    """Brand, catalog, dashboard, admin (for admins), the account links and the language switch."""
    return rx.hstack(
        site_brand(),
        rx.spacer(),
        rx.hstack(
            rx.link(t("Plans"), href=routes.CATALOG_ROUTE, id="nav-plans"),
            rx.cond(
                AuthState.is_authenticated,
                rx.hstack(
                    rx.link(t("Dashboard"), href=routes.DASHBOARD_ROUTE, id="nav-dashboard"),
                    rx.link(t("Members"), href=routes.MEMBERS_ROUTE, id="nav-members"),
                    rx.link(t("Profile"), href=routes.PROFILE_ROUTE, id="nav-profile"),
                    rx.cond(
                        AuthState.is_admin,
                        rx.link(t("Admin"), href=routes.ADMIN_PLANS_ROUTE, id="nav-admin"),
                    ),
                    rx.button(t("Sign out"), id="sign-out", on_click=AuthState.sign_out, variant="soft", size="2"),
                    spacing="4",
                    align="center",
                    wrap="wrap",  # five links do not fit 375 px in a row: the page must not scroll sideways
                ),
                rx.hstack(
                    rx.link(t("Sign in"), href=routes.LOGIN_ROUTE, id="nav-sign-in"),
                    link_button(t("Register"), routes.REGISTER_ROUTE, id="nav-register", size="2"),
                    spacing="4",
                    align="center",
                ),
            ),
            language_switch(),
            spacing="4",
            align="center",
            wrap="wrap",
        ),
        padding="0.75rem 1rem",
        width="100%",
        max_width=MAX_WIDTH,
        margin="0 auto",
        align="center",
        wrap="wrap",
    )


MAIN_ID = "main-content"


def skip_link() -> rx.Component:
    """The first thing the keyboard reaches: straight to the page's own content, past the navigation."""
    return rx.el.a(
        t("Skip to main content"),
        href=f"#{MAIN_ID}",
        class_name="skip-link",
        id="skip-link",
        # Focus moves in the browser; following the #fragment would be a route change for the router.
        on_click=[rx.prevent_default, rx.call_script(f"document.getElementById('{MAIN_ID}').focus()")],
    )


def layout(content: rx.Component, title: str = "") -> rx.Component:
    """Wrap a page's content in the shared chrome; `title` (English, marked with N_) shown in the chosen language."""
    return rx.box(
        rx.el.style(GLOBAL_CSS + devanagari_font_css()),
        document_title(title, site_name()) if title else rx.fragment(),
        skip_link(),
        rx.el.header(
            mode_banner(),
            rx.el.nav(
                navbar(), class_name="site-nav", aria_label=t("Site"), border_bottom=f"1px solid {rx.color('gray', 5)}"
            ),
        ),
        rx.el.main(
            content, id=MAIN_ID, tab_index=-1, padding="1.5rem 1rem", width="100%", max_width=MAX_WIDTH, margin="0 auto"
        ),
        site_footer(),
        min_height="100vh",
    )


def page(route: str, title: str, on_load: object = None) -> Callable[[Callable[[], rx.Component]], rx.Component]:
    """Register a page at `route` wrapped in the layout, like reflex-dev/templates' `template`.

    `title` is English, compiled into the page's `<title>`; mark it `N_("...")` and the tab shows it in the
    person's language too (a title not in the catalog stays English).
    """

    def decorator(content: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        def wrapped() -> rx.Component:
            return layout(content(), title)

        wrapped.__name__ = content.__name__
        # Reflex files a page's memoized components under the page function's module: each page's own file,
        # so what one page imports (the admin's charts) is not downloaded with every other page.
        wrapped.__module__ = content.__module__
        kwargs = {"route": route, **page_meta(title)}
        if on_load is not None:
            kwargs["on_load"] = on_load
        return rx.page(**kwargs)(wrapped)

    return decorator
