"""The admin's pages: users, coaching assignments, business rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from officehours import accounts
from tests.lib.support import World


def test_users_create_and_deactivate(client: FlaskClient, world: World, login: Any) -> None:
    token = login(client, world.admin)
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert "Xavier Coach" in page.text and "Cy Client" in page.text
    form = {
        "csrf_token": token,
        "name": "Dee Client",
        "email": "d@example.com",
        "role": "client",
        "time_zone": "Europe/Paris",
        "password": "a good long one",
    }
    assert client.post("/admin/users", data=form).status_code == 303
    assert accounts.login_lookup(world.db, "d@example.com") is not None
    cases = [
        ({"email": "d@example.com"}, 409, "email-error"),
        ({"email": "not an email"}, 422, "email-error"),
        ({"email": "e@example.com", "name": " "}, 422, "name-error"),
        ({"email": "e@example.com", "time_zone": "Mars/Olympus"}, 422, "time_zone-error"),
        ({"email": "e@example.com", "role": "root"}, 400, "role-error"),
        ({"email": "e@example.com", "password": "short"}, 422, "password-error"),
    ]
    for change, status, marker in cases:
        response = client.post("/admin/users", data={**form, **change})
        assert response.status_code == status, change
        assert marker in response.text
    assert accounts.login_lookup(world.db, "e@example.com") is None
    response = client.post(
        f"/admin/users/{world.c}/active", data={"csrf_token": token, "active": "0"}
    )
    assert response.status_code == 303
    assert not accounts.get_user(world.db, None, world.c).active
    own = client.post(
        f"/admin/users/{world.admin}/active", data={"csrf_token": token, "active": "0"}
    )
    assert own.status_code == 403
    back = client.post(f"/admin/users/{world.c}/active", data={"csrf_token": token, "active": "1"})
    assert back.status_code == 303
    assert accounts.get_user(world.db, None, world.c).active


def test_assignments(client: FlaskClient, world: World, login: Any) -> None:
    token = login(client, world.admin)
    page = client.get("/admin/assignments")
    assert 'id="coach-' + world.a + '"' in page.text
    response = client.post(
        "/admin/assignments", data={"csrf_token": token, "client": world.a, "coach": world.y}
    )
    assert response.status_code == 303
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT co.slug FROM coaching c JOIN users co ON co.id = c.coach_id "
            "JOIN users cl ON cl.id = c.client_id WHERE cl.slug = %s AND upper_inf(c.during)",
            (world.a,),
        )
        assert cur.fetchone() == (world.y,)
    wrong = client.post(
        "/admin/assignments", data={"csrf_token": token, "client": world.a, "coach": world.b}
    )
    assert wrong.status_code == 409
    none = client.post("/admin/assignments", data={"csrf_token": token, "client": world.a})
    assert none.status_code == 400


def test_rules(client: FlaskClient, world: World, login: Any) -> None:
    token = login(client, world.admin)
    page = client.get("/admin/rules")
    assert 'value="1 hour"' in page.text and 'value="90 days"' in page.text
    ok = client.post(
        "/admin/rules", data={"csrf_token": token, "name": "booking_horizon", "value": "30 days"}
    )
    assert ok.status_code == 303
    rules = {r.name: r.value for r in accounts.rules(world.db, None)}
    assert rules["booking_horizon"] == timedelta(days=30)
    for name, value, status in (
        ("booking_horizon", "5000 days", 422),
        ("monthly_limit", "many", 422),
        ("slot_length", "7 minutes", 422),
        ("no_such_rule", "1", 404),
    ):
        response = client.post(
            "/admin/rules", data={"csrf_token": token, "name": name, "value": value}
        )
        assert response.status_code == status, name
        assert 'role="alert"' in response.text
    assert {r.name: r.value for r in accounts.rules(world.db, None)} == rules
    coach = client.post(
        "/admin/rules",
        data={"csrf_token": token, "name": "monthly_limit", "value": "4", "coach": world.x},
    )
    assert coach.status_code == 303
    page = client.get(f"/admin/rules?coach={world.x}")
    assert "Set for this coach" in page.text and 'value="4"' in page.text
    unset = client.post(
        "/admin/rules/unset", data={"csrf_token": token, "name": "monthly_limit", "coach": world.x}
    )
    assert unset.status_code == 303
    assert {r.name: r.value for r in accounts.rules(world.db, None, world.x)}["monthly_limit"] == 2
    assert client.get("/admin/rules?coach=nobody").status_code == 404
