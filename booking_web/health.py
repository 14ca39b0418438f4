"""Health routes for load balancers and supervisors.

``/livez``: the process answers (no database): restart it when this fails.
``/healthz``: the process can serve, the database answering included: send it traffic only
while this is 200. It answers 503 with Retry-After while the database cannot be reached. Every
connection being at work is no reason to take the process out of a load balancer (its queue
is there for bursts, and with one process there is nowhere else to send them): 200 then too.
"""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from booking_web.context import db
from officehours.errors import Busy, OfficeHoursError

bp = Blueprint("health", __name__)

TEXT = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/livez")
def livez() -> ResponseReturnValue:
    """The process is up. It does not touch the database (and is the baseline of
    bench/web.py)."""
    return "ok\n", 200, TEXT


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is up and the database answers a query within a second."""
    try:
        db().ping(wait=1.0)
    except Busy:
        return "ok: every connection is at work\n", 200, TEXT
    except OfficeHoursError as exc:
        headers = TEXT | {"Retry-After": str(exc.retry_after or 5)}
        return f"{exc.code}: {exc.message}\n", exc.http_status, headers
    return "ok\n", 200, TEXT
