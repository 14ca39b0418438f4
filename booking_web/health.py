"""/healthz: a trivial answer for load balancers (and the baseline of bench/web.py)."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is up. It does not touch the database."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
