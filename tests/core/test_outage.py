"""PostgreSQL stops and starts again under a running `officehours serve` with traffic flowing:
every answer meanwhile is a 503 (website, API, CalDAV, /healthz), never a 500; the first
requests after it is back succeed; mail queued before the outage is sent after it, once."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest
import requests

from officehours import accounts, booking, passwords
from officehours.db import Database
from officehours.migrations import migrate
from tests.core.serving import People, Served, basic, seed, serve_env, slots, start_serve
from tests.lib.restartable import RestartablePostgres
from tests.lib.support import NOW
from tests.mailer.sink import SmtpSink

PASSWORD = "an outage is no reason to panic"
PROPFIND = b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><displayname/></prop></propfind>'


@pytest.fixture
def postgres() -> Iterator[RestartablePostgres]:
    server = RestartablePostgres()
    yield server
    server.remove()


class Client:
    """One of each kind of request the service answers, each on a keep-alive session."""

    def __init__(self, served: Served, people: People) -> None:
        self.served = served
        self.people = people
        self.page = requests.Session()
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Bearer {people.x_clients[0].token}"
        self.dav = requests.Session()
        self.dav.headers.update(basic(people.x.email, people.x.app_password))
        self.dav.headers["Depth"] = "0"
        self.health = requests.Session()

    def sign_in(self) -> None:
        form = self.page.get(self.served.web + "/signin", timeout=10).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf
        answer = self.page.post(
            self.served.web + "/signin",
            data={
                "csrf_token": csrf[1],
                "email": self.people.x_clients[0].email,
                "password": PASSWORD,
            },
            timeout=10,
            allow_redirects=False,
        )
        assert answer.status_code == 303, answer.text

    def kinds(self) -> dict[str, Callable[[], requests.Response]]:
        web, dav = self.served.web, self.served.caldav
        return {
            "page": lambda: self.page.get(web + "/book", timeout=20, allow_redirects=False),
            "api": lambda: self.api.get(web + "/api/v1/me", timeout=20),
            "caldav": lambda: self.dav.request(
                "PROPFIND", f"{dav}/{self.people.x.slug}/", data=PROPFIND, timeout=20
            ),
            "healthz": lambda: self.health.get(web + "/healthz", timeout=20),
        }

    def round(self) -> dict[str, requests.Response]:
        """One request of each kind."""
        return {name: send() for name, send in self.kinds().items()}


OK = {"page": 200, "api": 200, "caldav": 207, "healthz": 200}


def queue_mail_and_hold_it(database_url: str, people: People) -> psycopg2.extensions.connection:
    """Books a call (its two mails enter the outbox) and locks those mails in a transaction
    left open, so the mailer (which skips locked mail) cannot send them before the outage.
    The outage ends that transaction."""
    db = Database(database_url, max_connections=1)
    try:
        booking.book(db, people.x_clients[0].slug, people.x_clients[0].slug, slots(1)[0], now=NOW)
    finally:
        db.close()
    holder = psycopg2.connect(database_url)
    with holder.cursor() as cur:
        # The booking mails; the call's reminders wait for their own time.
        cur.execute(
            "SELECT public_id FROM mail_outbox WHERE state = 'pending' AND kind <> 'reminder' "
            "FOR UPDATE"
        )
        assert len(cur.fetchall()) == 2
    return holder


def test_an_outage_is_503_everywhere_then_everything_works_and_mail_goes_once(
    postgres: RestartablePostgres, tmp_path: Path
) -> None:
    migrate(postgres.url)
    people = seed(postgres.url, x_clients=1, y_clients=0)
    owner = Database(postgres.url, max_connections=1)
    accounts.set_password_hash(
        owner, None, people.x_clients[0].slug, passwords.hash_password(PASSWORD)
    )
    owner.close()
    holder = queue_mail_and_hold_it(postgres.url, people)
    sink = SmtpSink().start()
    env = serve_env(tmp_path, postgres.url, SMTP_URL=sink.url)
    served = start_serve(env)
    seen: Counter[str] = Counter()
    stop_traffic = threading.Event()

    other = Client(served, people)

    def traffic() -> None:
        """Requests all along, from another client: none may fail other than with a 503."""
        while not stop_traffic.is_set():
            for name, send in other.kinds().items():
                try:
                    seen[f"{name} {send().status_code}"] += 1
                except requests.RequestException as exc:
                    seen[f"{name} {type(exc).__name__}"] += 1

    background = threading.Thread(target=traffic)
    try:
        client = Client(served, people)
        client.sign_in()
        other.sign_in()
        before = client.round()
        assert {k: r.status_code for k, r in before.items()} == OK
        background.start()
        assert sink.received == []  # the queued mail is held

        postgres.stop()
        holder.close()
        outage = [client.round() for _ in range(3)]
        for answers in outage:
            assert {k: r.status_code for k, r in answers.items()} == dict.fromkeys(OK, 503)
            assert all(int(r.headers["Retry-After"]) > 0 for r in answers.values())
            assert answers["api"].headers["Content-Type"] == "application/problem+json"
            assert answers["api"].json()["code"] == "database_unavailable"
            assert "try again in a minute" in answers["page"].text.lower()
        assert sink.received == []

        postgres.start()
        after = client.round()  # the very first requests after the restart
        assert {k: r.status_code for k, r in after.items()} == OK
        assert after["api"].json()["slug"] == people.x_clients[0].slug

        mail = sink.wait_for(2, timeout=30)
        time.sleep(1.0)  # time enough for a repeat, were there one
        ids = Counter(m.message["Message-ID"] for m in sink.received)
        assert len(mail) == 2 and len(ids) == 2 and set(ids.values()) == {1}
    finally:
        stop_traffic.set()
        if background.is_alive():
            background.join(timeout=60)
        holder.close()
        status = served.stop()
        sink.stop()
    failures = {k: v for k, v in seen.items() if not re.search(r" (200|207|503)$", k)}
    assert failures == {}, seen
    assert any(k.endswith(" 503") for k in seen), seen  # the traffic did meet the outage
    assert status == 0, served.printed()
