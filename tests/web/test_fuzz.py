"""Hostile input into every route of the website and the JSON API (issue 8): NUL bytes,
out-of-range years, non-ASCII digits, CR/LF and over-long values in every query parameter,
form field, JSON member and path parameter each route reads, signed in as each role it is for
and anonymously. No answer is a 5xx, and a refused request (4xx) changes no row of any table.

The routes and their fields are listed in tests/web/fuzz_routes.py; the first test proves that
list complete against ``app.url_map`` and against what the views read. Deterministic: a fixed
list of values, no randomness, well under a minute.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask, Request
from flask.testing import FlaskClient
from psycopg2 import sql
from werkzeug.datastructures import ImmutableMultiDict

from booking_web import queries
from officehours import accounts, booking
from officehours.db import Database
from tests.lib.support import NOW, World
from tests.web.conftest import make_app, sign_in_as
from tests.web.fuzz_routes import ROUTES, Route
from tests.web.helpers import forget_cookies

CALL = "2027-01-05T17:00:00Z"  # client A's booked call with coach X

HOSTILE: tuple[str, ...] = (
    "a\x00b",
    "\x00",
    "9999-12-31",
    "0001-01-01",
    "10000-01-01T00:00:00Z",
    "9999-12-31T23:00:00-23:59",
    "0001-01-01T00:00:00+14:00",
    "2027-01-05T17:00:00+15:00",
    "\u0663",  # ARABIC-INDIC DIGIT THREE: int() reads it as 3
    "\u00b2",  # SUPERSCRIPT TWO: isdigit() is true, int() fails
    "\u0662\u0660\u0662\u0667-\u0660\u0661-\u0661\u0661",
    "\u0660\u0669:\u0660\u0660",
    "/\r\nX-Injected: yes",
    "a\nb\u2028c",
    "",
    "-1",
    "1e309",
    "'; SELECT pg_sleep(10); --",
    "x" * 5000,
    "9" * 400,
)
# For routes that check a password (a third of a second each): one value of each kind.
FEW: tuple[str, ...] = ("a\x00b", "9999-12-31T23:00:00-23:59", "\u0663", "/\r\nX: y", "x" * 5000)
PATH_VALUES: tuple[str, ...] = ("a\x00b", "\u0663", "%0d%0a", "x" * 101, "..", "-")
BODIES: tuple[bytes, ...] = (
    b"",
    b"\x00",
    b"{",
    b"[]",
    b"null",
    b'{"start": null}',
    b'{"start": 1}',
    b'{"start": "\\u0000"}',
    b'{"start": "2027-01-06T17:00:00Z", "end": "2027-01-06T18:00:00Z"}',
    b'{"start": "' + b"9" * 70000 + b'"}',
)
# Tables a refused request may change, and why: a failed sign-in is recorded to limit guessing;
# any signed-in request, refused or not, keeps its session alive (its last-seen time).
MAY_CHANGE_ON_REFUSAL = {
    "auth.signin_post": {"sign_in_counters"},
    "account.password": {"sign_in_counters"},  # the current password is checked as a sign-in
}
EVERY_REQUEST_MAY_CHANGE = {"web_sessions"}
TOO_LARGE = "y" * 70_000  # beyond MAX_FORM_MEMORY_SIZE: 413


# -- Recording which inputs a view reads -------------------------------------------------------

_read: set[str] = set()


class RecordingDict(ImmutableMultiDict[str, str]):
    """The request's args and form, noting every key a view looks up."""

    def __getitem__(self, key: str) -> str:
        _read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            _read.add(key)
        return super().__contains__(key)

    def getlist(self, key: str, type: Any = None) -> list[Any]:
        _read.add(key)
        return super().getlist(key, type)


class RecordingRequest(Request):
    parameter_storage_class = RecordingDict


# -- The scene -------------------------------------------------------------------------------


@dataclass
class Scene:
    world: World
    app: Flask
    names: dict[str, str]
    numbers: Iterator[int]

    def fill(self, text: str) -> str:
        """A good value with the scene's names in it."""
        return text.format(n=next(self.numbers), **self.names) if "{" in text else text


def make_scene(world: World) -> Scene:
    app = make_app(world)
    app.request_class = RecordingRequest
    call = booking.book(world.db, world.a, world.a, datetime.fromisoformat(CALL), now=NOW)
    token_handle, _ = accounts.create_api_token(world.db, None, world.a, "script")
    app_handle, _ = accounts.create_app_password(world.db, None, world.a, "phone")
    names = {
        "call": call.token,
        "token_handle": token_handle,
        "app_handle": app_handle,
        "feed": queries.new_feed(world.db, world.a),
        "a": world.a,
        "x": world.x,
        "y": world.y,
        "admin": world.admin,
    }
    return Scene(world, app, names, itertools.count())


class Digest:
    """An md5 of every table's rows, as the owner sees them, by table name."""

    def __init__(self, db: Database) -> None:
        self.db = db
        with db.transaction() as cur:
            cur.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY 1"
            )
            tables = [row[0] for row in cur.fetchall()]
        part = sql.SQL(
            "SELECT {name}, coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')"
            " FROM {table} t"
        )
        self.statement = sql.SQL(" UNION ALL ").join(
            part.format(name=sql.Literal(name), table=sql.Identifier(name)) for name in tables
        )
        self.tables = tables

    def __call__(self) -> dict[str, str]:
        with self.db.transaction() as cur:
            cur.execute(self.statement)
            return {name: value for name, value in cur.fetchall()}


# -- Sending ----------------------------------------------------------------------------------


