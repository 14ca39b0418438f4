"""``officehours caldav ...``: maintenance of the CalDAV side from the command line."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from caldav_plugin.refresh import DEFAULT_LIMIT, refresh_all
from officehours.db import Database


def _instant(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a time like 2027-03-15T09:00+00:00"
        ) from exc
    if moment.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{value!r} needs a UTC offset, like +00:00")
    return moment


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from exc
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not positive")
    return number


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _refresh_busy(args: argparse.Namespace, db: Database) -> int:
    result = refresh_all(db, args.instance_limit, now=args.now)
    print(
        f"{_plural(result.events, 'recurring busy event', 'recurring busy events')} expanded again"
        f" ({_plural(result.coaches, 'coach', 'coaches')})"
    )
    for coach, reason in result.failed.items():
        print(f"officehours caldav refresh-busy: {coach}: {reason}", file=sys.stderr)
    return 1 if result.failed else 0


def register(commands: argparse._SubParsersAction) -> None:
    """Adds ``officehours caldav`` to the command line (entry point ``officehours.commands``)."""
    parser = commands.add_parser(
        "caldav",
        help="CalDAV maintenance (refresh-busy)",
        description="Maintenance of the CalDAV calendars.",
    )
    verbs = parser.add_subparsers(dest="caldav_command", required=True, metavar="COMMAND")
    refresh = verbs.add_parser(
        "refresh-busy",
        help="extend recurring busy time to the booking horizon",
        description="Expand again the recurring events of coaches' blocking calendars whose "
        "busy time the booking horizon has reached, so they keep blocking bookings when the "
        "coach's calendar app does not connect; prints how many. `officehours serve` does "
        "this every hour; elsewhere run it from cron or a systemd timer, hourly or daily. "
        "Safe to run on several hosts at once.",
    )
    refresh.add_argument(
        "--now",
        type=_instant,
        metavar="TIME",
        help="the rules' clock, with a UTC offset (tests and demos; default: the real time)",
    )
    refresh.add_argument(
        "--instance-limit",
        type=_positive,
        default=DEFAULT_LIMIT,
        metavar="N",
        help="most busy intervals one recurring event may produce, as [storage] "
        f"busy_instance_limit (default {DEFAULT_LIMIT})",
    )
    refresh.set_defaults(run=_refresh_busy)
