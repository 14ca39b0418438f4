"""Retention: deletes what the rules mail_kept, calls_kept, caldav_changes_kept and
account_links_kept let go, and the sign-in counters past their forget_after (see prune() in
sql/definitions/80_retention.sql).
`officehours prune` runs it from cron; it is safe on many hosts at once, since one runs at a
time and the others return at once."""

from __future__ import annotations

from dataclasses import dataclass

from officehours import sqlfiles
from officehours.db import Database, one
from officehours.periodic import Periodic
from officehours.settings import Settings

Q = sqlfiles.load(__name__)

# Each batch is its own short transaction, so pruning never holds many rows locked for long.
BATCH = 5000
HOURLY = 3600.0


@dataclass(frozen=True)
class Pruned:
    """How many finished mails, ended calls, CalDAV tombstones, stale sign-in counters and
    password links that are over were deleted."""

    mail: int = 0
    calls: int = 0
    changes: int = 0
    sign_ins: int = 0
    links: int = 0


def prune(db: Database, *, batch: int = BATCH) -> Pruned:
    """Deletes, batch by batch, everything the retention rules let go; returns the counts."""
    done = [0, 0, 0, 0, 0]
    while True:
        with db.transaction() as cur:
            cur.execute(Q.prune_batch, {"batch": batch})
            more = [int(n) for n in one(cur)]
        done = [total + n for total, n in zip(done, more, strict=True)]
        if all(n < batch for n in more):
            return Pruned(*done)


class RetentionService:
    """Prunes once at start and then every hour, beside the requests of `officehours serve`."""

    name = "retention"

    def __init__(self, db: Database, *, interval: float = HOURLY) -> None:
        self.pruner: Periodic[Pruned] = Periodic(
            "retention", lambda: prune(db), interval=interval, what="pruning by the retention rules"
        )

    def start(self) -> None:
        self.pruner.start()

    def stop(self) -> None:
        self.pruner.stop()

    def describe(self) -> str:
        return (
            f"Retention: pruning every {self.pruner.interval / 3600:g} h"
            " (mail_kept, calls_kept, caldav_changes_kept, sign-in forget_after,"
            " account_links_kept)"
        )


def make_service(settings: Settings | None, db: Database) -> RetentionService:
    """The retention job of `officehours serve` (an ``officehours.services`` entry point)."""
    return RetentionService(db)