@dataclass
class Probe:
    """One request of the fuzz: a route, as someone, with one input made hostile."""

    endpoint: str
    role: str
    where: str
    value: str | bytes


def send(
    client: FlaskClient,
    scene: Scene,
    route: Route,
    csrf: str,
    *,
    query: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    json: dict[str, str] | None = None,
    body: bytes | None = None,
    path: str | None = None,
) -> Any:
    """A request to the route with its good values, overridden by the given ones."""
    url = path if path is not None else scene.fill(route.path)
    args = {k: scene.fill(v) for k, v in route.query.items()} | (query or {})
    data = {k: scene.fill(v) for k, v in route.form.items()} | (form or {})
    if route.method in ("POST", "PATCH", "DELETE") and not route.path.startswith("/api/"):
        data.setdefault("csrf_token", csrf)
    if body is not None:
        return client.open(
            url, method=route.method, query_string=args, data=body,
            content_type="application/json",
        )  # fmt: skip
    if route.json is not None:
        payload = {k: scene.fill(v) for k, v in route.json.items()} | (json or {})
        return client.open(url, method=route.method, query_string=args, json=payload)
    return client.open(url, method=route.method, query_string=args, data=data or None)


def probes_of(endpoint: str, route: Route, role: str) -> Iterator[tuple[Probe, dict[str, Any]]]:
    """Every hostile variant of a route's good request, as keyword arguments of send(). Routes
    that are not for anonymous visitors send them away before reading any input: they get one
    value of each kind."""
    few = role == "anon" and "anon" not in route.roles

    def values(name: str) -> tuple[str, ...]:
        return FEW if few or name in route.slow else HOSTILE

    for name in route.query:
        for value in values(name):
            yield Probe(endpoint, role, f"query {name}", value), {"query": {name: value}}
        yield Probe(endpoint, role, f"query {name}", "too large"), {"query": {name: TOO_LARGE}}
    for name in route.form:
        for value in values(name):
            yield Probe(endpoint, role, f"form {name}", value), {"form": {name: value}}
        yield Probe(endpoint, role, f"form {name}", "too large"), {"form": {name: TOO_LARGE}}
    if route.method == "POST" and not route.path.startswith("/api/"):
        for value in FEW:
            yield Probe(endpoint, role, "form csrf_token", value), {"form": {"csrf_token": value}}
    for name in route.json or {}:
        for value in values(name):
            yield Probe(endpoint, role, f"json {name}", value), {"json": {name: value}}
    if route.json is not None:
        for raw in BODIES:
            yield Probe(endpoint, role, "body", raw[:60]), {"body": raw}
    # A field the route does not read, with a zero byte in its name and its value.
    yield Probe(endpoint, role, "unlisted", "\x00"), {"query": {"x\x00": "\x00"}}
    if "{" in route.path:
        for value in PATH_VALUES:
            url = route.path.split("{")[0] + quote(value, safe="") + route.path.split("}", 1)[1]
            yield Probe(endpoint, role, "path", value), {"path": url}


def as_role(client: FlaskClient, scene: Scene, role: str) -> str:
    """Signs the client in as ``role`` (or out, for 'anon'); returns the CSRF token."""
    forget_cookies(client)
    if role == "anon":
        with client.session_transaction() as session:
            session["csrf"] = "csrf-anon"
        return "csrf-anon"
    return str(sign_in_as(client, scene.names[role]))


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world)


def test_the_list_of_routes_is_complete(scene: Scene) -> None:
    endpoints = {rule.endpoint for rule in scene.app.url_map.iter_rules()}
    assert set(ROUTES) == endpoints, "tests/web/fuzz_routes.py must list every endpoint"
    unlisted: list[str] = []
    with scene.app.test_client() as client:
        for endpoint, route in ROUTES.items():
            for role in route.roles:
                csrf = as_role(client, scene, role)
                _read.clear()
                response = send(client, scene, route, csrf)
                assert response.status_code < 500, (endpoint, role, response.status_code)
                listed = set(route.query) | set(route.form) | {"csrf_token"}
                unlisted += [f"{endpoint} as {role} reads {k!r}" for k in _read - listed]
    assert not unlisted, "\n".join(unlisted)


def test_hostile_input_gets_a_4xx_and_changes_nothing(scene: Scene) -> None:
    digest = Digest(scene.world.db)
    assert {"appointments", "users", "business_rules", "credentials"} <= set(digest.tables)
    wrong: list[str] = []
    with scene.app.test_client() as client:
        before = digest()
        for endpoint, route in ROUTES.items():
            for role in ("anon", *route.roles):
                csrf = as_role(client, scene, role)
                for probe, kwargs in probes_of(endpoint, route, role):
                    client.environ_base["REMOTE_ADDR"] = f"10.0.{next(scene.numbers) % 250}.1"
                    response = send(client, scene, route, csrf, **kwargs)
                    after = digest()
                    status = response.status_code
                    if status >= 500:
                        wrong.append(f"{status}: {probe}")
                    elif status >= 400:
                        allowed = MAY_CHANGE_ON_REFUSAL.get(endpoint, set())
                        allowed = allowed | EVERY_REQUEST_MAY_CHANGE
                        changed = {t for t in after if after[t] != before.get(t)} - allowed
                        if changed:
                            wrong.append(f"{status} but changed {sorted(changed)}: {probe}")
                    if "X-Injected" in response.headers or "\n" in response.headers.get(
                        "Location", ""
                    ):
                        wrong.append(f"header injected: {probe}")
                    before = after
    assert not wrong, "\n".join(wrong[:60]) + f"\n({len(wrong)} in all)"
