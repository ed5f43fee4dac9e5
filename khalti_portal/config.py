"""Settings from the environment (and `.env`), read once and validated at start-up."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Literal, NamedTuple
from urllib.parse import urlsplit

from khalti_portal.i18n.dates import Calendar

KhaltiEnv = Literal["emulator", "sandbox", "live"]
SmtpSecurity = Literal["none", "starttls", "tls"]
SMTP_SECURITIES: tuple[str, ...] = ("none", "starttls", "tls")
# The port each kind of connection is usually served on (RFC 8314 for implicit TLS, 6409 for submission).
DEFAULT_SMTP_PORTS = {"none": 25, "starttls": 587, "tls": 465}
KHALTI_ENVS: tuple[str, ...] = ("emulator", "sandbox", "live")

# Published on purpose: the emulator moves no money, so its key is no secret. Real keys are.
DEFAULT_EMULATOR_KEY = "emulator_secret_key_5f1c9a2e0b7d4c3a8e6f"

DEFAULT_BASE_URLS = {
    "sandbox": "https://dev.khalti.com/",
    "live": "https://khalti.com/",
}
EMULATOR_MOUNT = "/sandbox/khalti/"
MAILBOX_MOUNT = "/sandbox/mail/"  # the emulator's mailbox: every message sent in emulator mode
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = PROJECT_ROOT / "assets"  # served by Reflex at the site's root: assets/logo.svg is /logo.svg
DEFAULT_DB_URL = f"sqlite:///{PROJECT_ROOT / 'khalti_portal.db'}"


# Radix Themes' accent colours (reflex_components_radix.themes.base.LiteralAccentColor): ACCENT_COLOR is one of these.
RADIX_COLOURS: tuple[str, ...] = (
    "tomato",
    "red",
    "ruby",
    "crimson",
    "pink",
    "plum",
    "purple",
    "violet",
    "iris",
    "indigo",
    "blue",
    "cyan",
    "teal",
    "jade",
    "green",
    "grass",
    "brown",
    "orange",
    "sky",
    "mint",
    "lime",
    "yellow",
    "amber",
    "gold",
    "bronze",
    "gray",
)
IMAGE_FILE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.(svg|png|ico|webp|jpg|jpeg|gif)", re.IGNORECASE)
PHONE_RE = re.compile(r"\+?[0-9][0-9 ()-]{4,23}")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message is one line a person can act on."""


@dataclass(frozen=True)
class MailSettings:
    """Where mail goes. Without `smtp_host` it waits in the outbox (emulator mode: goes to the emulator's mailbox)."""

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_security: SmtpSecurity = "starttls"
    mail_from: str = "Subscriptions <no-reply@localhost>"
    interval_seconds: int = 5

    def __repr__(self) -> str:
        """Everything but the password."""
        return (
            f"MailSettings(smtp_host={self.smtp_host!r}, smtp_port={self.smtp_port}, "
            f"smtp_security={self.smtp_security!r}, mail_from={self.mail_from!r})"
        )

    __str__ = __repr__


@dataclass(frozen=True)
class MerchantSettings:
    """Who issues the invoices and how to reach them: name, address, PAN, VAT (prices include it), email, phone."""

    name: str = "Subscriptions"
    address: str = ""
    pan: str = ""
    vat_registered: bool = False
    vat_rate_percent: int = 13
    email: str = ""  # shown in every page's footer; "" shows none
    phone: str = ""


@dataclass(frozen=True)
class BrandSettings:
    """How the site looks as the merchant's own: a tagline, a Radix accent colour, and image files in `assets/`.

    Read when the frontend is built (page functions are compiled): a change needs a rebuild.
    """

    tagline: str = ""
    accent_color: str = "purple"
    logo: str = "logo.svg"  # a file name in assets/
    favicon: str = "favicon.svg"


