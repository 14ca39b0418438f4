"""TLS and login against real SMTP servers: STARTTLS, SMTPS and AUTH, with certificates from a
CA made for the test run, trusted the way a deployment trusts a private CA (SSL_CERT_FILE)."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import trustme

from mailer.compose import Composer
from mailer.outbox import Mailer
from mailer.transport import (
    ServerUnavailable,
    SmtpTransport,
    SmtpUrl,
    may_send_password_in_clear,
)
from officehours import booking
from officehours.db import Database
from tests.lib.support import NOW, World
from tests.mailer.helpers import BASE_URL, MAIL_FROM, local
from tests.mailer.sink import Login, SmtpSink

WED_9_LA = local(2, "09:00", "America/Los_Angeles")
USER, PASSWORD = "mailer@example.org", "correct horse: battery staple"


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def server_cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("127.0.0.1", "localhost")


@pytest.fixture
def trust(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Makes this process trust ``ca`` (alone) through SSL_CERT_FILE, as a deployment would."""
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "no-such-folder"))
    return pem


def server_context(cert: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context


MakeSink = Callable[..., SmtpSink]


@pytest.fixture
def make_sink(server_cert: trustme.LeafCert) -> Iterator[MakeSink]:
    """Starts SMTP servers: ``mode`` "starttls" (STARTTLS required), "smtps" (TLS from the
    start) or "plain"; ``cert`` the server's certificate; ``users`` the logins it accepts."""
    started: list[SmtpSink] = []

    def make(
        mode: str,
        cert: trustme.LeafCert | None = None,
        users: dict[str, str] | None = None,
    ) -> SmtpSink:
        context = server_context(cert or server_cert)
        if mode == "starttls":
            sink = SmtpSink(tls_context=context, require_starttls=True, users=users)
        elif mode == "smtps":
            # aiosmtpd counts only STARTTLS as TLS for AUTH; this connection is TLS throughout.
            sink = SmtpSink(ssl_context=context, users=users, auth_require_tls=False)
        else:
            sink = SmtpSink(users=users, auth_require_tls=False)
        started.append(sink.start())
        return sink

    yield make
    for sink in started:
        sink.stop()


def mailer_for(db: Database, url: str, clock: datetime | None = None) -> Mailer:
    return Mailer(
        db,
        SmtpTransport(SmtpUrl.parse(url), timeout=10),
        Composer(BASE_URL, MAIL_FROM),
        clock=lambda: clock or NOW,
    )


def outbox(db: Database) -> list[tuple[str, str, int, str | None]]:
    with db.transaction() as cur:
        cur.execute(
            "SELECT recipient, state, attempts, last_error FROM mail_outbox"
            " WHERE kind = 'booked' ORDER BY recipient"
        )
        return list(cur.fetchall())


def a_message() -> EmailMessage:
    msg = EmailMessage()
    msg["Message-ID"] = "<tls-test@example.org>"
    msg.set_content("hello")
    return msg


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_login_over_verified_tls_delivers(
    db: Database, world: World, trust: Path, make_sink: MakeSink, mode: str
) -> None:
    sink = make_sink(mode, users={USER: PASSWORD})
    booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    outcomes = mailer_for(db, sink.url_for(USER, PASSWORD)).deliver_due()
    assert [o.state for o in outcomes] == ["sent", "sent"]
    got = sink.wait_for(2)
    assert sorted(r.rcpt_tos[0] for r in got) == ["a@example.com", "x@example.com"]
    assert all(r.tls and r.login == USER for r in got)
    # One session for the run, its login over TLS.
    assert sink.logins == [Login(USER, accepted=True, tls=True)]
    assert [state for _, state, _, _ in outbox(db)] == ["sent", "sent"]


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
@pytest.mark.parametrize("why", ["unknown CA", "other host name", "system CAs only"])
def test_an_untrusted_certificate_is_refused_and_nothing_is_sent(
    db: Database,
    world: World,
    ca: trustme.CA,
    trust: Path,
    make_sink: MakeSink,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    why: str,
) -> None:
    if why == "unknown CA":
        cert = trustme.CA().issue_cert("127.0.0.1", "localhost")
    elif why == "other host name":
        cert = ca.issue_cert("mail.example.org")
    else:
        cert = None
        monkeypatch.delenv("SSL_CERT_FILE")
        monkeypatch.delenv("SSL_CERT_DIR")
    sink = make_sink(mode, cert=cert, users={USER: PASSWORD})
    booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    mailer = mailer_for(db, sink.url_for(USER, PASSWORD))
    outcomes = mailer.deliver_due()
    assert [(o.recipient, o.state) for o in outcomes] == [("client", "pending")]
    error = str(outcomes[0].error)
    assert error.startswith("ServerUnavailable:") and "CERTIFICATE_VERIFY_FAILED" in error
    if why == "other host name":
        assert "IP address mismatch" in error
    assert PASSWORD not in error
    # The password never went to the server, and nothing was accepted or marked sent.
    assert sink.logins == [] and sink.received == []
    (client, coach) = outbox(db)
    assert client[:3] == ("client", "pending", 1) and client[3] == error
    assert coach == ("coach", "pending", 0, None)


def test_starttls_never_falls_back_to_plain_text(trust: Path) -> None:
    # No login to protect: the message itself must still not go out over an unverified link.
    sink = SmtpSink(tls_context=server_context(trustme.CA().issue_cert("127.0.0.1"))).start()
    try:
        transport = SmtpTransport(SmtpUrl.parse(sink.url), timeout=10)
        with pytest.raises(ServerUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
            transport.send(a_message(), sender="s@example.org", recipient="r@example.org")
        transport.close()
        assert sink.received == []
    finally:
        sink.stop()


def test_a_wrong_password_is_reported_and_pauses_the_mailer(
    db: Database, world: World, trust: Path, make_sink: MakeSink
) -> None:
    sink = make_sink("starttls", users={USER: PASSWORD})
    booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    clock = NOW
    mailer = mailer_for(db, sink.url_for(USER, "wrong password"), clock=clock)
    outcomes = mailer.deliver_due()
    assert [(o.recipient, o.state) for o in outcomes] == [("client", "pending")]
    (client, coach) = outbox(db)
    assert client[:3] == ("client", "pending", 1)
    assert f"the login of {USER!r} was refused: 535" in str(client[3])
    assert "wrong password" not in str(client[3])
    tried = list(sink.logins)  # smtplib tries each mechanism the server offers
    assert tried and set(tried) == {Login(USER, accepted=False, tls=True)}
    # The mailer waits before trying the server again: the coach's mail keeps all its
    # attempts, and the server was offered the wrong password in one session, not one per mail.
    assert mailer.paused and mailer.deliver_due() == []
    assert coach == ("coach", "pending", 0, None)
    assert sink.logins == tried
    assert sink.received == []
    # With the password corrected, everything queued goes out.
    later = clock + timedelta(minutes=1)
    fixed = mailer_for(db, sink.url_for(USER, PASSWORD), clock=later).deliver_due()
    assert sorted((o.recipient, o.state) for o in fixed) == [
        ("client", "sent"),
        ("coach", "sent"),
    ]
    assert len(sink.wait_for(2)) == 2


def test_an_unreachable_server_pauses_the_mailer_too(db: Database, world: World) -> None:
    sink = SmtpSink().start()
    url = sink.url
    sink.stop()  # nothing listens on that port any more
    booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    mailer = mailer_for(db, url)
    outcomes = mailer.deliver_due()
    assert [(o.recipient, o.state) for o in outcomes] == [("client", "pending")]
    assert "ConnectionRefusedError" in str(outcomes[0].error)
    assert mailer.paused and mailer.deliver_due() == []
    assert outbox(db)[1] == ("coach", "pending", 0, None)


def test_a_loopback_relay_may_take_the_login_without_tls(
    db: Database, world: World, make_sink: MakeSink
) -> None:
    sink = make_sink("plain", users={USER: PASSWORD})
    booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    outcomes = mailer_for(db, sink.url_for(USER, PASSWORD)).deliver_due()
    assert [o.state for o in outcomes] == ["sent", "sent"]
    assert sink.logins == [Login(USER, accepted=True, tls=False)]


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("192.0.2.25", False),
        ("10.0.0.1", False),
        ("2001:db8::25", False),
        ("::ffff:192.0.2.25", False),
        ("fe80::1%eth0", False),
        ("::", False),
        ("localhost", False),  # a name, not where the connection went
        ("", False),
    ],
)
def test_the_password_goes_in_clear_only_to_loopback(address: str, allowed: bool) -> None:
    assert may_send_password_in_clear(address) is allowed
