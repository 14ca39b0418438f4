"""The JSON API: bearer tokens and the session cookie, every route, problem+json errors."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from officehours import accounts
from officehours.db import one
from tests.lib.support import World
from tests.web.helpers import json_of

FIRST = "2027-01-05T17:00:00Z"
LATER = "2027-01-06T18:00:00Z"


def bearer(world: World, slug: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + accounts.create_api_token(world.db, None, slug, "t")[1]}


def count(world: World) -> int:
    with world.db.transaction() as cur:
        cur.execute("SELECT count(*), coalesce(sum(revision), 0) FROM appointments")
        total, revisions = one(cur)
        return int(total) * 1000 + int(revisions)


def test_book_move_cancel_with_a_token(client: FlaskClient, world: World) -> None:
    auth = bearer(world, world.a)
    me = client.get("/api/v1/me", headers=auth)
    assert me.json == {
        "slug": world.a,
        "name": "Ann Client",
        "email": "a@example.com",
        "role": "client",
        "time_zone": "Asia/Kolkata",
    }
    free = client.get(
        "/api/v1/availability?from=2027-01-05T00:00:00Z&to=2027-01-06T00:00:00Z", headers=auth
    )
    assert free.status_code == 200
    assert json_of(free)["coach"] == world.x
    assert json_of(free)["slots"][0] == {
        "start": "2027-01-05T00:00:00Z",
        "end": "2027-01-05T01:00:00Z",
    }
    made = client.post("/api/v1/appointments", json={"start": FIRST}, headers=auth)
    assert made.status_code == 201
    body = json_of(made)
    assert made.headers["Location"] == f"/api/v1/appointments/{body['token']}"
    assert body["start"] == FIRST and body["status"] == "booked" and body["revision"] == 1
    assert body["coach"] == {"slug": world.x, "name": "Xavier Coach"}
    listed = json_of(client.get("/api/v1/appointments", headers=auth))["appointments"]
    assert [a["token"] for a in listed] == [body["token"]]
    assert client.get(made.headers["Location"], headers=auth).json == body
    moved = client.patch(made.headers["Location"], json={"start": LATER}, headers=auth)
    assert (
        moved.status_code == 200
        and json_of(moved)["start"] == LATER
        and json_of(moved)["revision"] == 2
    )
    ics = client.get(made.headers["Location"] + ".ics", headers=auth)
    assert ics.status_code == 200 and b"SEQUENCE:2" in ics.data
    cancelled = client.delete(made.headers["Location"], headers=auth)
    assert cancelled.status_code == 200 and json_of(cancelled)["status"] == "cancelled"
    again = client.delete(made.headers["Location"], headers=auth)
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert json_of(again)["code"] == "already_cancelled"


def test_errors_are_problem_documents_and_change_nothing(client: FlaskClient, world: World) -> None:
    auth = bearer(world, world.a)
    before = count(world)
    cases: list[tuple[str, str, Any, dict[str, str], int, str]] = [
        (
            "post",
            "/api/v1/appointments",
            {"start": "2027-01-05T12:00:00Z"},
            {},
            409,
            "outside_office_hours",
        ),
        (
            "post",
            "/api/v1/appointments",
            {"start": "2027-01-05T17:00:00"},
            {},
            400,
            "invalid_input",
        ),
        ("post", "/api/v1/appointments", {"start": FIRST, "end": FIRST}, {}, 400, "invalid_input"),
        ("post", "/api/v1/appointments", {"start": 1}, {}, 400, "invalid_input"),
        ("post", "/api/v1/appointments", [], {}, 400, "invalid_input"),
        ("post", "/api/v1/appointments", None, {}, 400, "invalid_input"),
        ("post", "/api/v1/appointments", {"start": "2026-01-05T17:00:00Z"}, {}, 422, "in_the_past"),
        ("patch", "/api/v1/appointments/nope", {"start": FIRST}, {}, 404, "unknown_appointment"),
        ("delete", "/api/v1/appointments/nope", None, {}, 404, "unknown_appointment"),
        ("get", "/api/v1/appointments/nope", None, {}, 404, "unknown_appointment"),
        ("get", "/api/v1/availability?from=yesterday", None, {}, 400, "invalid_input"),
        (
            "get",
            "/api/v1/availability?from=2027-01-05T00:00:00Z&to=2027-01-04T00:00:00Z",
            None,
            {},
            422,
            "range_not_positive",
        ),
        (
            "get",
            "/api/v1/availability?from=2027-01-05T00:00:00Z&to=2029-01-04T00:00:00Z",
            None,
            {},
            422,
            "range_too_long",
        ),
        ("get", f"/api/v1/availability?coach={world.y}", None, {}, 403, "forbidden"),
        ("get", "/api/v1/nothing", None, {}, 404, "not_found"),
        ("put", "/api/v1/appointments", None, {}, 405, "method_not_allowed"),
        ("get", "/api/v1/me", None, {"Authorization": "Bearer nope"}, 401, "not_signed_in"),
        ("get", "/api/v1/me", None, {"Authorization": "Basic abc"}, 401, "not_signed_in"),
    ]
    for method, url, body, headers, status, code in cases:
        kwargs: dict[str, Any] = {"headers": {**auth, **headers}}
        if body is not None:
            kwargs["json"] = body
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code == status, (method, url, response.json)
        assert response.mimetype == "application/problem+json"
        assert response.json["code"] == code, (url, response.json)
        assert response.json["status"] == status
        assert response.json["type"] == f"urn:officehours:error:{code}"
    form = client.post("/api/v1/appointments", data={"start": FIRST}, headers=auth)
    assert form.status_code == 400
    huge = client.post(
        "/api/v1/appointments",
        data="x" * 100_000,
        headers={**auth, "Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    assert count(world) == before


def test_anonymous_gets_401_and_the_document_is_public(client: FlaskClient) -> None:
    response = client.get("/api/v1/appointments")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert json_of(response)["code"] == "not_signed_in"
    doc = client.get("/api/v1/openapi.json")
    assert doc.status_code == 200 and json_of(doc)["openapi"] == "3.1.0"


def test_session_cookie_works_but_needs_json(client: FlaskClient, world: World, login: Any) -> None:
    login(client, world.a)
    assert json_of(client.get("/api/v1/me"))["slug"] == world.a
    made = client.post("/api/v1/appointments", json={"start": FIRST})
    assert made.status_code == 201
    # A cross-site form can only send form encodings: refused.
    form = client.post("/api/v1/appointments", data={"start": LATER})
    assert form.status_code == 400


def test_coach_sees_own_availability_and_moves_a_clients_call(
    client: FlaskClient, world: World
) -> None:
    client_auth = bearer(world, world.a)
    coach_auth = bearer(world, world.x)
    made = json_of(client.post("/api/v1/appointments", json={"start": FIRST}, headers=client_auth))
    free = client.get("/api/v1/availability", headers=coach_auth)
    assert free.status_code == 200 and json_of(free)["coach"] == world.x
    moved = client.patch(
        f"/api/v1/appointments/{made['token']}", json={"start": LATER}, headers=coach_auth
    )
    assert moved.status_code == 200
    other = bearer(world, world.y)
    assert client.get(f"/api/v1/appointments/{made['token']}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/appointments/{made['token']}", headers=other).status_code == 403


def test_appointments_say_how_the_call_happens_and_the_note(
    client: FlaskClient, world: World
) -> None:
    """The appointment objects carry the call's effective details, as its page shows them, and
    the client's note, as row-level security shows it: the client and the coach see it (so does
    an admin, as on the call's page); another client does not see the call at all."""
    from officehours import call_details
    from tests.lib.support import NOW

    call_details.set_for_coach(
        world.db, world.x, world.x, "video", "https://meet.example.com/x", "Camera optional."
    )
    made = client.post(
        "/api/v1/appointments", json={"start": FIRST}, headers=bearer(world, world.a)
    )
    assert made.status_code == 201
    token = json_of(made)["token"]
    assert json_of(made)["call"] == {
        "kind": "video",
        "value": "https://meet.example.com/x",
        "text": "Camera optional.",
    }
    assert json_of(made)["note"] is None
    call_details.set_note(world.db, world.a, token, "About the budget.", now=NOW)
    for who in (world.a, world.x):
        one_call = json_of(client.get(f"/api/v1/appointments/{token}", headers=bearer(world, who)))
        assert one_call["note"] == "About the budget.", who
        listed = json_of(client.get("/api/v1/appointments", headers=bearer(world, who)))
        assert [c["note"] for c in listed["appointments"] if c["token"] == token] == [
            "About the budget."
        ]
    other = client.get(f"/api/v1/appointments/{token}", headers=bearer(world, world.b))
    assert other.status_code == 404
    assert "About the budget." not in other.text
    assert (
        "About the budget."
        not in client.get("/api/v1/appointments", headers=bearer(world, world.b)).text
    )


