"""The plans of what bench/scale.py measures: EXPLAIN (ANALYZE, BUFFERS) of every statement an
operation runs, as the application runs it, through auto_explain.

EXPLAIN of a copy of a query would not do: what grows is often a statement inside a function
or trigger, or a row-level-security filter that only the application's own role and actor
bring in. So the operation itself runs once more, on a pool whose connections load
auto_explain and send its log back as notices (``scale_plans.sql``), and once more again with
the statements inside functions and triggers. Needs a superuser (LOAD, the log settings).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import psycopg2.extensions
import scale_ops

from officehours import sqlfiles
from officehours.db import Database

Q = sqlfiles.parse(Path(__file__).with_suffix(".sql").read_text("utf-8"), "bench/scale_plans.sql")


class Plans:
    """The plans auto_explain sends back as notices, slowest first: a statement that grows
    stands out among the hundreds of quick ones around it."""

    DURATION = re.compile(r"duration: ([0-9.]+) ms")

    def __init__(self, keep: int = 20_000) -> None:
        self.keep = keep
        self.kept: list[tuple[float, int, str]] = []
        self.dropped = 0

    def append(self, notice: str) -> None:
        """Called by psycopg2 for each notice (it takes any object with append)."""
        if len(self.kept) >= self.keep:
            self.dropped += 1
            return
        found = self.DURATION.search(notice)
        self.kept.append((float(found.group(1)) if found else 0.0, len(self.kept) + 1, notice))

    def clear(self) -> None:
        self.kept.clear()
        self.dropped = 0

    def text(self) -> str:
        """The plans, slowest first, each with its place in the order they ran."""
        ranked = sorted(self.kept, key=lambda plan: -plan[0])
        body = "".join(f"-- statement {n} of {len(self.kept)}\n{text}" for _, n, text in ranked)
        return body + (f"\n({self.dropped:,} more plans not kept)\n" if self.dropped else "")


class ExplainingDatabase(Database):
    """A pool whose connections log the plan of every statement (auto_explain, with ANALYZE and
    BUFFERS) into ``plans``; with ``nested``, those of 1 ms or more inside functions and
    triggers too. Needs a superuser."""

    def __init__(self, url: str, *, nested: bool) -> None:
        super().__init__(url, max_connections=4)
        self.nested = nested
        self.plans = Plans()

    def _open(self) -> Any:  # the pool's lease: the connection and what it knows of it
        lease = super()._open()
        conn = lease.conn
        # psycopg2 keeps only 50 notices in its own list; it takes any object with append.
        conn.notices = self.plans
        with conn.cursor() as cur:
            cur.execute(Q.explain_nested_statements if self.nested else Q.explain_statements)
        conn.commit()
        return lease


def plans_url(url: str, nested: bool = False) -> str:
    """Another URL of the same database for each plan pass: Radicale finds its pool by URL, and
    each pass needs a pool of its own."""
    parts = urlsplit(url)
    name = "officehours-scale-nested-plans" if nested else "officehours-scale-plans"
    query = (parts.query + "&" if parts.query else "") + "application_name=" + name
    return urlunsplit(parts._replace(query=query))


class Explainer:
    """Writes the plans of operations to ``out``. Its benches (one per database and pass) stay
    open from one operation to the next, so a plan shows the statement's cost, not a new
    connection's first reads of the catalog."""

    PASSES = (
        (False, "the statements the application sent"),
        (True, "statements inside functions and triggers too, those of 1 ms or more"),
    )

    def __init__(self, out: Path) -> None:
        self.out = out
        self._benches: dict[tuple[str, bool], tuple[scale_ops.Bench, ExplainingDatabase]] = {}

    def _bench(self, base: scale_ops.Bench, nested: bool) -> tuple[scale_ops.Bench, Plans]:
        key = (base.db.url, nested)
        if key not in self._benches:
            db = ExplainingDatabase(plans_url(base.db.url, nested), nested=nested)
            self._benches[key] = (scale_ops.Bench.open(db, base.subjects, base.repeat), db)
        bench, db = self._benches[key]
        return bench, db.plans

    def explain(
        self, benches: tuple[scale_ops.Bench, scale_ops.Bench], op: scale_ops.Operation, run: int
    ) -> list[Path]:
        """Runs ``op`` again on each database with the plans of its statements logged (run
        ``run``), then once more with those inside functions and triggers (``run + 1``); writes
        one file per database and returns them."""
        written = []
        slug = re.sub(r"[^a-z0-9]+", "-", op.label.lower()).strip("-")
        for which, base in zip(("big", "small"), benches, strict=True):
            parts = []
            for n, (nested, what) in enumerate(self.PASSES):
                bench, plans = self._bench(base, nested)
                if op.before:
                    op.before(bench, run + n)
                plans.clear()
                started = time.perf_counter()
                op.run(bench, run + n)
                took = time.perf_counter() - started
                caught = plans.text()
                if op.after:
                    op.after(bench, run + n)
                parts.append(f"=== {what}: {took * 1000:.1f} ms with auto_explain\n\n{caught}\n")
            path = self.out / f"{slug}.{which}.txt"
            path.write_text(
                f"{op.label} ({op.where}) on the {which} database, as the application runs it:\n"
                "EXPLAIN (ANALYZE, BUFFERS) of each statement, through auto_explain\n\n"
                + "".join(parts),
                "utf-8",
            )
            written.append(path)
        return written

    def close(self) -> None:
        """Closes the benches' pools."""
        for bench, _ in self._benches.values():
            bench.close()
        self._benches.clear()


def available(url: str) -> bool:
    """Whether this server lets us log plans (auto_explain needs a superuser)."""
    probe = ExplainingDatabase(plans_url(url), nested=False)
    try:
        with probe.transaction():
            return True
    except psycopg2.Error:
        return False
    finally:
        probe.close()
