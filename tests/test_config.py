"""Settings: every refusal is one clear line, and a `.env` cannot steer a test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from khalti_portal.config import DEFAULT_EMULATOR_KEY, ConfigError, load_settings
from khalti_portal.i18n.dates import Calendar

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_run_on_the_emulator() -> None:
    s = load_settings({})
    assert s.khalti_env == "emulator"
    assert s.khalti_secret_key == DEFAULT_EMULATOR_KEY
    assert s.khalti_base_url == "http://localhost:3000/sandbox/khalti/"
    assert s.app_url == "http://localhost:3000"
    assert (s.port, s.grace_days, s.reconcile_interval_seconds) == (3000, 3, 60)
    assert (s.reconcile_settle_seconds, s.created_timeout_seconds) == (30, 300)
    assert s.db_url.startswith("sqlite:///")
    assert s.redis_url is None
    assert (s.emulator_latency_ms, s.emulator_failure_rate, s.emulator_link_ttl_seconds) == (0, 0.0, 3600)
    assert s.default_calendar is Calendar.BOTH


@pytest.mark.parametrize(("raw", "calendar"), [("ad", Calendar.AD), (" BS ", Calendar.BS), ("both", Calendar.BOTH)])
def test_default_calendar_takes_ad_bs_or_both(raw: str, calendar: Calendar) -> None:
    assert load_settings({"DEFAULT_CALENDAR": raw}).default_calendar is calendar


def test_sandbox_and_live_take_their_hosts() -> None:
    assert (
        load_settings({"KHALTI_ENV": "sandbox", "KHALTI_SECRET_KEY": "k"}).khalti_base_url == "https://dev.khalti.com/"
    )
    live = load_settings(
        {
            "KHALTI_ENV": "LIVE",
            "KHALTI_SECRET_KEY": "k",
            "KHALTI_BASE_URL": "https://proxy.example/x",
            "APP_URL": "https://shop.example",
        }
    )
    assert (live.khalti_env, live.khalti_base_url) == ("live", "https://proxy.example/x/")


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"KHALTI_SECRET_KEY": "live_secret_key_abc"}, "KHALTI_ENV is not"),
        ({"KHALTI_ENV": "sandbox"}, "needs KHALTI_SECRET_KEY"),
        ({"KHALTI_ENV": "live"}, "needs KHALTI_SECRET_KEY"),
        ({"KHALTI_ENV": "staging"}, "KHALTI_ENV must be one of"),
        ({"APP_URL": "localhost:3000"}, "APP_URL must be an http(s) URL"),
        ({"APP_URL": "ftp://x"}, "APP_URL must be an http(s) URL"),
        ({"KHALTI_ENV": "sandbox", "KHALTI_SECRET_KEY": "k", "KHALTI_BASE_URL": "dev.khalti.com"}, "KHALTI_BASE_URL"),
        ({"PORT": "http"}, "PORT must be a whole number"),
        ({"PORT": "70000"}, "PORT must be between 1 and 65535"),
        ({"GRACE_DAYS": "-1"}, "GRACE_DAYS must be between 0 and 365"),
        ({"REFLEX_DB_URL": "khalti.db"}, "REFLEX_DB_URL must be a database URL"),
        ({"REFLEX_REDIS_URL": "localhost:6379"}, "REFLEX_REDIS_URL must start with redis://"),
        ({"KHALTI_EMULATOR_FAILURE_RATE": "2"}, "between 0 and 1"),
        ({"RECONCILE_IN_PROCESS": "maybe"}, "RECONCILE_IN_PROCESS must be 1 or 0"),
        ({"GRANIAN_WORKERS": "2", "REFLEX_DB_URL": "postgresql+psycopg://db/x"}, "needs REFLEX_REDIS_URL"),
        ({"GRANIAN_WORKERS": "2", "REFLEX_REDIS_URL": "redis://r:6379/0"}, "needs PostgreSQL"),
        ({"SMTP_SECURITY": "ssl"}, "SMTP_SECURITY must be one of none, starttls, tls"),
        ({"VAT_REGISTERED": "1"}, "VAT_REGISTERED=1 needs the business's PAN"),
        ({"VAT_REGISTERED": "1", "MERCHANT_PAN": "12345"}, "MERCHANT_PAN must be the 9 digits of a PAN"),
        ({"VAT_RATE_PERCENT": "0"}, "VAT_RATE_PERCENT must be between 1 and 50"),
        ({"REMINDER_DAYS": "7,three"}, "REMINDER_DAYS must be whole days separated by commas"),
        ({"REMINDER_DAYS": "0"}, "REMINDER_DAYS must list days from 1 to 365"),
        ({"REMINDER_DAYS": "400"}, "REMINDER_DAYS must list days from 1 to 365"),
        ({"SMTP_HOST": "smtp.example.com"}, "SMTP_HOST is set but MAIL_FROM is not"),
        ({"SMTP_HOST": "smtp.example.com", "MAIL_FROM": "billing"}, "MAIL_FROM must be an address"),
        ({"SMTP_USERNAME": "shop"}, "SMTP_USERNAME and SMTP_PASSWORD go together"),
        ({"SMTP_PORT": "70000"}, "SMTP_PORT must be between 1 and 65535"),
        ({"ACCENT_COLOR": "khalti"}, "ACCENT_COLOR must be one of Radix's colour names (tomato, red,"),
        ({"ACCENT_COLOR": "#5c2d91"}, "ACCENT_COLOR must be one of Radix's colour names"),
        ({"SITE_LOGO": "../rxconfig.py"}, "SITE_LOGO must be the file name of an image in assets/"),
        ({"SITE_LOGO": "fonts/logo.svg"}, "SITE_LOGO must be the file name of an image in assets/"),
        ({"SITE_FAVICON": "missing.png"}, "SITE_FAVICON=missing.png but there is no assets/missing.png"),
        ({"MERCHANT_EMAIL": "help"}, "MERCHANT_EMAIL must be one address"),
        ({"MERCHANT_EMAIL": "Help <help@shop.example>"}, "MERCHANT_EMAIL must be one address"),
        ({"MERCHANT_EMAIL": "a@x.example, b@x.example"}, "MERCHANT_EMAIL must be one address"),
        ({"MERCHANT_PHONE": "call us"}, "MERCHANT_PHONE must be a phone number"),
        ({"MERCHANT_PHONE": "98"}, "MERCHANT_PHONE must be a phone number"),
        ({"DEFAULT_CALENDAR": "nepali"}, "DEFAULT_CALENDAR must be one of ad, bs, both; got 'nepali'"),
        (
            {
                "SMTP_HOST": "smtp.example.com",
                "MAIL_FROM": "a@shop.example",
                "SMTP_SECURITY": "none",
                "SMTP_USERNAME": "shop",
                "SMTP_PASSWORD": "pw",
            },
            "SMTP_SECURITY=none would send SMTP_PASSWORD unencrypted to smtp.example.com",
        ),
    ],
)
def test_each_bad_value_is_refused_in_one_line(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(env)
    message = str(err.value)
    assert fragment in message
    assert "\n" not in message


def test_without_app_url_the_site_is_on_this_machine_at_port() -> None:
    # `make run PORT=3100` must send Khalti's return_url (and reach the emulator) on 3100, not 3000.
    settings = load_settings({"PORT": "3100"})
    assert settings.app_url == "http://localhost:3100"
    assert settings.khalti_base_url == "http://localhost:3100/sandbox/khalti/"
    assert load_settings({"PORT": "3100", "APP_URL": "http://127.0.0.1:8080"}).app_url == "http://127.0.0.1:8080"


def test_the_key_never_shows_in_repr_or_errors() -> None:
    key = "live_secret_key_DO_NOT_PRINT"
    s = load_settings({"KHALTI_ENV": "live", "KHALTI_SECRET_KEY": key, "APP_URL": "https://shop.example"})
    assert key not in repr(s) and key not in str(s)
    with pytest.raises(ConfigError) as err:
        load_settings({"KHALTI_SECRET_KEY": key})
    assert key not in str(err.value)


def test_mail_defaults_need_nothing_and_take_the_port_of_the_security_chosen() -> None:
    mail = load_settings({}).mail
    assert (mail.smtp_host, mail.smtp_security, mail.smtp_port) == (None, "starttls", 587)
    assert mail.mail_from == "Subscriptions <no-reply@localhost>"
    for app_url, sender in [
        ("http://[::1]:3000", "no-reply@localhost"),
        ("http://127.0.0.1:3000", "no-reply@localhost"),
        ("https://shop.example.com.np", "no-reply@shop.example.com.np"),
    ]:
        staging = {"KHALTI_ENV": "sandbox", "KHALTI_SECRET_KEY": "k", "APP_URL": app_url, "ALLOW_TEST_PAYMENTS": "1"}
        assert load_settings(staging).mail.mail_from == f"Subscriptions <{sender}>"
    env = {"SMTP_HOST": "smtp.example.com", "MAIL_FROM": "Shop <billing@shop.example>", "SITE_NAME": "Asha's  Gym"}
    assert load_settings({**env, "SMTP_SECURITY": "tls"}).mail.smtp_port == 465
    assert load_settings({**env, "SMTP_SECURITY": "none"}).mail.smtp_port == 25
    assert load_settings({**env, "SMTP_PORT": "2525"}).mail.smtp_port == 2525
    assert load_settings(env).site_name == "Asha's Gym"
    # A password in clear is fine on this machine only (a local relay).
    local = {**env, "SMTP_HOST": "127.0.0.1", "SMTP_SECURITY": "none", "SMTP_USERNAME": "u", "SMTP_PASSWORD": "p"}
    assert load_settings(local).mail.smtp_security == "none"


def test_merchant_details_default_to_the_site_and_no_vat() -> None:
    merchant = load_settings({"SITE_NAME": "Asha's Gym"}).merchant
    assert (merchant.name, merchant.pan, merchant.vat_registered, merchant.vat_rate_percent) == (
        "Asha's Gym",
        "",
        False,
        13,
    )
    env = {"MERCHANT_NAME": "Asha Fitness Pvt. Ltd.", "MERCHANT_PAN": "301234567", "VAT_REGISTERED": "1"}
    assert load_settings(env).merchant.vat_registered is True


def test_the_brand_defaults_to_purple_and_the_shipped_images_and_reads_what_is_set() -> None:
    brand, merchant = load_settings({}).brand, load_settings({}).merchant
    assert (brand.tagline, brand.accent_color, brand.logo, brand.favicon) == ("", "purple", "logo.svg", "favicon.svg")
    assert (merchant.email, merchant.phone) == ("", "")
    env = {
        "SITE_TAGLINE": "  News   first  ",
        "ACCENT_COLOR": " Jade ",
        "SITE_LOGO": "favicon.svg",
        "MERCHANT_EMAIL": " help@shop.example ",
        "MERCHANT_PHONE": "+977  1-4412345",
    }
    settings = load_settings(env)
    assert (settings.brand.tagline, settings.brand.accent_color, settings.brand.logo) == (
        "News first",
        "jade",
        "favicon.svg",
    )
    assert (settings.merchant.email, settings.merchant.phone) == ("help@shop.example", "+977 1-4412345")


def test_rxconfig_gives_the_theme_the_accent_colour() -> None:
    env = {**os.environ, "KHALTI_PORTAL_DOTENV": "0", "ACCENT_COLOR": "jade"}
    code = "import rxconfig; print(rxconfig.config.plugins[0].theme.accent_color)"
    got = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert "jade" in got.stdout


def test_reminder_days_default_to_a_week_three_days_and_one_largest_first() -> None:
    assert load_settings({}).reminder_days == (7, 3, 1)
    assert load_settings({"REMINDER_DAYS": " 1, 30,15,7 ,7"}).reminder_days == (30, 15, 7, 1)


def test_the_smtp_password_never_shows_in_repr() -> None:
    env = {"SMTP_HOST": "smtp.example.com", "MAIL_FROM": "a@shop.example", "SMTP_USERNAME": "u"}
    settings = load_settings({**env, "SMTP_PASSWORD": "smtp_pw_DO_NOT_PRINT"})
    assert "smtp_pw_DO_NOT_PRINT" not in repr(settings) + repr(settings.mail) + str(settings.mail)


def _settings_in_subprocess(cwd: Path, extra_env: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KHALTI_", "APP_URL", "GRACE_DAYS"))}
    env.update(extra_env)
    env["PYTHONPATH"] = str(ROOT)
    code = "from khalti_portal.config import get_settings as g; s = g(); print(s.khalti_env, s.app_url, s.grace_days)"
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_dotenv_in_the_working_directory_cannot_change_test_settings(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("APP_URL=https://from-dotenv.example\nGRACE_DAYS=9\n")
    # With KHALTI_PORTAL_DOTENV=0 (what `make test` and conftest set) the file is not read at all.
    assert _settings_in_subprocess(tmp_path, {"KHALTI_PORTAL_DOTENV": "0"}) == "emulator http://localhost:3000 3"
    assert os.environ["KHALTI_PORTAL_DOTENV"] == "0"


def test_dotenv_loads_but_never_overrides_the_environment(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("APP_URL=https://from-dotenv.example\nGRACE_DAYS=9\nALLOW_TEST_PAYMENTS=1\n")
    assert _settings_in_subprocess(tmp_path, {"KHALTI_PORTAL_DOTENV": "1"}) == "emulator https://from-dotenv.example 9"
    got = _settings_in_subprocess(tmp_path, {"KHALTI_PORTAL_DOTENV": "1", "GRACE_DAYS": "5"})
    assert got == "emulator https://from-dotenv.example 5"


def test_rxconfig_does_not_set_env_file() -> None:
    # Reflex's env_file loads with override=True: a .env would beat the real environment.
    sys.path.insert(0, str(ROOT))
    import rxconfig

    assert rxconfig.config.env_file is None


def test_trusted_proxy_hops_defaults_to_none_and_must_be_a_small_whole_number() -> None:
    assert load_settings({}).trusted_proxy_hops == 0
    assert load_settings({"TRUSTED_PROXY_HOPS": "1"}).trusted_proxy_hops == 1
    for bad in ("-1", "one", "11"):
        with pytest.raises(ConfigError, match="TRUSTED_PROXY_HOPS"):
            load_settings({"TRUSTED_PROXY_HOPS": bad})


def test_rxconfig_hands_trusted_proxy_hops_to_reflex() -> None:
    # Reflex resolves router.session.client_ip from X-Forwarded-For with it; the throttles count by that address.
    env = {**os.environ, "KHALTI_PORTAL_DOTENV": "0", "TRUSTED_PROXY_HOPS": "2"}
    code = "import rxconfig; print(rxconfig.config.trusted_proxy_hops)"
    got = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert got.stdout.strip() == "2"