def notes(world: World) -> list[tuple[str, str]]:
    """Every stored note: (appointment token, note)."""
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT a.token, n.note FROM appointment_notes n"
            " JOIN appointments a ON a.id = n.appointment_id ORDER BY a.token"
        )
        return [(str(token), str(note)) for token, note in cur.fetchall()]


def test_book_with_a_note_and_change_it(client: FlaskClient, world: World) -> None:
    """POST takes the client's note with the booking, as the confirm page does; PUT .../note
    changes it (null or empty removes it); the coach sees it."""
    auth = bearer(world, world.a)
    made = client.post(
        "/api/v1/appointments",
        json={"start": FIRST, "note": "About sleep.\nAnd diet."},
        headers=auth,
    )
    assert made.status_code == 201
    token = json_of(made)["token"]
    assert json_of(made)["note"] == "About sleep.\nAnd diet."
    assert notes(world) == [(token, "About sleep.\nAnd diet.")]
    changed = client.put(
        f"/api/v1/appointments/{token}/note", json={"note": "About work."}, headers=auth
    )
    assert changed.status_code == 200, changed.json
    assert json_of(changed)["note"] == "About work." and json_of(changed)["token"] == token
    coach_view = client.get(f"/api/v1/appointments/{token}", headers=bearer(world, world.x))
    assert json_of(coach_view)["note"] == "About work."
    assert notes(world) == [(token, "About work.")]
    for empty in (None, ""):
        removed = client.put(
            f"/api/v1/appointments/{token}/note", json={"note": empty}, headers=auth
        )
        assert removed.status_code == 200 and json_of(removed)["note"] is None
        assert notes(world) == []
    plain = client.post("/api/v1/appointments", json={"start": LATER}, headers=auth)
    assert plain.status_code == 201 and json_of(plain)["note"] is None
    assert notes(world) == []


