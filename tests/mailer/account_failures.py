"""Password-link mail that failed: one given up, one pending a retry, as the mailer records it."""

from __future__ import annotations

from datetime import timedelta

from officehours import password_links
from officehours.db import one
from officehours.password_links import Kind
from tests.lib.support import NOW, World


def fail_link_mail(world: World) -> tuple[str, str, list[str]]:
    """A's reset mail is refused for good, B's welcome waits for a retry. Returns the public ids
    of the failed and the retried mail, and every link secret the outbox held in clear."""
    secrets: list[str] = []
    ids: list[str] = []
    cases: tuple[tuple[str, Kind, str, bool], ...] = (
        (world.a, "password_reset", "SMTPRecipientsRefused: 550 no such user", True),
        (world.b, "welcome", "SMTPDataError: (451, b'try again')", False),
    )
    for who, kind, error, give_up in cases:
        password_links.send_link(world.db, None, who, kind, now=NOW)
        with world.db.transaction(now=NOW) as cur:
            cur.execute("SELECT public_id, link_secret FROM account_mail_claim()")
            public_id, secret = one(cur)
            cur.execute(
                "SELECT account_mail_attempt_failed(%s, %s, %s, %s)",
                (public_id, error, timedelta(minutes=5), give_up),
            )
        secrets.append(str(secret))
        ids.append(str(public_id))
    # And a third, still pending with its secret in clear, never tried.
    password_links.send_link(world.db, None, world.c, "welcome", now=NOW)
    with world.db.transaction() as cur:
        cur.execute("SELECT link_secret FROM account_mail WHERE link_secret IS NOT NULL")
        secrets += [str(s) for (s,) in cur.fetchall()]
    return ids[0], ids[1], list(dict.fromkeys(secrets))