@dataclass(frozen=True)
class Settings:
    """Every setting the portal reads, validated. `repr` hides the key."""

    khalti_env: KhaltiEnv
    khalti_secret_key: str
    khalti_base_url: str
    app_url: str
    port: int
    db_url: str
    redis_url: str | None
    reconcile_interval_seconds: int
    reconcile_settle_seconds: int
    created_timeout_seconds: int
    grace_days: int
    reconcile_in_process: bool
    emulator_key: str
    emulator_db: str
    emulator_latency_ms: int
    emulator_failure_rate: float
    emulator_link_ttl_seconds: int
    allow_test_payments: bool = False
    trusted_proxy_hops: int = 0
    signups_per_address_per_hour: int = 10
    # How often the reconciler looks a completed payment up again, for refunds made outside the portal.
    refund_check_interval_seconds: int = 86_400
    site_name: str = "Subscriptions"
    brand: BrandSettings = field(default_factory=BrandSettings)
    # Requests one entitlement API key may make per minute (across every worker).
    api_rate_per_minute: int = 600
    # Renewal reminders this many days before access ends (plus one at the end and one when grace ends).
    reminder_days: tuple[int, ...] = (7, 3, 1)
    mail: MailSettings = field(default_factory=MailSettings)
    merchant: MerchantSettings = field(default_factory=lambda: MerchantSettings())
    # The calendar dates are shown in to everyone who has not chosen one (AD, Bikram Sambat or both).
    default_calendar: Calendar = Calendar.BOTH

    def __repr__(self) -> str:
        """Show everything but the secrets."""
        return (
            f"Settings(khalti_env={self.khalti_env!r}, khalti_base_url={self.khalti_base_url!r}, "
            f"app_url={self.app_url!r}, port={self.port}, db_url={_redact_url(self.db_url)!r})"
        )

    __str__ = __repr__


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def _url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL such as https://example.com, got {value!r}")
    return value


def is_loopback_host(url: str) -> bool:
    """True when `url`'s host is this machine only: `localhost`, 127.0.0.0/8 or ::1."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse_access_giveaways(mode: str, *, has_key: bool, app_url: str, base_url: str, allow_test: bool) -> None:
    """Refuse the settings that would let anyone get access without paying real money (see docs/security.md)."""
    if mode == "emulator" and has_key:
        # A merchant key next to the emulator means someone meant real payments and forgot KHALTI_ENV.
        raise ConfigError(
            "KHALTI_SECRET_KEY is set but KHALTI_ENV=emulator, where anyone can pay with test credentials: "
            "set KHALTI_ENV=sandbox or KHALTI_ENV=live, or empty KHALTI_SECRET_KEY to use the emulator"
        )
    if mode != "live" and not allow_test and not is_loopback_host(app_url):
        raise ConfigError(
            f"KHALTI_ENV={mode} takes test payments, so APP_URL must be on this machine (localhost, 127.0.0.1, ::1): "
            "set KHALTI_ENV=live for real payments, or ALLOW_TEST_PAYMENTS=1 if this is a staging site"
        )
    if mode == "live":
        for name, url in (("APP_URL", app_url), ("KHALTI_BASE_URL", base_url)):
            if urlsplit(url).scheme != "https":
                raise ConfigError(f"KHALTI_ENV=live needs an https:// {name}, got {url!r}: set {name}=https://...")


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ConfigError(f"{name} must be {bound}, got {value}")
    return value


def _flag(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1 or 0, got {raw!r}")


def _rate(env: Mapping[str, str], name: str) -> float:
    # A probability for the emulator's fault injection, not money.
    raw = env.get(name, "").strip()
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number between 0 and 1, got {raw!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be between 0 and 1, got {raw!r}")
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Validate `environ` (default: the process environment) into Settings, or raise ConfigError."""
    env = dict(os.environ if environ is None else environ)
    khalti = _khalti_connection(env)
    site_name = " ".join(env.get("SITE_NAME", "").split())[:80] or "Subscriptions"
    db_url, redis_url = _stores(env)
    return Settings(
        khalti_env=khalti.mode,  # type: ignore[arg-type]
        khalti_secret_key=khalti.secret_key,
        khalti_base_url=khalti.base_url,
        app_url=khalti.app_url,
        port=_int(env, "PORT", 3000, minimum=1, maximum=65535),
        db_url=db_url,
        redis_url=redis_url,
        reconcile_interval_seconds=_int(env, "RECONCILE_INTERVAL_SECONDS", 60, minimum=1),
        reconcile_settle_seconds=_int(env, "RECONCILE_SETTLE_SECONDS", 30),
        created_timeout_seconds=_int(env, "CREATED_TIMEOUT_SECONDS", 300, minimum=1),
        grace_days=_int(env, "GRACE_DAYS", 3, maximum=365),
        reconcile_in_process=_flag(env, "RECONCILE_IN_PROCESS", default=True),
        emulator_key=khalti.emulator_key,
        emulator_db=env.get("KHALTI_EMULATOR_DB", "").strip() or str(PROJECT_ROOT / ".khalti_emulator.db"),
        emulator_latency_ms=_int(env, "KHALTI_EMULATOR_LATENCY_MS", 0, maximum=120_000),
        emulator_failure_rate=_rate(env, "KHALTI_EMULATOR_FAILURE_RATE"),
        emulator_link_ttl_seconds=_int(env, "KHALTI_EMULATOR_LINK_TTL_SECONDS", 3600, minimum=1),
        allow_test_payments=khalti.allow_test_payments,
        # Behind a TLS proxy every visitor has the proxy's address; throttles need the real one.
        trusted_proxy_hops=_int(env, "TRUSTED_PROXY_HOPS", 0, maximum=10),
        # An office or a school behind one address may need more; each sign-up still costs a bcrypt hash.
        signups_per_address_per_hour=_int(env, "SIGNUPS_PER_ADDRESS_PER_HOUR", 10, minimum=1, maximum=100_000),
        refund_check_interval_seconds=_int(env, "REFUND_CHECK_INTERVAL_SECONDS", 86_400, minimum=1),
        site_name=site_name,
        brand=_brand(env),
        reminder_days=_reminder_days(env),
        api_rate_per_minute=_int(env, "API_RATE_PER_MINUTE", 600, minimum=1, maximum=1_000_000),
        mail=_mail(env, site_name=site_name, app_url=khalti.app_url),
        merchant=_merchant(env, site_name=site_name),
        default_calendar=_calendar(env),
    )