def test_note_refusals_are_problems_and_change_nothing(client: FlaskClient, world: World) -> None:
    auth = bearer(world, world.a)
    # Tuesday 00:00 UTC: twelve hours after NOW, inside the 24-hour change cut-off.
    soon = client.post(
        "/api/v1/appointments",
        json={"start": "2027-01-05T00:00:00Z", "note": "First."},
        headers=auth,
    )
    assert soon.status_code == 201, soon.json
    late_token = json_of(soon)["token"]
    made = client.post("/api/v1/appointments", json={"start": FIRST}, headers=auth)
    token = json_of(made)["token"]
    before = (count(world), notes(world))
    assert before[1] == [(late_token, "First.")]
    note_url = f"/api/v1/appointments/{token}/note"
    other = bearer(world, world.b)  # A has January's two calls: B books, with bad notes
    cases: list[tuple[str, str, Any, dict[str, str], int, str]] = [
        ("put", f"/api/v1/appointments/{late_token}/note", {"note": "Later."}, auth, 409,
         "inside_cutoff"),
        ("put", note_url, {"note": "x" * 1001}, auth, 422, "invalid_note"),
        ("put", note_url, {"note": "bell\u0007"}, auth, 422, "invalid_note"),
        ("put", note_url, {"note": 3}, auth, 400, "invalid_input"),
        ("put", note_url, {}, auth, 400, "invalid_input"),
        ("put", note_url, {"note": "a", "start": FIRST}, auth, 400, "invalid_input"),
        ("put", note_url, None, auth, 400, "invalid_input"),
        ("put", note_url, {"note": "Mine."}, other, 404, "unknown_appointment"),
        ("put", note_url, {"note": "Coach."}, bearer(world, world.x), 403, "forbidden"),
        ("put", note_url, {"note": "Admin."}, bearer(world, world.admin), 403, "forbidden"),
        ("put", "/api/v1/appointments/nope/note", {"note": "a"}, auth, 404,
         "unknown_appointment"),
        ("post", "/api/v1/appointments", {"start": LATER, "note": "x" * 1001}, other, 422,
         "invalid_note"),
        ("post", "/api/v1/appointments", {"start": LATER, "note": "\u202e"}, other, 422,
         "invalid_note"),
        ("post", "/api/v1/appointments", {"start": LATER, "note": ["a"]}, other, 400,
         "invalid_input"),
        ("patch", f"/api/v1/appointments/{token}", {"start": LATER, "note": "a"}, auth, 400,
         "invalid_input"),
    ]  # fmt: skip
    for method, url, body, headers, status, code in cases:
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs["json"] = body
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code == status, (method, url, body, response.json)
        assert response.mimetype == "application/problem+json"
        assert response.json["code"] == code, (url, body, response.json)
        assert "x" * 100 not in response.text
    assert (count(world), notes(world)) == before
    # The same booking with a good note is taken: the refusals above were the note's.
    good = client.post(
        "/api/v1/appointments", json={"start": LATER, "note": "Fine."}, headers=other
    )
    assert good.status_code == 201 and json_of(good)["note"] == "Fine."
