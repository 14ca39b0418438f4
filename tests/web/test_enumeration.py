"""GET /api/v1/availability?coach=X tells a signed-in user nothing about X unless X is their
coach (or themself): "no such coach", "not your coach", "not a coach" and "inactive coach" get one
answer. Admins, and the user asking about themself, keep precise answers."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from officehours import accounts
from tests.lib.support import World
from tests.web.helpers import json_of

WEEK = "from=2027-01-05T00:00:00Z&to=2027-01-06T00:00:00Z"


def token_of(world: World, slug: str) -> str:
    return accounts.create_api_token(world.db, None, slug, "t")[1]


def _availability(client: FlaskClient, token: str, coach: str) -> tuple[int, dict[str, Any]]:
    response = client.get(
        f"/api/v1/availability?coach={coach}&{WEEK}", headers={"Authorization": f"Bearer {token}"}
    )
    body = json_of(response)
    return response.status_code, body


def _hidden_coaches(world: World) -> dict[str, str]:
    """What client A may not see, by why: each must get the same answer."""
    gone = accounts.add_user(world.db, None, "z@example.com", "Zed Coach", "coach", "UTC")
    accounts.set_active(world.db, None, gone, False)
    return {
        "no such coach": "nobody-a1b2",
        "no such email": "nobody@example.com",
        "not your coach": world.y,
        "not your coach, by email": "y@example.com",
        "not a coach": world.b,
        "an admin": world.admin,
        "inactive coach": gone,
        "inactive coach, by email": "z@example.com",
    }


def test_one_answer_for_every_coach_a_user_may_not_see(client: FlaskClient, world: World) -> None:
    hidden = _hidden_coaches(world)
    for who in (world.a, world.c, world.y):  # two clients and a coach
        token = token_of(world, who)
        answers = {}
        for why, coach in hidden.items():
            if coach in (world.y, "y@example.com") and who in (world.c, world.y):
                continue  # C's own coach, and Y themself: allowed
            status, body = _availability(client, token, coach)
            answers[why] = (status, body["code"], body["title"], body["detail"])
        assert len(set(answers.values())) == 1, answers
        assert next(iter(answers.values())) == (
            403,
            "forbidden",
            "You may not do that.",
            "You can only see the free time of your own coach.",
        )
    # Their own coach (and a coach's own calendar) still answers.
    assert _availability(client, token_of(world, world.a), world.x)[0] == 200
    assert _availability(client, token_of(world, world.y), world.y)[0] == 200


def test_admins_and_the_user_themself_keep_precise_answers(
    client: FlaskClient, world: World
) -> None:
    hidden = _hidden_coaches(world)
    admin = token_of(world, world.admin)
    expected = {
        "no such coach": (404, "unknown_user"),
        "no such email": (404, "unknown_user"),
        "not your coach": (200, None),
        "not your coach, by email": (200, None),
        "not a coach": (409, "wrong_role"),
        "an admin": (409, "wrong_role"),
        "inactive coach": (409, "inactive_user"),
        "inactive coach, by email": (409, "inactive_user"),
    }
    for why, coach in hidden.items():
        status, body = _availability(client, admin, coach)
        assert (status, body.get("code")) == expected[why], why
    # A client asking for their own free time is told they are not a coach.
    status, body = _availability(client, token_of(world, world.a), world.a)
    assert (status, body["code"]) == (409, "wrong_role")
