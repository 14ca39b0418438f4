"""History lists, reasons on the coach's and admin's forms, and the admin's bookings list."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from booking_web import admin_bookings
from officehours import booking
from officehours.db import one
from tests.lib.support import NOW, World, moved
from tests.web.test_call_lists import appointment_scans

TUESDAY = moved(datetime.fromisoformat("2027-01-05T17:00:00+00:00"))  # 09:00 in Los Angeles
WEDNESDAY = TUESDAY + timedelta(days=1)


def history_rows(world: World) -> list[tuple[Any, ...]]:
    with world.db.transaction() as cur:
        cur.execute("SELECT action::text, reason FROM appointment_history ORDER BY id")
        return [tuple(r) for r in cur.fetchall()]


def test_my_calls_show_who_cancelled_when_and_why(
    client: FlaskClient, world: World, login: Any
) -> None:
    call = booking.book(world.db, world.a, world.a, TUESDAY, now=NOW)
    booking.cancel(world.db, world.x, call.token, now=NOW, reason="Away at a course")
    mine = booking.book(world.db, world.a, world.a, WEDNESDAY, now=NOW)
    booking.cancel(world.db, world.a, mine.token, now=NOW)
    login(client, world.a)
    page = client.get("/appointments")
    assert page.status_code == 200
    history = page.text.split("Past and cancelled")[1]
    assert "by Xavier Coach." in history and "Reason: Away at a course" in history
    assert "by you." in history
    assert history.count("<strong>Cancelled</strong>") == 2
    # The coach sees the same calls in their schedule's history, their own cancellation as "you".
    login(client, world.x)
    schedule = client.get("/coach/schedule").text.split("Past and cancelled calls")[1]
    assert "by you." in schedule and "by Ann Client." in schedule


def test_the_history_is_paged_by_start_and_token(
    client: FlaskClient, world: World, login: Any
) -> None:
    # 23 cancelled calls at the same start: only the token orders them, and no page repeats one.
    tokens = set()
    for _ in range(23):
        call = booking.book(world.db, world.a, world.a, TUESDAY, now=NOW)
        booking.cancel(world.db, world.a, call.token, now=NOW)
        tokens.add(call.token)
    login(client, world.a)
    seen: list[str] = []
    url = "/appointments"
    pages = 0
    while url:
        page = client.get(url)
        assert page.status_code == 200
        history = page.text.split("Past and cancelled")[1]
        seen += re.findall(r'href="/appointments/([A-Za-z0-9_-]+)"', history)
        older = re.search(r'<a href="([^"]+)">Older calls</a>', history)
        url = older.group(1).replace("&amp;", "&") if older else ""
        pages += 1
    assert pages == 2
    assert len(seen) == 23 and set(seen) == tokens
    for bad in (
        "?before=yesterday",
        "?before=2027-01-04T12:00:00Z&before_token=%00",
        "?before_token=x",
    ):
        assert client.get("/appointments" + bad).status_code == 400


def test_a_coach_gives_a_reason_and_a_client_is_not_asked(
    client: FlaskClient, world: World, login: Any, csrf: Any
) -> None:
    call = booking.book(world.db, world.a, world.a, TUESDAY, now=NOW)
    login(client, world.a)
    assert 'name="reason"' not in client.get(f"/appointments/{call.token}/cancel").text
    login(client, world.x)
    form = client.get(f"/appointments/{call.token}/cancel")
    assert 'name="reason"' in form.text and "Reason (optional)" in form.text
    before = history_rows(world)
    refused = client.post(
        f"/appointments/{call.token}/cancel",
        data={"reason": "two\nlines", "csrf_token": csrf(form.text)},
    )
    assert refused.status_code == 422
    assert "A reason is one line" in refused.text and 'aria-invalid="true"' in refused.text
    assert history_rows(world) == before
    done = client.post(
        f"/appointments/{call.token}/cancel",
        data={"reason": "Away at a course", "csrf_token": csrf(form.text)},
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/coach/schedule")
    assert history_rows(world)[-1] == ("cancelled", "Away at a course")


def test_a_client_cannot_slip_a_reason_in(
    client: FlaskClient, world: World, login: Any, csrf: Any
) -> None:
    call = booking.book(world.db, world.a, world.a, TUESDAY, now=NOW)
    login(client, world.a)
    form = client.get(f"/appointments/{call.token}/cancel")
    client.post(
        f"/appointments/{call.token}/cancel",
        data={"reason": "forged", "csrf_token": csrf(form.text)},
    )
    assert history_rows(world)[-1] == ("cancelled", None)


def test_a_coach_moves_with_a_reason(
    client: FlaskClient, world: World, login: Any, csrf: Any
) -> None:
    call = booking.book(world.db, world.a, world.a, TUESDAY, now=NOW)
    login(client, world.x)
    start = WEDNESDAY.isoformat()
    form = client.get(f"/appointments/{call.token}/move/confirm", query_string={"start": start})
    assert 'name="reason"' in form.text
    done = client.post(
        f"/appointments/{call.token}/move",
        data={"start": start, "reason": "A training day", "csrf_token": csrf(form.text)},
    )
    assert done.status_code == 303
    assert history_rows(world)[-1] == ("moved", "A training day")


def test_admins_list_filter_page_and_cancel_bookings(
    client: FlaskClient, world: World, login: Any, csrf: Any
) -> None:
    calls = [booking.book(world.db, world.a, world.a, TUESDAY, now=NOW)]
    calls.append(booking.book(world.db, world.c, world.c, TUESDAY - timedelta(hours=7), now=NOW))
    for _ in range(admin_bookings.PAGE):  # a page's worth of cancelled calls of B, at one start
        gone = booking.book(world.db, world.b, world.b, WEDNESDAY, now=NOW)
        booking.cancel(world.db, world.b, gone.token, now=NOW)
    login(client, world.a)
    assert client.get("/admin/bookings").status_code == 403
    login(client, world.admin)
    first = client.get("/admin/bookings")
    assert first.status_code == 200
    assert first.text.count("<tr>") == admin_bookings.PAGE + 1  # the header row too
    following = re.search(r'<a href="([^"]+)">Next page', first.text)
    assert following is not None
    second = client.get(following.group(1).replace("&amp;", "&"))
    assert second.status_code == 200 and second.text.count("<tr>") == 3
    assert "Next page" not in second.text

    def shown(**query: str) -> int:
        page = client.get("/admin/bookings", query_string=query)
        assert page.status_code == 200, page.text
        return page.text.count("<tr>") - 1 if "<table>" in page.text else 0

    assert shown(coach="y@example.com") == 1
    assert shown(client=world.a) == 1
    assert shown(coach=world.x, client=world.b) == admin_bookings.PAGE
    day = TUESDAY.date()
    assert shown(**{"from": day.isoformat(), "to": day.isoformat()}) == 2
    assert shown(**{"from": (day + timedelta(days=2)).isoformat()}) == 0
    for bad, status in (
        ({"from": "tomorrow"}, 400),
        ({"from": "2027-02-01", "to": "2027-01-01"}, 400),
        ({"coach": "nobody@example.com"}, 404),
        ({"after": "2027-01-01T00:00:00Z", "after_token": "no/pe"}, 400),
        ({"client": "x" * 300}, 400),
    ):
        page = client.get("/admin/bookings", query_string=bad)
        assert page.status_code == status, (bad, page.status_code)
        assert "There is a problem" in page.text
    # Cancelling from the list: the call's own page, with a reason.
    assert f"/appointments/{calls[0].token}/cancel" in first.text
    form = client.get(f"/appointments/{calls[0].token}/cancel")
    done = client.post(
        f"/appointments/{calls[0].token}/cancel",
        data={"reason": "The coach is ill", "csrf_token": csrf(form.text)},
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/admin/bookings")
    assert history_rows(world)[-1] == ("cancelled", "The coach is ill")


def test_the_bookings_list_reads_by_an_index(world: World) -> None:
    params = {
        "coach": None,
        "client": None,
        "from": NOW,
        "to": NOW + timedelta(days=30),
        "after": admin_bookings.FIRST[0],
        "after_token": "",
        "limit": 51,
    }
    # Either index bounds the read: by start (appointments_starts_token) or by coach.
    for whose, columns in ((None, ("starts",)), (world.x, ("starts", "coach_id"))):
        scans = appointment_scans(
            world, world.admin, admin_bookings.Q.bookings, {**params, "coach": whose}
        )
        assert scans
        for scan in scans:
            condition = scan.get("Index Cond", "") + scan.get("Recheck Cond", "")
            assert any(c in condition for c in columns), (whose, condition)


def test_the_first_page_of_bookings_does_not_read_the_calls_before_it(world: World) -> None:
    # 5,000 calls before the first day asked for: the first page (its cursor the smallest
    # there is) must start its index scan at that day, not walk every older call to reach it.
    with world.db.transaction() as cur:
        cur.execute(
            "INSERT INTO appointments (coach_id, client_id, during, created_at, updated_at)"
            " SELECT x.id, a.id, tstzrange(%(now)s - make_interval(hours => i),"
            "                              %(now)s - make_interval(hours => i - 1)),"
            "        %(now)s - interval '400 days', %(now)s - interval '400 days'"
            " FROM generate_series(1, 5000) i, users x, users a"
            " WHERE x.slug = %(x)s AND a.slug = %(a)s",
            {"now": NOW, "x": world.x, "a": world.a},
        )
        cur.execute("ANALYZE appointments")
    params = {
        "coach": None,
        "client": None,
        "from": NOW,
        "to": NOW + timedelta(days=30),
        "after_token": "",
        "limit": 51,
    }
    blocks = {}
    for after in (admin_bookings.FIRST[0], NOW):
        with world.db.transaction(world.admin) as cur:
            cur.execute(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + admin_bookings.Q.bookings,
                {**params, "after": after},
            )
            (plans,) = one(cur)
            blocks[after] = plans[0]["Plan"]["Shared Hit Blocks"]
    assert blocks[admin_bookings.FIRST[0]] <= blocks[NOW] + 2, blocks


def test_a_coach_books_a_call_for_their_client(
    client: FlaskClient, world: World, login: Any, csrf: Any
) -> None:
    login(client, world.x)
    clients = client.get("/coach/clients")
    assert f'href="/coach/clients/{world.a}/book"' in clients.text
    week = client.get(f"/coach/clients/{world.a}/book", query_string={"week": TUESDAY.date()})
    assert week.status_code == 200 and "Book a call for Ann Client" in week.text
    start = TUESDAY.isoformat()
    assert f"/coach/clients/{world.a}/book/confirm?start=" in week.text
    confirm = client.get(f"/coach/clients/{world.a}/book/confirm", query_string={"start": start})
    assert confirm.status_code == 200 and "(Asia/Kolkata, IST)" in confirm.text
    done = client.post(
        f"/coach/clients/{world.a}/book", data={"start": start, "csrf_token": csrf(confirm.text)}
    )
    assert done.status_code == 303
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT u.slug, h.action::text, actor.slug, o.recipient::text"
            " FROM appointments a JOIN users u ON u.id = a.client_id"
            " JOIN appointment_history h ON h.appointment_id = a.id"
            " JOIN users actor ON actor.id = h.actor_id"
            " JOIN mail_outbox o ON o.history_id = h.id AND o.kind = 'booked' ORDER BY o.id"
        )
        assert cur.fetchall() == [
            (world.a, "booked", world.x, "client"),
            (world.a, "booked", world.x, "coach"),
        ]
    # The same rules: the slot is now taken, and another coach's client is not theirs.
    again = client.post(
        f"/coach/clients/{world.a}/book", data={"start": start, "csrf_token": csrf(confirm.text)}
    )
    assert again.status_code == 409 and "There is a problem" in again.text
    assert client.get(f"/coach/clients/{world.c}/book").status_code == 404
    assert (
        client.post(
            f"/coach/clients/{world.c}/book",
            data={"start": start, "csrf_token": csrf(confirm.text)},
        ).status_code
        == 404
    )
    login(client, world.a)
    assert client.get(f"/coach/clients/{world.a}/book").status_code == 403
