"""The admin's pages: users, coaching assignments, business rules."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from officehours import accounts
from tests.lib.support import NOW, World


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
    # Deactivating is done on its confirmation page: this only leads there, changing nothing.
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/users/{world.c}/deactivate")
    assert accounts.get_user(world.db, None, world.c).active
    listing = client.get("/admin/users")
    assert f'href="/admin/users/{world.c}/deactivate"' in listing.text
    assert f"/admin/users/{world.c}/active" not in listing.text
    client.post(f"/admin/users/{world.c}/deactivate", data={"csrf_token": token})
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


# Paged lists: a page is the rows after (or before) the one a link names, by name and slug.
ROW_NAME = re.compile(r"<tr>\s*<td>(?:<a [^>]*>)?([^<]*)(?:</a>)?</td>")
CLIENT_NAME = re.compile(r'<label for="coach-[^"]+">New coach of ([^<]*) \(email or slug\)</label>')


def _add_people(world: World, count: int) -> None:
    """``count`` more clients, Pat 001 to Pat NNN, coached by X (owner SQL: fast at any size)."""
    with world.db.transaction() as cur:
        cur.execute(
            "INSERT INTO users (email, display_name, role, time_zone)"
            " SELECT format('pat%%s@example.com', to_char(i, 'FM000')),"
            "        format('Pat %%s', to_char(i, 'FM000')), 'client', 'UTC'"
            " FROM generate_series(1, %s) AS i",
            (count,),
        )
        cur.execute(
            "INSERT INTO coaching (coach_id, client_id, during)"
            " SELECT (SELECT id FROM users WHERE slug = %s), id, tstzrange(%s, NULL)"
            " FROM users WHERE display_name LIKE 'Pat %%'",
            (world.x, NOW - timedelta(days=400)),
        )


def _link(text: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', text)
    return html.unescape(found.group(1)) if found else None


def _walk(client: FlaskClient, start: str, names: re.Pattern[str]) -> list[list[str]]:
    """Every page from ``start`` on by its Next links, each checked to go back by Previous."""
    pages: list[list[str]] = []
    url: str | None = start
    while url is not None:
        page = client.get(url)
        assert page.status_code == 200, url
        pages.append(names.findall(page.text))
        assert (_link(page.text, "prev") is None) == (len(pages) == 1), url
        url = _link(page.text, "next")
        if len(pages) > 1:
            back = client.get(_link(page.text, "prev") or "")
            assert names.findall(back.text) == pages[-2]
    return pages


def test_the_users_page_goes_a_page_at_a_time_both_ways(
    client: FlaskClient, world: World, login: Any
) -> None:
    _add_people(world, 120)
    login(client, world.admin)
    pages = _walk(client, "/admin/users", ROW_NAME)
    assert [len(p) for p in pages] == [50, 50, 26]
    every = [name for p in pages for name in p]
    assert every == sorted(every, key=str.lower) and len(set(every)) == 126
    assert "Ada Admin" in every and "Pat 120" in every


def test_the_users_page_searches_names_and_emails_and_filters_roles(
    client: FlaskClient, world: World, login: Any
) -> None:
    _add_people(world, 120)
    login(client, world.admin)

    def names(query: str) -> list[str]:
        page = client.get("/admin/users?" + query)
        assert page.status_code == 200, query
        return ROW_NAME.findall(page.text)

    assert names("q=pat00") == [f"Pat 00{i}" for i in range(1, 10)]
    assert names("q=PAT11") == [f"Pat 11{i}" for i in range(10)]
    assert names("q=x%40example.com") == ["Xavier Coach"]
    assert names("q=avier+co") == ["Xavier Coach"]
    # LIKE's wildcards are searched for as themselves.
    assert names("q=%25") == [] and names("q=_") == []
    assert names("role=coach") == ["Xavier Coach", "Yara Coach"]
    assert names("role=client&q=cy") == ["Cy Client"]
    searched = _walk(client, "/admin/users?q=pat", ROW_NAME)
    assert [len(p) for p in searched] == [50, 50, 20]


@pytest.mark.parametrize(
    "query",
    [
        "after=nobody-at-all",
        "before=nobody-at-all",
        "after=Not%20a%20slug!",
        "after=%00",
        "after=ann&before=bo",
        "role=root",
        "q=" + "x" * 201,
        "q=%00",
    ],
)
def test_a_bad_cursor_or_search_is_a_400_with_our_message(
    client: FlaskClient, world: World, login: Any, query: str
) -> None:
    login(client, world.admin)
    for path in ("/admin/users", "/admin/assignments"):
        if "role=" in query and path != "/admin/users":
            continue
        page = client.get(f"{path}?{query}")
        assert page.status_code == 400, (path, query)
        assert (
            "start again from the first page" in page.text
            or "Choose" in page.text
            or ("at most 200" in page.text or "zero byte" in page.text)
        )
    api = client.get(f"/admin/users?{query}", headers={"Accept": "application/json"})
    assert api.status_code == 400


def test_the_assignments_page_is_paged_searchable_and_takes_a_coach_by_email(
    client: FlaskClient, world: World, login: Any
) -> None:
    _add_people(world, 120)
    token = login(client, world.admin)
    first = client.get("/admin/assignments")
    # No menu of every coach: a field per client for the new coach's email or slug.
    assert "<option" not in first.text
    pages = _walk(client, "/admin/assignments", CLIENT_NAME)
    assert [len(p) for p in pages] == [50, 50, 23]
    found = client.get("/admin/assignments?q=pat042")
    assert CLIENT_NAME.findall(found.text) == ["Pat 042"]
    assert "coached by Xavier Coach" in found.text
    slug = re.search(r'name="client" value="([^"]+)"', found.text)
    assert slug is not None
    moved = client.post(
        "/admin/assignments",
        data={"csrf_token": token, "client": slug.group(1), "coach": "Y@Example.com"},
    )
    assert moved.status_code == 303
    assert "coached by Yara Coach" in client.get("/admin/assignments?q=pat042").text
    unknown = client.post(
        "/admin/assignments",
        data={"csrf_token": token, "client": slug.group(1), "coach": "nobody@example.com"},
    )
    assert unknown.status_code == 404
    assert "coached by Yara Coach" in client.get("/admin/assignments?q=pat042").text


def test_the_rules_page_finds_a_coach_by_search_or_email(
    client: FlaskClient, world: World, login: Any
) -> None:
    _add_people(world, 120)
    login(client, world.admin)
    page = client.get("/admin/rules")
    assert "<option" not in page.text and "Pat 001" not in page.text
    found = client.get("/admin/rules?q=yara")
    assert f'href="/admin/rules?coach={world.y}"' in found.text
    assert "Xavier" not in found.text
    assert "No coach matches" in client.get("/admin/rules?q=pat").text
    by_email = client.get("/admin/rules?coach=x@example.com")
    assert by_email.status_code == 200 and "Business rules for Xavier Coach" in by_email.text
    assert client.get(f"/admin/rules?coach={world.a}").status_code == 404


def test_add_user_offers_the_zones_of_the_profile_page(
    client: FlaskClient, world: World, login: Any
) -> None:
    """The add-user form lists the database's zones (the profile page's one <select> with an
    <optgroup> per region), and the database decides what is accepted."""
    token = login(client, world.admin)
    page = client.get("/admin/users")
    offered = re.findall(r'<option value="([^"]+)"', page.text.split('id="time_zone"', 1)[1])
    listed = set(accounts.time_zones(world.db))
    assert offered and set(offered) <= listed
    assert '<optgroup label="America">' in page.text
    form = {
        "csrf_token": token,
        "name": "Zed Client",
        "role": "client",
        "password": "a good long one",
    }
    ok = client.post("/admin/users", data={**form, "email": "z@example.com", "time_zone": "UTC"})
    assert ok.status_code == 303
    lookup = accounts.login_lookup(world.db, "z@example.com")
    assert lookup is not None
    # A zone the database's time_zones table has not: refused with our message, no account made.
    with world.db.transaction() as cur:
        cur.execute("SELECT count(*) FROM users")
        before = cur.fetchone()
    bad = client.post(
        "/admin/users", data={**form, "email": "w@example.com", "time_zone": "Mars/Olympus"}
    )
    assert bad.status_code == 422
    assert "time_zone-error" in bad.text
    assert accounts.login_lookup(world.db, "w@example.com") is None
    with world.db.transaction() as cur:
        cur.execute("SELECT count(*) FROM users")
        assert cur.fetchone() == before
