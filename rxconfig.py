"""Reflex configuration. Settings come from khalti_portal.config (no env_file: .env must not beat the environment)."""

import reflex as rx

from khalti_portal.config import ConfigError, get_settings

try:
    _settings = get_settings()
except ConfigError as err:  # one clear line at start-up, not a traceback
    raise SystemExit(f"configuration error: {err}") from None

config = rx.Config(
    app_name="khalti_portal",
    db_url=_settings.db_url,
    redis_url=_settings.redis_url,
    # Reflex then reads router.session.client_ip from X-Forwarded-For, trusting this many proxies.
    trusted_proxy_hops=_settings.trusted_proxy_hops,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    disable_plugins=[rx.plugins.SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color=_settings.brand.accent_color, radius="large"))],
)
