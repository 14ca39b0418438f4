"""``officehours mailer`` / ``python -m mailer``: the mailer as a process of its own.

Production runs one or more of these (on one host or several) beside the web servers; they
share the outbox safely. SIGTERM or SIGINT lets the mail in hand finish, then exits 0.
``officehours mailer status`` shows the outbox: how many mails are in each state, and the last
errors.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from types import FrameType
from typing import Any

from mailer import account_mail
from mailer.service import build_loop
from officehours import sqlfiles
from officehours.db import Database
from officehours.settings import Settings

Q: sqlfiles.Queries = sqlfiles.load(__name__)

log = logging.getLogger(__name__)


def run(settings: Settings, db: Database, *, once: bool = False, poll_seconds: float = 5.0) -> int:
    """Sends mail until SIGTERM or SIGINT (or, with ``once``, until nothing is due).

    Signal handlers are installed only when called from the main thread.
    Returns the exit status (0).

    Raises:
        ValueError: if SMTP_URL or OFFICEHOURS_BASE_URL is malformed.
        psycopg2.Error: with ``once``, when the database cannot be reached.
    """
    loop = build_loop(settings, db, poll_seconds=poll_seconds)
    log.info("mailer %s", loop.mailer.transport.describe())
    if once:
        outcomes = loop.mailer.deliver_due()
        outcomes += account_mail.deliver_due(loop.mailer)
        log.info("%d mail(s) handled", len(outcomes))
        return 0

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("stopping on %s", signal.Signals(signum).name)
        loop.stop()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    loop.run()
    return 0


def status(db: Database, *, errors: int = 10, now: datetime | None = None) -> str:
    """The state of the outbox as ``officehours mailer status`` prints it: how much mail is due
    and not yet sent, and how much was sent, failed or superseded in the last 24 hours (never a
    count of all the mail kept), then the last ``errors`` mails that failed or wait for a retry,
    with their error; then the same of password-link mail (account_mail), never its link or
    secret. ``now`` is the rules' clock (OFFICEHOURS_CLOCK; None: the database's).

    Raises:
        psycopg2.Error: when the database cannot be reached.
    """
    lines: list[str] = []
    with db.transaction(now=now) as cur:
        for outbox, prefix in (("calls", ""), ("accounts", "password-link ")):
            cur.execute(Q.mail_counts, {"outbox": outbox})
            counts = cur.fetchall()
            cur.execute(Q.mail_errors, {"limit": errors, "outbox": outbox})
            failures = [
                (public_id, f"{kind} mail to {'' if role is None else f'the {role} '}{slug}", *rest)
                for public_id, kind, role, slug, *rest in cur.fetchall()
            ]
            lines += _section(prefix, counts, failures, errors)
    return "\n".join(lines)


def _section(prefix: str, counts: list[Any], failures: list[Any], errors: int) -> list[str]:
    """The lines of one outbox (``prefix`` names it): its count by state, then its failures
    (public id, whose mail, state, attempts, error, finished, next try)."""
    by_state = dict(counts)
    lines = [
        f"{prefix}mail due and not yet sent: {by_state.pop('pending', 0)}; in the last 24 hours: "
        + ", ".join(f"{state} {count}" for state, count in by_state.items())
    ]
    if not failures:
        lines.append(f"no {prefix}mail failed or waits for a retry")
    else:
        lines.append(f"last {prefix}errors (newest first, at most {errors}):")
    for public_id, whose, state, attempts, error, finished, retry in failures:
        when = (
            f"failed {finished:%Y-%m-%d %H:%M %Z}"
            if state == "failed"
            else (f"pending, next try {retry:%Y-%m-%d %H:%M %Z}")
        )
        tries = f"{attempts} attempt{'' if attempts == 1 else 's'}"
        lines.append(f"  {public_id}  {whose}: {when}, {tries}")
        lines.append(f"    {error}")
    return lines


def _status_count(value: str) -> int:
    count = int(value)
    if not 0 <= count <= 100:
        raise argparse.ArgumentTypeError("give 0 to 100")
    return count


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true", help="send what is due, then exit")
    parser.add_argument(
        "--poll", type=float, default=5.0, metavar="SECONDS", help="look for due mail this often"
    )
    verbs = parser.add_subparsers(dest="mailer_verb", metavar="VERB")
    shown = verbs.add_parser(
        "status",
        help="the mail due, the mail of the last 24 hours by state, and the last errors",
        description="Show how many mails are due and not yet sent, how many were sent, failed "
        "or superseded in the last 24 hours, and the last mails that failed or wait for a "
        "retry, with their error; the same for password-link mail.",
    )
    shown.add_argument(
        "--errors",
        type=_status_count,
        default=10,
        metavar="N",
        help="how many of the last errors to show (0 to 100, default 10)",
    )


def register(commands: argparse._SubParsersAction) -> None:
    """Adds ``officehours mailer`` to the command line (entry point ``officehours.commands``)."""
    parser = commands.add_parser(
        "mailer",
        help="send the mail in the outbox until stopped",
        description="Send the mail in the outbox (SMTP_URL, or .eml files in "
        "OFFICEHOURS_OUTBOX_DIR) until stopped.",
    )
    _add_options(parser)

    def handler(args: argparse.Namespace, db: Database) -> int:
        if args.mailer_verb == "status":
            print(status(db, errors=args.errors, now=args.settings.clock))
            return 0
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        return run(args.settings, db, once=args.once, poll_seconds=args.poll)

    parser.set_defaults(run=handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m mailer``; needs DATABASE_URL. Returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="officehours mailer",
        description="Send the mail in the outbox (SMTP_URL, or .eml files in "
        "OFFICEHOURS_OUTBOX_DIR) until stopped.",
    )
    _add_options(parser)
    args = parser.parse_args(argv)
    if args.mailer_verb is None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        parser.error(str(exc))
    if not settings.database_url:
        parser.error("set DATABASE_URL (`officehours mailer` can also use the embedded server)")
    db = Database(settings.database_url, max_connections=2)
    try:
        if args.mailer_verb == "status":
            print(status(db, errors=args.errors, now=settings.clock))
            return 0
        return run(settings, db, once=args.once, poll_seconds=args.poll)
    except ValueError as exc:
        print(f"officehours mailer: {exc}", file=sys.stderr)
        return 2
    finally:
        db.close()
