"""A faithful Khalti Web Checkout emulator (API + hosted page) and a mailbox, mounted only when KHALTI_ENV=emulator."""

from khalti_portal.sandbox.app import create_emulator_app
from khalti_portal.sandbox.mail_sink import MailSink
from khalti_portal.sandbox.mailbox import create_mailbox_app
from khalti_portal.sandbox.store import EmulatorStore

__all__ = ["EmulatorStore", "MailSink", "create_emulator_app", "create_mailbox_app"]
