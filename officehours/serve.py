"""`officehours serve`: the database, then every installed service, until Ctrl-C."""

from __future__ import annotations

import os
import signal
import sys
import threading

from officehours import demo
from officehours.runtime import database
from officehours.services import Service, discover
from officehours.settings import Settings


def serve(settings: Settings, *, demo_if_empty: bool = False) -> int:
    """Runs the booking site, CalDAV and the mailer (whichever are installed) until SIGINT or
    SIGTERM, then stops them and the embedded PostgreSQL it started."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with database(settings, announce=True) as db:
        os.environ["DATABASE_URL"] = db.url
        if demo_if_empty and demo.is_empty(db):
            made = demo.seed(db)
            print(f"Seeded the demo. Sign in with any of these, password {made.password!r}:")
            for email, name, role in made.logins:
                print(f"  {email:<20} {name} ({role})")
            print(f"  CalDAV app password for maya@example.com: {made.coach_app_password}")
        started: list[Service] = []
        try:
            for factory in discover().values():
                service = factory(settings, db)
                service.start()
                started.append(service)
                print(f"  {service.describe()}")
            if not started:
                print("No services are installed; the database is ready.", file=sys.stderr)
            print("Press Ctrl-C to stop.", flush=True)
            stop.wait()
        finally:
            for service in reversed(started):
                service.stop()
            print("Stopped.", file=sys.stderr)
    return 0
