"""The admin's page of one user: name, email, zone and role where no rule forbids it (the
database refuses, with our message and no row changed), a password link, and deactivation after
a confirmation that says what it will do, as the database counts it."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from officehours import accounts, booking, errors
from officehours.db import Database
from tests.lib.support import NOW, World

LA = ZoneInfo("America/Los_Angeles")
WEDNESDAY = datetime.combine(NOW.date() + timedelta(days=2), time(9), LA)


def snapshot(db: Database) -> list[tuple[Any, ...]]:
    """Every row a refused edit or deactivation must leave alone."""
    with db.transaction() as cur:
        cur.execute(
            "SELECT slug, email, display_name, time_zone, role::text, active FROM users"
            " UNION ALL SELECT 'coaching', c.coach_id::text, c.client_id::text, c.during::text,"
            " '', true FROM coaching c"
            " UNION ALL SELECT 'call', a.token, a.status::text, a.during::text, '', true"
            " FROM appointments a ORDER BY 1, 2, 3, 4"
        )
        return cur.fetchall()


def edit(client: FlaskClient, csrf: Any, slug: str, **changes: str) -> Any:
    page = client.get(f"/admin/users/{slug}")
    assert page.status_code == 200, page.status_code
    who = accounts.get_user(client.application.config["DATABASE"], None, slug)
    fields = {"name": who.name, "email": who.email, "time_zone": who.time_zone, "role": who.role}
    return client.post(
        f"/admin/users/{slug}", data={**fields, **changes, "csrf_token": csrf(page.text)}
    )


@pytest.fixture
def as_admin(client: FlaskClient, world: World, login: Any) -> FlaskClient:
    login(client, world.admin)
    return client


def test_the_users_page_links_each_user_to_their_page(as_admin: FlaskClient, world: World) -> None:
    page = as_admin.get("/admin/users").text
    for slug in (world.a, world.x, world.admin):
        assert f'href="/admin/users/{slug}"' in page


def test_the_admin_edits_name_email_and_zone(
    as_admin: FlaskClient, world: World, csrf: Any
) -> None:
    saved = edit(
        as_admin,
        csrf,
        world.b,
        name="Bo B. Client",
        email=" Bo@Example.ORG ",
        time_zone="Asia/Tokyo",
    )
    assert saved.status_code == 303
    assert accounts.get_user(world.db, None, world.b) == accounts.User(
        world.b, "Bo@example.org", "Bo B. Client", "Asia/Tokyo", "client", True
    )
    assert "is saved" in as_admin.get(f"/admin/users/{world.b}").text


def test_a_role_changes_where_no_rule_forbids_it(
    as_admin: FlaskClient, world: World, csrf: Any
) -> None:
    slug = accounts.add_user(world.db, None, "kim@example.com", "Kim", "client", "UTC")
    assert edit(as_admin, csrf, slug, role="coach").status_code == 303
    assert accounts.get_user(world.db, None, slug).role == "coach"


@pytest.mark.parametrize(
    ("who", "changes", "status", "message"),
    [
        ("x", {"role": "client"}, 409, "Xavier Coach coaches 2 clients now"),
        ("a", {"role": "coach"}, 409, "Ann Client has a coach"),
        ("b", {"email": "a@example.com"}, 409, "An account with that email exists already"),
        ("b", {"email": "not an address"}, 422, "not an email address"),
        ("b", {"name": ""}, 422, "name"),
        ("b", {"time_zone": "Mars/Olympus"}, 422, "Unknown time zone"),
        ("b", {"role": "root"}, 400, "Choose client, coach or admin"),
        ("admin", {"role": "client"}, 403, "You cannot change your own role"),
    ],
)
def test_refused_edits_say_why_and_change_nothing(
    as_admin: FlaskClient,
    world: World,
    csrf: Any,
    who: str,
    changes: dict[str, str],
    status: int,
    message: str,
) -> None:
    slug = getattr(world, who)
    before = snapshot(world.db)
    response = edit(as_admin, csrf, slug, **changes)
    assert response.status_code == status
    assert message in response.text
    assert snapshot(world.db) == before


def test_the_role_rule_holds_however_the_row_is_changed(world: World) -> None:
    booking.book(world.db, world.a, world.a, WEDNESDAY, now=NOW)
    with pytest.raises(errors.WrongRole, match="coaches 2 clients"):
        with world.db.transaction(now=NOW) as cur:
            cur.execute("UPDATE users SET role = 'client' WHERE slug = %s", (world.x,))
    # A former client whose coaching ended keeps no future calls, so the role may change.
    accounts.set_active(world.db, None, world.c, False, now=NOW)
    accounts.set_active(world.db, None, world.c, True, now=NOW)
    accounts.update_user(world.db, None, world.c, "Cy Client", "Europe/London", role="coach")
    assert accounts.get_user(world.db, None, world.c).role == "coach"


def test_pages_and_edits_are_for_admins_only(client: FlaskClient, world: World, login: Any) -> None:
    before = snapshot(world.db)
    anonymous = client.get(f"/admin/users/{world.a}")
    assert anonymous.status_code == 302
    token = login(client, world.x)
    assert client.get(f"/admin/users/{world.a}").status_code == 403
    assert client.get(f"/admin/users/{world.a}/deactivate").status_code == 403
    data = {"name": "Z", "email": "z@example.com", "time_zone": "UTC", "role": "admin"}
    assert (
        client.post(f"/admin/users/{world.x}", data={**data, "csrf_token": token}).status_code
        == 403
    )
    assert (
        client.post(f"/admin/users/{world.a}/deactivate", data={"csrf_token": token}).status_code
        == 403
    )
    assert snapshot(world.db) == before


def test_unknown_users_and_missing_csrf_tokens(as_admin: FlaskClient, world: World) -> None:
    before = snapshot(world.db)
    assert as_admin.get("/admin/users/nobody-1234").status_code == 404
    assert as_admin.get("/admin/users/nobody-1234/deactivate").status_code == 404
    data = {"name": "Z", "email": "z@example.com", "time_zone": "UTC", "role": "client"}
    assert as_admin.post(f"/admin/users/{world.b}", data=data).status_code == 400
    assert as_admin.post(f"/admin/users/{world.b}/deactivate").status_code == 400
    assert snapshot(world.db) == before


def test_deactivation_says_what_it_will_do_then_does_it(
    as_admin: FlaskClient, world: World, csrf: Any
) -> None:
    booking.book(world.db, world.a, world.a, WEDNESDAY, now=NOW)
    booking.book(world.db, world.a, world.a, WEDNESDAY + timedelta(days=1), now=NOW)
    booking.book(world.db, world.b, world.b, WEDNESDAY + timedelta(hours=1), now=NOW)
    accounts.create_api_token(world.db, None, world.x, "script")
    user_page = as_admin.get(f"/admin/users/{world.x}").text
    assert f'href="/admin/users/{world.x}/deactivate"' in user_page

    before = snapshot(world.db)
    confirm = as_admin.get(f"/admin/users/{world.x}/deactivate")
    assert confirm.status_code == 200
    text = " ".join(confirm.text.split())
    assert "ends coaching of 2 clients" in text
    assert "cancels 3 future calls and mails everyone concerned (3 people)" in text
    assert "(1 in use)" in text
    assert snapshot(world.db) == before  # asking changed nothing

    done = as_admin.post(
        f"/admin/users/{world.x}/deactivate", data={"csrf_token": csrf(confirm.text)}
    )
    assert done.status_code == 303
    assert not accounts.get_user(world.db, None, world.x).active
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT count(*) FROM coaching c JOIN users u ON u.id = c.coach_id"
            " WHERE upper_inf(c.during) AND u.slug = %s",
            (world.x,),
        )
        assert cur.fetchone() == (0,)
        cur.execute("SELECT status::text, count(*) FROM appointments GROUP BY 1")
        assert cur.fetchall() == [("cancelled", 3)]
        cur.execute("SELECT count(DISTINCT recipient_id) FROM mail_outbox WHERE kind = 'cancelled'")
        assert cur.fetchone() == (3,)
    again = as_admin.get(f"/admin/users/{world.x}/deactivate")
    assert again.status_code == 409 and "not active already" in again.text


def test_a_clients_deactivation_ends_the_coaching_with_their_coach(
    as_admin: FlaskClient, world: World
) -> None:
    text = " ".join(as_admin.get(f"/admin/users/{world.c}/deactivate").text.split())
    assert "ends the coaching with their coach" in text and "cancels no calls" in text


def test_an_admin_cannot_deactivate_themself(
    as_admin: FlaskClient, world: World, csrf: Any
) -> None:
    page = as_admin.get(f"/admin/users/{world.admin}")
    assert "/deactivate" not in page.text
    assert as_admin.get(f"/admin/users/{world.admin}/deactivate").status_code == 403
    refused = as_admin.post(
        f"/admin/users/{world.admin}/deactivate", data={"csrf_token": csrf(page.text)}
    )
    assert refused.status_code == 403
    assert accounts.get_user(world.db, None, world.admin).active


def test_the_admin_sends_a_password_reset_link(
    as_admin: FlaskClient, world: World, csrf: Any
) -> None:
    page = as_admin.get(f"/admin/users/{world.b}")
    assert "No link to set a password was sent" in page.text
    sent = as_admin.post(
        f"/admin/users/{world.b}/password-link",
        data={"kind": "password_reset", "csrf_token": csrf(page.text)},
    )
    assert sent.status_code == 303
    after = as_admin.get(f"/admin/users/{world.b}").text
    assert "password reset" in after and "mail waiting to go out" in after
    with world.db.transaction() as cur:
        cur.execute("SELECT kind::text, state::text FROM account_mail")
        assert cur.fetchall() == [("password_reset", "pending")]