class _KhaltiConnection(NamedTuple):
    """Which Khalti the portal talks to, with which key, and where the portal itself is reached."""

    mode: str
    secret_key: str
    base_url: str
    app_url: str
    emulator_key: str
    allow_test_payments: bool


def _khalti_connection(env: Mapping[str, str]) -> _KhaltiConnection:
    """The Khalti mode, key and URLs, refused when they would let anyone get access without paying."""
    key = env.get("KHALTI_SECRET_KEY", "").strip()
    mode = _khalti_mode(env, key)
    # `make run PORT=3100` without APP_URL: the site (and the emulator under it) is on that port.
    default_app_url = f"http://localhost:{_int(env, 'PORT', 3000, minimum=1, maximum=65535)}"
    app_url = _url("APP_URL", env.get("APP_URL", "").strip() or default_app_url).rstrip("/")
    emulator_key = env.get("KHALTI_EMULATOR_KEY", "").strip() or DEFAULT_EMULATOR_KEY
    if mode == "emulator":
        secret = emulator_key
        default_base = app_url + EMULATOR_MOUNT
    else:
        if not key:
            raise ConfigError(f"KHALTI_ENV={mode} needs KHALTI_SECRET_KEY (the merchant secret key)")
        secret = key
        default_base = DEFAULT_BASE_URLS[mode]
    base_url = _url("KHALTI_BASE_URL", env.get("KHALTI_BASE_URL", "").strip() or default_base)
    if not base_url.endswith("/"):
        base_url += "/"
    allow_test = _flag(env, "ALLOW_TEST_PAYMENTS", default=False)
    _refuse_access_giveaways(mode, has_key=bool(key), app_url=app_url, base_url=base_url, allow_test=allow_test)
    return _KhaltiConnection(mode, secret, base_url, app_url, emulator_key, allow_test)


def _khalti_mode(env: Mapping[str, str], key: str) -> str:
    """KHALTI_ENV, defaulting to the emulator only when no merchant key says otherwise."""
    mode = env.get("KHALTI_ENV", "").strip().lower()
    if not mode:
        if key:
            raise ConfigError(
                "KHALTI_SECRET_KEY is set but KHALTI_ENV is not: set KHALTI_ENV=sandbox or KHALTI_ENV=live "
                "(a Khalti key's prefix cannot tell them apart)"
            )
        mode = "emulator"
    if mode not in KHALTI_ENVS:
        raise ConfigError(f"KHALTI_ENV must be one of emulator, sandbox, live; got {mode!r}")
    return mode


