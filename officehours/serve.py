"""`officehours serve`: the database, then every installed service, until SIGINT or SIGTERM."""

from __future__ import annotations

import os
import resource
import sys

from officehours import demo
from officehours.db import Database
from officehours.runtime import database_url, service_pool
from officehours.services import Service, discover
from officehours.settings import Settings
from officehours.signals import StopSignals

# The mailer sends one message at a time and needs no more. The website and CalDAV get a
# connection for each request thread (see ``pool_size``).
POOL_SIZES = {"mailer": 2}


def pool_size(settings: Settings, service: str) -> int:
    """How many connections the pool of ``service`` may open: one per request thread at least,
    so that a request never waits for a connection of its own service (a dozen requests
    waiting for one coach's lock leave the other threads their connections)."""
    return POOL_SIZES.get(service, max(settings.pool_size, settings.threads))


def _allow_many_sockets() -> None:
    """Raises the soft limit on open files to the hard one: every connection a server keeps
    open is a descriptor, and the default soft limit is often 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _print_logins(logins: list[tuple[str, str, str]]) -> None:
    for email, name, role in logins:
        print(f"  {email:<20} {name} ({role})")


def _seed_demo_if_empty(url: str) -> None:
    """Seeds the demo into an empty database and prints how to sign in; on a database that
    already holds the demo, prints the logins again (every run, not only the first)."""
    owner = Database(url, max_connections=2)
    try:
        if demo.is_empty(owner):
            made = demo.seed(owner)
            print(f"Seeded the demo. Sign in with any of these, password {made.password!r}:")
            _print_logins(made.logins)
            print(f"  CalDAV app password for maya@example.com: {made.coach_app_password}")
        elif logins := demo.logins_in_use(owner):
            print(f"The demo is in use. Sign in with any of these, password {demo.PASSWORD!r}:")
            _print_logins(logins)
            # Only a hash of the app password is kept, so it cannot be shown again.
            print("  CalDAV app passwords: make one on the Calendar page of maya@example.com.")
    finally:
        owner.close()


def serve(settings: Settings, *, demo_if_empty: bool = False) -> int:
    """Runs the booking site, CalDAV and the mailer (whichever are installed), each on a pool
    of its own, until SIGINT or SIGTERM; then lets the requests in flight finish, stops them
    and the embedded PostgreSQL it started."""
    # From here on Ctrl-C is noted, not acted on, until every service has started.
    stop = StopSignals()
    _allow_many_sockets()
    with database_url(settings, announce=True) as url:
        os.environ["DATABASE_URL"] = url
        if demo_if_empty:
            _seed_demo_if_empty(url)
        started: list[Service] = []
        pools: list[Database] = []
        try:
            for name, factory in discover().items():
                pool = service_pool(settings, url, name, pool_size(settings, name))
                pools.append(pool)
                service = factory(settings, pool)
                service.start()
                started.append(service)
                print(f"  {service.describe()}")
            if not started:
                print("No services are installed; the database is ready.", file=sys.stderr)
            print("Press Ctrl-C to stop.", flush=True)
            stop.wait()
            print("Stopping: finishing the requests in hand.", file=sys.stderr, flush=True)
        finally:
            for service in reversed(started):
                service.stop()
            for pool in pools:
                pool.close()
            print("Stopped.", file=sys.stderr)
    stop.close()
    return 0
