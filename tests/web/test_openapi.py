"""Property-based run of the JSON API against its OpenAPI document (schemathesis).

Every generated request, valid or not, must get a documented status with a body matching the
document, never a 5xx; and a request that is refused must leave the data as it was.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from booking_web.openapi import document
from officehours import accounts, booking
from tests.lib.support import NOW, World


@pytest.fixture
def auth(world: World) -> dict[str, str]:
    booking.book(
        world.db, world.a, world.a, datetime.fromisoformat("2027-01-05T17:00:00+00:00"), now=NOW
    )
    return {"Authorization": "Bearer " + accounts.create_api_token(world.db, None, world.a)[1]}


def _snapshot(world: World) -> str:
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT json_agg(a ORDER BY id)::text, (SELECT count(*) FROM appointment_history), "
            "(SELECT json_agg(n ORDER BY appointment_id)::text FROM appointment_notes n) "
            "FROM appointments a"
        )
        return json.dumps(cur.fetchone())


class _CurrentApp:
    """The app of the running test: the schema is loaded once, each test has its own database."""

    app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


CURRENT = _CurrentApp()
# The document the app serves (a test below checks it is the same), loaded once at collection.
schema = schemathesis.openapi.from_dict(document("http://officehours.test"))
schema.app = CURRENT


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_matches_its_document(case: Any, app: Any, world: World, auth: dict[str, str]) -> None:
    CURRENT.app = app
    before = _snapshot(world)
    # Times the document allows are often refused by a booking rule (422 in_the_past, ...): the
    # document lists those answers, so "schema-valid means 2xx" does not hold for this API.
    response = case.call_and_validate(headers=auth, excluded_checks=[positive_data_acceptance])
    assert response.status_code < 500
    if response.status_code >= 400:
        assert _snapshot(world) == before, (case.method, case.path, response.text)


def test_the_served_document_is_the_tested_one(client: Any) -> None:
    assert client.get("/api/v1/openapi.json").json == document("http://officehours.test")