def _stores(env: Mapping[str, str]) -> tuple[str, str | None]:
    """The database and Redis URLs, refused when the number of workers sharing them needs more."""
    db_url = env.get("REFLEX_DB_URL", "").strip() or DEFAULT_DB_URL
    if "://" not in db_url:
        raise ConfigError(f"REFLEX_DB_URL must be a database URL such as sqlite:///portal.db, got {db_url!r}")
    redis_url = env.get("REFLEX_REDIS_URL", "").strip() or None
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"REFLEX_REDIS_URL must start with redis://, got {redis_url!r}")

    workers = _int(env, "GRANIAN_WORKERS", 1, minimum=1)
    if workers > 1 and not redis_url:
        raise ConfigError(
            f"GRANIAN_WORKERS={workers} needs REFLEX_REDIS_URL: without Redis each worker keeps its own page state"
        )
    if workers > 1 and db_url.startswith("sqlite"):
        raise ConfigError(f"GRANIAN_WORKERS={workers} needs PostgreSQL (REFLEX_DB_URL): SQLite serves one process")
    return db_url, redis_url


def _merchant(env: Mapping[str, str], *, site_name: str) -> MerchantSettings:
    """MERCHANT_* and VAT_*: a VAT-registered merchant must have a PAN, or its tax invoices would be void."""
    pan = env.get("MERCHANT_PAN", "").strip()
    if pan and not (len(pan) == 9 and pan.isdigit()):
        raise ConfigError(f"MERCHANT_PAN must be the 9 digits of a PAN, got {pan!r}")
    vat = _flag(env, "VAT_REGISTERED", default=False)
    if vat and not pan:
        raise ConfigError("VAT_REGISTERED=1 needs the business's PAN: set MERCHANT_PAN to its 9 digits")
    return MerchantSettings(
        name=" ".join(env.get("MERCHANT_NAME", "").split())[:120] or site_name,
        address=" ".join(env.get("MERCHANT_ADDRESS", "").split())[:200],
        pan=pan,
        vat_registered=vat,
        vat_rate_percent=_int(env, "VAT_RATE_PERCENT", 13, minimum=1, maximum=50),
        email=_contact_email(env),
        phone=_contact_phone(env),
    )


def _contact_email(env: Mapping[str, str]) -> str:
    """MERCHANT_EMAIL: one plain address (the footer links to it), or nothing."""
    raw = env.get("MERCHANT_EMAIL", "").strip()
    if not raw:
        return ""
    name, address = parseaddr(raw)
    if name or address != raw or "@" not in address or len(address) > 254 or any(c.isspace() for c in address):
        raise ConfigError(f"MERCHANT_EMAIL must be one address such as help@shop.com.np, got {raw!r}")
    return address


def _contact_phone(env: Mapping[str, str]) -> str:
    """MERCHANT_PHONE: digits with spaces, dashes or brackets and an optional leading +, or nothing."""
    raw = " ".join(env.get("MERCHANT_PHONE", "").split())
    if raw and not PHONE_RE.fullmatch(raw):
        raise ConfigError(f"MERCHANT_PHONE must be a phone number such as +977 1-4412345, got {raw!r}")
    return raw


def _brand(env: Mapping[str, str]) -> BrandSettings:
    """SITE_TAGLINE, ACCENT_COLOR (a Radix colour name) and SITE_LOGO / SITE_FAVICON (files in assets/)."""
    accent = env.get("ACCENT_COLOR", "").strip().lower() or "purple"
    if accent not in RADIX_COLOURS:
        raise ConfigError(
            f"ACCENT_COLOR must be one of Radix's colour names ({', '.join(RADIX_COLOURS)}), got {accent!r}"
        )
    return BrandSettings(
        tagline=" ".join(env.get("SITE_TAGLINE", "").split())[:120],
        accent_color=accent,
        logo=_asset_file(env, "SITE_LOGO", "logo.svg"),
        favicon=_asset_file(env, "SITE_FAVICON", "favicon.svg"),
    )


