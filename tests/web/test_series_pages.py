"""Cancelling a monthly series on the website: the page lists what will be cancelled, the
POST cancels it in one go, and every refusal is a 4xx with our message and no row changed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from officehours import booking
from officehours.booking import Appointment
from tests.lib.support import NOW, World
from tests.mailer.helpers import local
from tests.web.conftest import sign_in_as

FIRST = local(2, "09:00", "America/Los_Angeles")  # a Wednesday, 09:00 in Los Angeles


def statuses(world: World) -> dict[str, str]:
    with world.db.transaction() as cur:
        cur.execute("SELECT token, status::text FROM appointments")
        return {token: status for token, status in cur.fetchall()}


def series(world: World) -> list[Appointment]:
    return booking.book_series(world.db, world.a, world.a, FIRST, 3, now=NOW)


def kolkata(call: Appointment) -> str:
    """How the page names a call's start to client A (Asia/Kolkata)."""
    start = call.start.astimezone(local(0, "00:00", "Asia/Kolkata").tzinfo)
    return f"{start:%A} {start.day} {start:%B %Y}, {start:%H:%M}"


def test_the_call_page_offers_both_when_it_offers_cancel(as_a: FlaskClient, world: World) -> None:
    calls = series(world)
    page = as_a.get(f"/appointments/{calls[1].token}").text
    assert f"/appointments/{calls[1].token}/series/cancel?from=this" in page
    assert f"/appointments/{calls[1].token}/series/cancel?from=all" in page
    single = booking.book(world.db, world.a, world.a, FIRST + timedelta(hours=2), now=NOW)
    assert "/series/cancel" not in as_a.get(f"/appointments/{single.token}").text
    # Inside the cut-off the call page offers no Cancel, so no series links either.
    as_a.application.config["NOW"] = FIRST - timedelta(hours=23)
    assert "/series/cancel" not in as_a.get(f"/appointments/{calls[0].token}").text


@pytest.mark.parametrize(("scope", "listed"), [("this", slice(1, None)), ("all", slice(0, None))])
def test_the_page_lists_the_calls_and_the_post_cancels_them(
    as_a: FlaskClient, world: World, csrf: Any, scope: str, listed: slice
) -> None:
    calls = series(world)
    page = as_a.get(f"/appointments/{calls[1].token}/series/cancel?from={scope}")
    assert page.status_code == 200
    expected = calls[listed]
    listing = page.text.split('id="series-calls"')[1].split("</ul>")[0]
    assert listing.count("<li>") == len(expected)
    for call in calls:
        assert (kolkata(call) in page.text) == (call in expected), call
    assert "(Asia/Kolkata, IST)" in page.text
    assert f"Yes, cancel {len(expected)} calls" in page.text
    assert set(statuses(world).values()) == {"booked"}
    done = as_a.post(
        f"/appointments/{calls[1].token}/series/cancel",
        data={"csrf_token": csrf(page.text), "from": scope},
    )
    assert done.status_code == 303 and done.headers["Location"] == "/appointments"
    after = statuses(world)
    assert [after[c.token] for c in calls] == [
        "cancelled" if c in expected else "booked" for c in calls
    ]
    assert f"{len(expected)} calls of your series are cancelled." in as_a.get("/appointments").text
    # Nothing is left to cancel: both steps say so.
    again = as_a.get(f"/appointments/{calls[2].token}/series/cancel?from=this")
    assert again.status_code == 409
    retry = as_a.post(
        f"/appointments/{calls[2].token}/series/cancel",
        data={"csrf_token": csrf(page.text), "from": "this"},
    )
    assert retry.status_code == 409


def test_the_coach_cancels_the_series_of_their_client(
    client: FlaskClient, world: World, csrf: Any
) -> None:
    calls = series(world)
    sign_in_as(client, world.x)
    page = client.get(f"/appointments/{calls[0].token}/series/cancel?from=all")
    assert page.status_code == 200 and "Yes, cancel 3 calls" in page.text
    done = client.post(
        f"/appointments/{calls[0].token}/series/cancel",
        data={"csrf_token": csrf(page.text), "from": "all"},
    )
    assert done.status_code == 303
    assert set(statuses(world).values()) == {"cancelled"}


def refused(client: FlaskClient, token: str, scope: str, csrf_token: str) -> tuple[int, int, str]:
    """The statuses of the GET and the POST, and the POST's page."""
    got = client.get(f"/appointments/{token}/series/cancel?from={scope}")
    sent = client.post(
        f"/appointments/{token}/series/cancel", data={"csrf_token": csrf_token, "from": scope}
    )
    return got.status_code, sent.status_code, sent.text


def test_every_refusal_is_a_4xx_with_our_message_and_no_row_changed(
    client: FlaskClient, world: World
) -> None:
    calls = series(world)
    single = booking.book(world.db, world.b, world.b, FIRST + timedelta(hours=2), now=NOW)
    before = statuses(world)
    as_a = sign_in_as(client, world.a)
    assert refused(client, calls[0].token, "every", as_a)[:2] == (400, 400)
    assert "Choose from=this" in refused(client, calls[0].token, "", as_a)[2]
    assert refused(client, "no-such-call", "all", as_a)[:2] == (404, 404)
    as_b = sign_in_as(client, world.b)
    got, sent, text = refused(client, calls[0].token, "all", as_b)
    assert (got, sent) == (404, 404) and "not yours" in text
    got, sent, text = refused(client, single.token, "all", as_b)
    assert (got, sent) == (422, 422) and "not part of a series" in text
    # Inside the client's cut-off: the first call cannot be cancelled, so neither can the series.
    client.application.config["NOW"] = FIRST - timedelta(hours=23)
    as_a = sign_in_as(client, world.a)
    got, sent, text = refused(client, calls[0].token, "all", as_a)
    assert (got, sent) == (409, 409) and "before they start" in text
    # From a later call the page opens, but the database refuses the whole series.
    assert client.get(f"/appointments/{calls[1].token}/series/cancel?from=all").status_code == 200
    sent_page = client.post(
        f"/appointments/{calls[1].token}/series/cancel", data={"csrf_token": as_a, "from": "all"}
    )
    assert sent_page.status_code == 409 and "The call of" in sent_page.text
    assert statuses(world) == before


def test_the_post_needs_the_csrf_token(as_a: FlaskClient, world: World) -> None:
    calls = series(world)
    for data in ({"from": "all"}, {"from": "all", "csrf_token": "forged"}):
        response = as_a.post(f"/appointments/{calls[0].token}/series/cancel", data=data)
        assert response.status_code == 400
    assert set(statuses(world).values()) == {"booked"}
