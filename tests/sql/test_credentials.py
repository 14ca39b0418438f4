"""API tokens and app passwords: hashed, revocable, and each accepted only as its own kind."""

from __future__ import annotations

import pytest

from officehours import accounts, errors
from tests.lib.support import NOW, World


def test_each_secret_works_only_as_its_own_kind(world: World) -> None:
    db = world.db
    _, token = accounts.create_api_token(db, None, world.x, "script")
    _, password = accounts.create_app_password(db, None, world.x, "phone")
    assert accounts.user_for_api_token(db, token) == world.x
    assert accounts.user_for_app_password(db, "X@Example.com", password) == world.x
    assert accounts.user_for_api_token(db, password) is None
    assert accounts.user_for_app_password(db, "x@example.com", token) is None
    assert accounts.user_for_app_password(db, "a@example.com", password) is None  # not A's
    assert accounts.user_for_api_token(db, token + "x") is None
    with db.transaction() as cur:
        cur.execute(
            "SELECT count(*) FROM credentials WHERE secret_hash = convert_to(%s, 'UTF8')", (token,)
        )
        assert cur.fetchone() == (0,)  # only the hash is kept


def test_revoked_and_deactivated_credentials_stop_working(world: World) -> None:
    db = world.db
    handle, token = accounts.create_api_token(db, None, world.a)
    other_handle, password = accounts.create_app_password(db, None, world.a)
    assert not accounts.revoke(db, world.b, "api_token", handle)  # B cannot see A's token
    assert accounts.user_for_api_token(db, token) == world.a
    assert not accounts.revoke(db, world.a, "app_password", handle)  # the wrong kind
    assert accounts.revoke(db, world.a, "api_token", handle)
    assert accounts.user_for_api_token(db, token) is None
    assert not accounts.revoke(db, world.a, "api_token", handle)  # already revoked
    accounts.set_active(db, None, world.a, False, now=NOW)
    assert accounts.user_for_app_password(db, "a@example.com", password) is None
    with pytest.raises(errors.InvalidInput):
        accounts.revoke(db, None, "password", other_handle)
    with pytest.raises(errors.InvalidLabel):
        accounts.create_api_token(db, None, world.b, "x" * 101)
