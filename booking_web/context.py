"""Per-request helpers: the pool, the clock, the signed-in user and the access decorators."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from flask import current_app, g, redirect, request, url_for

from officehours import errors
from officehours.accounts import User
from officehours.db import Database

F = TypeVar("F", bound=Callable[..., Any])

# Whom a page is for, as its refusal says it: "This page is for coaches."
ROLE_PLURALS = {"client": "clients", "coach": "coaches", "admin": "admins"}


def page_is_for(roles: tuple[str, ...]) -> str:
    """'This page is for coaches.' (or 'for coaches and admins.') for a page of these roles."""
    names = [ROLE_PLURALS.get(role, role) for role in roles]
    return f"This page is for {' and '.join(names)}."


def db() -> Database:
    """The application's connection pool."""
    return cast(Database, current_app.config["DATABASE"])


def rules_now() -> datetime | None:
    """The clock to hand the rules: None (the database's) unless the app was given one."""
    return cast(datetime | None, current_app.config.get("NOW"))


def clock() -> datetime:
    """The current instant as the rules see it."""
    return rules_now() or datetime.now(UTC)


def user() -> User | None:
    """The signed-in user of this request, or None."""
    return cast(User | None, g.get("user"))


def actor() -> str:
    """The slug of the signed-in user; raises NotSignedIn when there is none."""
    current = user()
    if current is None:
        raise errors.NotSignedIn()
    return current.slug


def login_required(view: F) -> F:
    """Pages: sends anonymous visitors to the sign-in page and back."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if user() is None:
            return redirect(url_for("auth.signin", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return cast(F, wrapped)


def role_required(*roles: str) -> Callable[[F], F]:
    """Pages: signed-in users of these roles only (others get 403). The database checks again."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            current = user()
            if current is None:
                return redirect(url_for("auth.signin", next=request.full_path.rstrip("?")))
            if current.role not in roles:
                raise errors.Forbidden(page_is_for(roles))
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate
