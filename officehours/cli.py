"""The `officehours` command line."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from importlib.metadata import entry_points
from zoneinfo import ZoneInfo

from officehours import accounts, booking, demo, errors, inputs, retention
from officehours.db import Database
from officehours.hours import format_rules, parse_rule, parse_span
from officehours.passwords import WeakPassword, hash_password
from officehours.runtime import database
from officehours.settings import Settings, parse_address

Handler = Callable[[argparse.Namespace, Database], int]


def _address(name: str) -> Callable[[str], tuple[str, int]]:
    def parse(value: str) -> tuple[str, int]:
        try:
            return parse_address(value, name)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc

    return parse


def _date(value: str) -> date:
    try:
        return inputs.parse_date(value, "date")
    except errors.InvalidInput as exc:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date like 2027-03-14, {inputs.YEARS}"
        ) from exc


def _when(value: str) -> datetime:
    try:
        return inputs.parse_datetime(value, "start")
    except errors.InvalidInput as exc:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a time like 2027-03-15T09:00 or 2027-03-15T09:00-07:00"
        ) from exc


def _instant(db: Database, value: datetime, zone: str) -> datetime:
    """A time from the command line: as given with an offset, else local to ``zone``."""
    if value.utcoffset() is not None:
        return value
    return booking.local_to_instant(db, value, zone)


def _user_add(args: argparse.Namespace, db: Database) -> int:
    password_hash = None
    if args.password is not None:
        password_hash = hash_password(args.password, user_inputs=(args.email, args.name))
    # Without a password the new user is mailed a link to set one: no account needs this
    # command line to sign in.
    print(
        accounts.add_user(
            db, None, args.email, args.name, args.role, args.tz, password_hash, welcome=True
        )
    )
    return 0


def _user_list(args: argparse.Namespace, db: Database) -> int:
    for u in accounts.list_users(db, None, args.role):
        print(
            f"{u.slug}\t{u.email}\t{u.name}\t{u.role}\t{u.time_zone}\t"
            f"{'active' if u.active else 'inactive'}"
        )
    return 0


def _user_active(active: bool) -> Handler:
    def handler(args: argparse.Namespace, db: Database) -> int:
        accounts.set_active(db, None, args.email, active)
        return 0

    return handler


def _user_password(args: argparse.Namespace, db: Database) -> int:
    who = accounts.get_user(db, None, args.email)
    password_hash = hash_password(args.password, user_inputs=(who.email, who.name))
    accounts.set_password_hash(db, None, who.slug, password_hash)
    return 0


def _coach_assign(args: argparse.Namespace, db: Database) -> int:
    accounts.assign_coach(db, None, args.client, args.coach)
    return 0


def _hours_set(args: argparse.Namespace, db: Database) -> int:
    rules = [rule for text in args.rules for rule in parse_rule(text)]
    accounts.set_office_hours(db, None, args.coach, rules)
    return 0


def _hours_show(args: argparse.Namespace, db: Database) -> int:
    for line in format_rules(accounts.office_hours(db, None, args.coach)):
        print(line)
    return 0


def _hours_except(args: argparse.Namespace, db: Database) -> int:
    if args.span == "off":
        accounts.add_exception(db, None, args.coach, args.date)
    else:
        start, end = parse_span(args.span)
        accounts.add_exception(db, None, args.coach, args.date, start, end)
    return 0


def _hours_clear(args: argparse.Namespace, db: Database) -> int:
    print(f"removed {accounts.clear_exceptions(db, None, args.coach, args.date)} exception(s)")
    return 0


def _rules_show(args: argparse.Namespace, db: Database) -> int:
    for rule in accounts.rules(db, None, args.coach):
        mark = " (override)" if rule.overridden else ""
        print(f"{rule.name:<16} {rule.text}{mark}\t{rule.description}")
    return 0


def _rules_set(args: argparse.Namespace, db: Database) -> int:
    accounts.set_rule(db, None, args.name, args.value, args.coach)
    return 0


def _rules_unset(args: argparse.Namespace, db: Database) -> int:
    accounts.unset_rule(db, None, args.name, args.coach)
    return 0


def _token_create(args: argparse.Namespace, db: Database) -> int:
    print(accounts.create_api_token(db, None, args.email, args.label)[1])
    return 0


def _app_password_create(args: argparse.Namespace, db: Database) -> int:
    print(accounts.create_app_password(db, None, args.email, args.label)[1])
    return 0


def _book(args: argparse.Namespace, db: Database) -> int:
    client = accounts.get_user(db, None, args.client)
    start = _instant(db, args.start, client.time_zone)
    a = booking.book(db, client.slug, client.slug, start)
    zone = ZoneInfo(client.time_zone)
    print(f"{a.token}\t{a.start.astimezone(zone):%Y-%m-%d %H:%M} {client.time_zone}")
    return 0


def _slots(args: argparse.Namespace, db: Database) -> int:
    client = accounts.get_user(db, None, args.client)
    zone = ZoneInfo(client.time_zone)
    start = datetime.combine(args.start, time(0), zone)
    end = datetime.combine(args.end + timedelta(days=1), time(0), zone)
    for slot in booking.free_slots(db, client.slug, booking.coach_of(db, client.slug), start, end):
        print(f"{slot.start.astimezone(zone).isoformat()} {client.time_zone}")
    return 0


def _demo(args: argparse.Namespace, db: Database) -> int:
    made = demo.seed(db)
    print(f"Password for every demo account: {made.password}")
    for email, name, role in made.logins:
        print(f"{email}\t{name}\t{role}")
    print(f"CalDAV app password for maya@example.com: {made.coach_app_password}")
    return 0


def _prune(args: argparse.Namespace, db: Database) -> int:
    done = retention.prune(db)
    print(f"Deleted {done.mail} finished mails and {done.calls} ended calls.")
    print(f"Forgot {done.changes} CalDAV tombstones and {done.sign_ins} stale sign-in counters.")
    print(f"Deleted {done.links} password links that were over, with their mail.")
    return 0


def _migrate(args: argparse.Namespace, db: Database) -> int:
    print("The database is up to date.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    p = argparse.ArgumentParser(prog="officehours", description="Coach booking with office hours.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("serve", help="run the database, booking site, CalDAV and mailer")
    s.add_argument(
        "--web",
        type=_address("--web"),
        metavar="HOST:PORT",
        help="address of the booking site (default 127.0.0.1:8000)",
    )
    s.add_argument(
        "--caldav",
        type=_address("--caldav"),
        metavar="HOST:PORT",
        help="address of the CalDAV server (default 127.0.0.1:5232)",
    )
    s.add_argument(
        "--demo-if-empty", action="store_true", help="seed the demo when the database has no users"
    )
    sub.add_parser("migrate", help="apply the database migrations").set_defaults(run=_migrate)
    sub.add_parser(
        "prune", help="delete finished mail and ended calls past the retention rules"
    ).set_defaults(run=_prune)

    user = sub.add_parser("user", help="manage users").add_subparsers(dest="verb", required=True)
    u = user.add_parser("add", help="create a user and print the slug")
    u.add_argument("email")
    u.add_argument("--name", required=True)
    u.add_argument("--role", required=True, choices=("client", "coach", "admin"))
    u.add_argument("--tz", required=True, help="IANA time zone, e.g. Europe/London")
    u.add_argument(
        "--password",
        help="website password (12 to 256 characters, not easy to guess); without it the user"
        " is mailed a link to set one",
    )
    u.set_defaults(run=_user_add)
    u = user.add_parser("list", help="list users")
    u.add_argument("--role", choices=("client", "coach", "admin"))
    u.set_defaults(run=_user_list)
    for verb, active in (("deactivate", False), ("activate", True)):
        u = user.add_parser(verb, help=f"{verb} a user")
        u.add_argument("email")
        u.set_defaults(run=_user_active(active))
    u = user.add_parser(
        "password", help="set a user's website password (ending their website sessions)"
    )
    u.add_argument("email")
    u.add_argument("password")
    u.set_defaults(run=_user_password)

    coach = sub.add_parser("coach", help="coaching assignments").add_subparsers(
        dest="verb", required=True
    )
    c = coach.add_parser("assign", help="make COACH_EMAIL the coach of CLIENT_EMAIL")
    c.add_argument("client", metavar="CLIENT_EMAIL")
    c.add_argument("coach", metavar="COACH_EMAIL")
    c.set_defaults(run=_coach_assign)

    hours = sub.add_parser("hours", help="office hours").add_subparsers(dest="verb", required=True)
    h = hours.add_parser("set", help="replace weekly hours, e.g. 'mon-fri 09:00-17:00'")
    h.add_argument("coach", metavar="COACH_EMAIL")
    h.add_argument(
        "rules", nargs="+", metavar="RULE", help="'DAYS HH:MM-HH:MM' in the coach's zone"
    )
    h.set_defaults(run=_hours_set)
    h = hours.add_parser("show", help="show weekly hours")
    h.add_argument("coach", metavar="COACH_EMAIL")
    h.set_defaults(run=_hours_show)
    h = hours.add_parser("except", help="a day off or that day's hours")
    h.add_argument("coach", metavar="COACH_EMAIL")
    h.add_argument("date", type=_date, metavar="DATE")
    h.add_argument("span", nargs="?", default="off", metavar="HH:MM-HH:MM|off")
    h.set_defaults(run=_hours_except)
    h = hours.add_parser("clear", help="remove a date's exceptions")
    h.add_argument("coach", metavar="COACH_EMAIL")
    h.add_argument("date", type=_date, metavar="DATE")
    h.set_defaults(run=_hours_clear)

    rules = sub.add_parser("rules", help="business rules").add_subparsers(
        dest="verb", required=True
    )
    r = rules.add_parser("show", help="show the rules (for one coach with --coach)")
    r.add_argument("--coach", metavar="COACH_EMAIL")
    r.set_defaults(run=_rules_show)
    r = rules.add_parser("set", help="set a rule, e.g. minimum_notice '24 hours'")
    r.add_argument("name")
    r.add_argument("value")
    r.add_argument("--coach", metavar="COACH_EMAIL", help="override for one coach")
    r.set_defaults(run=_rules_set)
    r = rules.add_parser("unset", help="remove a coach's override")
    r.add_argument("name")
    r.add_argument("--coach", metavar="COACH_EMAIL", required=True)
    r.set_defaults(run=_rules_unset)

    for name, handler, what in (
        ("token", _token_create, "an API token"),
        ("app-password", _app_password_create, "a CalDAV app password"),
    ):
        group = sub.add_parser(name, help=what).add_subparsers(dest="verb", required=True)
        t = group.add_parser("create", help=f"create and print {what}")
        t.add_argument("email")
        t.add_argument("--label", default="", help="what it is for")
        t.set_defaults(run=handler)

    b = sub.add_parser("book", help="book a call for a client")
    b.add_argument("client", metavar="CLIENT_EMAIL")
    b.add_argument(
        "start",
        type=_when,
        metavar="START",
        help="ISO 8601; without an offset, in the client's zone",
    )
    b.set_defaults(run=_book)
    sl = sub.add_parser("slots", help="list a client's bookable slots")
    sl.add_argument("client", metavar="CLIENT_EMAIL")
    sl.add_argument("--from", dest="start", type=_date, required=True, metavar="DATE")
    sl.add_argument("--to", dest="end", type=_date, required=True, metavar="DATE")
    sl.set_defaults(run=_slots)
    sub.add_parser("demo", help="create the demo coach, clients and bookings").set_defaults(
        run=_demo
    )
    # Commands of the other parts (e.g. `officehours mailer`) come from their entry points.
    for ep in sorted(entry_points(group="officehours.commands"), key=lambda e: e.name):
        try:
            register = ep.load()
        except ModuleNotFoundError as exc:
            if exc.name != ep.module:
                raise
            continue  # that part is not installed
        register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command; returns the exit status (2 for bad arguments, 1 for a refused request)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        parser.error(str(exc))
    if args.command == "serve":
        from officehours.serve import serve

        if args.web:
            settings = dataclasses.replace(settings, web=args.web)
        if args.caldav:
            settings = dataclasses.replace(settings, caldav=args.caldav)
        return serve(settings, demo_if_empty=args.demo_if_empty)
    args.settings = settings
    try:
        with database(settings) as db:
            return int(args.run(args, db))
    except errors.OfficeHoursError as exc:
        print(f"officehours: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except (ValueError, WeakPassword) as exc:
        print(f"officehours: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())


def reference() -> str:
    """Every command's --help, as Markdown (docs/cli.md is made from it)."""
    import os

    parts = ["# The `officehours` command line\n\n", "Made from `officehours ... --help`.\n"]

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        parts.append(f"\n## `{name}`\n\n```\n{parser.format_help().rstrip()}\n```\n")
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    walk(sub, f"{name} {sub_name}")

    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal; the docs want one width
    try:
        walk(build_parser(), "officehours")
    finally:
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns
    return "".join(parts)