def _asset_file(env: Mapping[str, str], name: str, default: str) -> str:
    """The file name of an image in assets/ (no folders), refused when it is not there."""
    value = env.get(name, "").strip() or default
    if not IMAGE_FILE_RE.fullmatch(value):
        raise ConfigError(f"{name} must be the file name of an image in assets/ such as {default}, got {value!r}")
    if not (ASSETS_DIR / value).is_file():
        raise ConfigError(f"{name}={value} but there is no assets/{value}: put the file there or fix the name")
    return value


def _calendar(env: Mapping[str, str]) -> Calendar:
    raw = env.get("DEFAULT_CALENDAR", "").strip().lower() or Calendar.BOTH.value
    try:
        return Calendar(raw)
    except ValueError:
        raise ConfigError(f"DEFAULT_CALENDAR must be one of ad, bs, both; got {raw!r}") from None


def _reminder_days(env: Mapping[str, str]) -> tuple[int, ...]:
    """REMINDER_DAYS=7,3,1: distinct whole days from 1 to 365, largest first."""
    raw = env.get("REMINDER_DAYS", "").strip()
    if not raw:
        return (7, 3, 1)
    try:
        days = {int(part) for part in raw.split(",") if part.strip()}
    except ValueError:
        raise ConfigError(f"REMINDER_DAYS must be whole days separated by commas, such as 7,3,1; got {raw!r}") from None
    if not days or any(not 1 <= day <= 365 for day in days):
        raise ConfigError(f"REMINDER_DAYS must list days from 1 to 365, such as 7,3,1; got {raw!r}")
    return tuple(sorted(days, reverse=True))


def _mail_domain(app_url: str) -> str:
    """The site's host name for a default sender address; `localhost` when it is an IP address or missing."""
    host = urlsplit(app_url).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host or "localhost"
    return "localhost"


def _mail(env: Mapping[str, str], *, site_name: str, app_url: str) -> MailSettings:
    """The SMTP settings, refused when they would send a password in clear over the network."""
    host = env.get("SMTP_HOST", "").strip() or None
    security = env.get("SMTP_SECURITY", "").strip().lower() or "starttls"
    if security not in SMTP_SECURITIES:
        raise ConfigError(f"SMTP_SECURITY must be one of none, starttls, tls; got {security!r}")
    username = env.get("SMTP_USERNAME", "").strip()
    password = env.get("SMTP_PASSWORD", "")
    if bool(username) != bool(password):
        raise ConfigError("SMTP_USERNAME and SMTP_PASSWORD go together: set both, or neither")
    if host and password and security == "none" and not is_loopback_host(f"smtp://{host}"):
        raise ConfigError(
            f"SMTP_SECURITY=none would send SMTP_PASSWORD unencrypted to {host}: set SMTP_SECURITY=starttls or tls"
        )
    mail_from = env.get("MAIL_FROM", "").strip()
    if not mail_from:
        if host:
            raise ConfigError("SMTP_HOST is set but MAIL_FROM is not: set MAIL_FROM to the address mail comes from")
        mail_from = f"{site_name} <no-reply@{_mail_domain(app_url)}>"
    _, address = parseaddr(mail_from)
    if "@" not in address or any(c in mail_from for c in "\r\n"):
        raise ConfigError(f"MAIL_FROM must be an address such as Shop <billing@shop.com.np>, got {mail_from!r}")
    return MailSettings(
        smtp_host=host,
        smtp_port=_int(env, "SMTP_PORT", DEFAULT_SMTP_PORTS[security], minimum=1, maximum=65535),
        smtp_username=username,
        smtp_password=password,
        smtp_security=security,  # type: ignore[arg-type]
        mail_from=mail_from,
        interval_seconds=_int(env, "MAIL_INTERVAL_SECONDS", 5, minimum=1, maximum=3600),
    )


def load_dotenv_file(path: Path | None = None) -> None:
    """Load `.env` without overriding the real environment; KHALTI_PORTAL_DOTENV=0 turns it off."""
    if os.environ.get("KHALTI_PORTAL_DOTENV", "1").strip() == "0":
        return
    from dotenv import load_dotenv

    load_dotenv(path or Path.cwd() / ".env", override=False)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings: `.env` (unless disabled) under the environment, read once."""
    load_dotenv_file()
    return load_settings()
