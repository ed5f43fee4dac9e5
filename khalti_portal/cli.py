"""Command line: seed-plans, check-port, create-admin, reconcile, mail."""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from collections.abc import Sequence

from khalti_portal.config import ConfigError, get_settings


def _seed_plans(_args: argparse.Namespace) -> int:
    from khalti_portal.billing.plans import seed_demo_plans

    added = seed_demo_plans()
    print(f"seed-plans: added {added} demo plan(s)" if added else "seed-plans: catalog not empty, nothing added")
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    from khalti_portal import accounts

    existing = accounts.find_user_id(args.username)
    if existing is not None and not args.promote:
        # Whoever registered this name first must not become an admin unless the operator says so.
        print(
            f"create-admin: an account named {args.username!r} already exists and was NOT made an admin; "
            "run again with --promote if that account is yours",
            file=sys.stderr,
        )
        return 1
    password = None
    if existing is None:
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass(f"Password for new admin {args.username!r}: ")
            if getpass.getpass("Repeat the password: ") != password:
                print("create-admin: the two passwords differ; nothing was changed", file=sys.stderr)
                return 1
    try:
        _, created = accounts.make_admin(args.username, password, promote=args.promote)
    except accounts.AccountError as err:
        print(f"create-admin: {err}", file=sys.stderr)
        return 1
    verb = "created admin" if created else "promoted existing account to admin"
    print(f"create-admin: {verb} {args.username!r}")
    return 0


def port_is_free(port: int) -> bool:
    """Whether the server could bind `port` now, checked the way it binds: IPv4 and IPv6, with SO_REUSEADDR.

    SO_REUSEADDR lets a port whose last connections linger in TIME_WAIT count as free (the server binds it
    the same way), while a port that something is listening on still fails to bind.
    """
    for family in (socket.AF_INET, socket.AF_INET6):
        if not socket.has_ipv6 and family == socket.AF_INET6:
            continue
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError:  # this family is not available on the machine (no IPv6): nothing can listen there
            continue
        with sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("", port))
            except OSError:
                return False
    return True


def _check_port(args: argparse.Namespace) -> int:
    # Reflex would silently move a busy port in dev; `make run` must say so instead.
    if not port_is_free(args.port):
        print(
            f"Port {args.port} is busy: stop whatever is using it, or choose another with `make run PORT=...`.",
            file=sys.stderr,
        )
        return 1
    return 0


def _reconcile(args: argparse.Namespace) -> int:
    from khalti_portal.billing.reconcile_command import run_reconcile_command

    return run_reconcile_command(
        loop=args.loop, dry_run=args.dry_run, batch_size=args.batch_size, concurrency=args.concurrency
    )


def _mail(args: argparse.Namespace) -> int:
    from khalti_portal.mail.service import run_mail_command

    return run_mail_command(loop=args.loop)


def build_parser() -> argparse.ArgumentParser:
    """The command tree."""
    parser = argparse.ArgumentParser(prog="python -m khalti_portal", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("seed-plans", help="add the demo plans when the catalog is empty").set_defaults(func=_seed_plans)
    admin = sub.add_parser("create-admin", help="create an admin account (or promote an existing one with --promote)")
    admin.add_argument("username")
    admin.add_argument("--password-stdin", action="store_true", help="read a new account's password from stdin")
    admin.add_argument(
        "--promote", action="store_true", help="make an existing account an admin (refused without this flag)"
    )
    admin.set_defaults(func=_create_admin)
    port = sub.add_parser("check-port", help="fail when PORT is already taken")
    port.add_argument("port", type=int)
    port.set_defaults(func=_check_port)
    rec = sub.add_parser("reconcile", help="look up stale pending payments and fail stale created ones")
    mode = rec.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="one run, then exit (the default)")
    mode.add_argument("--loop", action="store_true", help="run every RECONCILE_INTERVAL_SECONDS until stopped")
    rec.add_argument("--dry-run", action="store_true", help="claim and change nothing; report what is due")
    rec.add_argument("--batch-size", type=int, default=50, help="payments claimed per batch (default 50)")
    rec.add_argument("--concurrency", type=int, default=5, help="lookups in flight at once (default 5)")
    rec.set_defaults(func=_reconcile)
    mail = sub.add_parser("mail", help="send the mail waiting in the outbox")
    when = mail.add_mutually_exclusive_group()
    when.add_argument("--once", action="store_true", help="send what is due, then exit (the default)")
    when.add_argument("--loop", action="store_true", help="keep sending every MAIL_INTERVAL_SECONDS until stopped")
    mail.set_defaults(func=_mail)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; configuration errors are one line, not a traceback."""
    args = build_parser().parse_args(argv)
    try:
        get_settings()
        return int(args.func(args))
    except ConfigError as err:
        print(f"configuration error: {err}", file=sys.stderr)
        return 2
