"""Benchmark at the size of a real service: every page and query at N coaches against 10 coaches.

    python bench/scale.py [--coaches 10000] [--clients-per-coach 100] [--months 24]
                          [--database-url URL] [--keep]

Loads two databases built the same way (``scale_load``): the big one at the size asked for and
a baseline of 10 coaches, with office hours, clients, two years of calls with their history,
the mail the outbox sent about them, busy time and CalDAV state. Prints the load time and the
size of each, then, for every operation of ``scale_ops.OPERATIONS`` (the application's own
functions, pages over HTTP and CalDAV requests, as the signed-in user), the median time on
each database and the ratio big/small beside its goal. For each ratio over the goal it writes
the plans of the statements it ran, EXPLAIN (ANALYZE, BUFFERS) through auto_explain, to --out.

Without --database-url a throwaway embedded PostgreSQL is started under /tmp. With it, the
two databases are made on that server (its user must be able to create databases; plans need
a superuser) and dropped at the end, unless --keep.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_load
import scale_ops
import scale_plans

from officehours.db import Database
from officehours.migrations import migrate

GOAL = 1.3
BASELINE_COACHES = 10


def say(line: str) -> None:
    """Prints a line at once (the runs are long; the output is a log)."""
    print(line, flush=True)


@contextmanager
def server(url: str | None, keep: bool) -> Iterator[str]:
    """The admin URL of the server to use: ``url``, or an embedded one under /tmp."""
    if url:
        yield url
        return
    from officehours.embedded import EmbeddedPostgres

    folder = Path(tempfile.mkdtemp(prefix="officehours-scale-", dir="/tmp"))
    embedded = EmbeddedPostgres(folder / "pg", cleanup="stop" if keep else "delete")
    say(f"embedded PostgreSQL in {folder / 'pg'}")
    try:
        yield embedded.url()
    finally:
        embedded.stop()
        if keep:
            say(f"its data stays in {folder / 'pg'} (pg_ctl -D starts it again)")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


@contextmanager
def databases(admin_url: str, keep: bool) -> Iterator[tuple[str, str]]:
    """Two new, migrated databases on the server (big, small); dropped afterwards unless keep."""
    names = [f"officehours_scale_{which}_{os.getpid()}" for which in ("big", "small")]
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for name in names:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        urls = [_with_database(admin_url, name) for name in names]
        for url in urls:
            migrate(url)
        yield urls[0], urls[1]
    finally:
        if keep:
            say(f"kept the databases {', '.join(names)}")
        else:
            with conn.cursor() as cur:
                for name in names:
                    cur.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(name)
                        )
                    )
        conn.close()


@dataclass
class Result:
    """One operation's medians on both databases (big None: not run, for ``skipped``)."""

    op: scale_ops.Operation
    big: float | None
    small: float
    skipped: str | None = None

    @property
    def ratio(self) -> float:
        if self.big is None or self.small <= 0:
            return float("inf")
        return self.big / self.small

    def row(self) -> str:
        """The operation's line of the table."""
        status = "ok" if self.ratio <= GOAL else "FAIL"
        big = self.skipped if self.big is None else f"{self.big * 1000:,.1f} ms"
        ratio = "-" if self.big is None else f"{self.ratio:,.2f}x"
        return (
            f"| {self.op.label} | {self.op.where} | {big} | {self.small * 1000:,.1f} ms"
            f" | {ratio} | <= {GOAL} | {status} |"
        )


def timed(bench: scale_ops.Bench, op: scale_ops.Operation, run: int) -> float:
    """Seconds of one run of ``op`` (its set-up and undoing untimed)."""
    if op.before:
        op.before(bench, run)
    started = time.perf_counter()
    op.run(bench, run)
    took = time.perf_counter() - started
    if op.after:
        op.after(bench, run)
    return took


def measure(
    benches: tuple[scale_ops.Bench, scale_ops.Bench],
    op: scale_ops.Operation,
    repeat: int,
    budget: float,
) -> Result:
    """Median of ``repeat`` runs on each database after one warm-up, the two interleaved so the
    machine's noise falls on both alike. A warm-up slower than ``budget`` seconds is the one
    sample of its side: at full size one run can take a minute."""
    samples: tuple[list[float], list[float]] = ([], [])
    skipped = [op.too_big(bench) if op.too_big else None for bench in benches]
    slow = [reason is not None for reason in skipped]
    for run in range(repeat + 1):
        for side, bench in enumerate(benches):
            if slow[side]:
                continue
            took = timed(bench, op, run)
            if run == 0 and took > budget:
                slow[side] = True
            if run > 0 or slow[side]:
                samples[side].append(took)
    if skipped[1] is not None:
        raise scale_ops.BenchError(f"{op.label} on the baseline: {skipped[1]}")
    big = statistics.median(samples[0]) if samples[0] else None
    return Result(op, big, statistics.median(samples[1]), skipped[0])


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--coaches", type=int, default=10_000)
    parser.add_argument("--clients-per-coach", type=int, default=100)
    parser.add_argument("--months", type=int, default=24, help="months of calls (default 24)")
    parser.add_argument(
        "--calls-per-coach-month",
        type=int,
        default=10,
        help="calls each coach holds a month (default 10: 2.4 million calls at full size, "
        "the issue's figure; at most one per client and month)",
    )
    parser.add_argument("--busy-per-coach", type=int, default=60)
    parser.add_argument("--database-url", help="a server to use instead of an embedded one")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per operation")
    parser.add_argument(
        "--budget", type=float, default=30.0, help="seconds: a slower warm-up is the one sample"
    )
    parser.add_argument("--jobs", type=int, default=2, help="connections loading users")
    parser.add_argument("--out", type=Path, help="where plans go (default bench/out/scale-N)")
    parser.add_argument(
        "--plans",
        choices=("failing", "all", "none"),
        default="failing",
        help="whose plans to write: the operations over the goal (default), all, or none",
    )
    args = parser.parse_args(argv)
    for name in ("coaches", "clients_per_coach", "months", "calls_per_coach_month", "repeat"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.busy_per_coach < 0:
        parser.error("--busy-per-coach must not be negative")
    return args


def load_both(
    urls: tuple[str, str], size: scale_load.Size, jobs: int
) -> tuple[scale_load.Loaded, scale_load.Loaded]:
    """Loads the baseline, then the big database; prints what each took."""
    small_size = scale_load.Size(
        BASELINE_COACHES,
        size.clients_per_coach,
        size.months,
        size.calls_per_coach_month,
        size.busy_per_coach,
    )
    loaded = []
    for url, which, at in ((urls[1], "small", small_size), (urls[0], "big", size)):
        say(f"loading the {which} database: {at.describe()}")
        loaded.append(scale_load.load(url, at, scale_ops.NOW, jobs=jobs, say=say))
    return loaded[1], loaded[0]


def summary(which: str, loaded: scale_load.Loaded) -> str:
    return (
        f"| {which} | {loaded.seconds:,.0f} s | {loaded.size_bytes / 2**20:,.0f} MB"
        f" | {loaded.users:,} | {loaded.appointments:,} | {loaded.history:,}"
        f" | {loaded.outbox:,} | {loaded.busy:,} | {loaded.collections:,} |"
    )


def run(args: argparse.Namespace, emit: Callable[[str], None]) -> int:
    """Loads, measures and reports; returns the exit status (0 whatever the ratios)."""
    size = scale_load.Size(
        args.coaches, args.clients_per_coach, args.months, args.calls_per_coach_month,
        args.busy_per_coach,
    )  # fmt: skip
    out = args.out or Path(__file__).resolve().parent / "out" / f"scale-{args.coaches}"
    out.mkdir(parents=True, exist_ok=True)
    say(f"bench/scale.py: {size.describe()}; baseline {BASELINE_COACHES} coaches")
    say(f"  NOW {scale_ops.NOW.isoformat()}, {os.cpu_count()} cores, started {datetime.now():%c}")
    with server(args.database_url, args.keep) as admin_url, databases(admin_url, args.keep) as urls:
        big_load, small_load = load_both(urls, size, args.jobs)
        emit("")
        emit("| database | load | size | users | appointments | history | outbox | busy "
             "| CalDAV collections |")  # fmt: skip
        emit("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        emit(summary(f"big ({args.coaches:,} coaches)", big_load))
        emit(summary(f"small ({BASELINE_COACHES} coaches)", small_load))
        with_plans = args.plans != "none" and scale_plans.available(urls[0])
        targets = scale_ops.WRITES * (args.repeat + scale_ops.PLAN_PASSES + 1)
        benches: list[scale_ops.Bench] = []
        failed: list[str] = []
        explainer = scale_plans.Explainer(out)
        try:
            for url in urls:
                db = Database(url, max_connections=8)
                benches.append(
                    scale_ops.Bench.open(db, scale_ops.find_subjects(db, targets), args.repeat)
                )
            pair = (benches[0], benches[1])
            emit("")
            emit(
                f"Median of {args.repeat} runs after a warm-up (one run when the warm-up "
                f"took over {args.budget:g} s), as the signed-in user; goal: big/small <= {GOAL}"
            )
            emit("")
            emit("| operation | where | big | small | ratio | goal | |")
            emit("|---|---|---:|---:|---:|---:|---|")
            for op in scale_ops.OPERATIONS:
                result = measure(pair, op, args.repeat, args.budget)
                emit(result.row())
                if result.ratio > GOAL:
                    failed.append(op.label)
                if (
                    with_plans
                    and result.big is not None
                    and (args.plans == "all" or (args.plans == "failing" and result.ratio > GOAL))
                ):
                    explainer.explain(pair, op, args.repeat + 1)
        finally:
            explainer.close()
            for bench in benches:
                bench.close()
    emit("")
    emit(f"{len(failed)} of {len(scale_ops.OPERATIONS)} ratios over the goal of {GOAL}")
    if with_plans:
        whose = "every operation" if args.plans == "all" else "those over the goal"
        emit(f"plans (EXPLAIN ANALYZE, BUFFERS) of {whose} in {out}/")
    elif args.plans != "none":
        emit("no plans written: auto_explain needs a superuser")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    lines: list[str] = []

    def emit(line: str) -> None:
        lines.append(line)
        say(line)

    status = run(args, emit)
    out = args.out or Path(__file__).resolve().parent / "out" / f"scale-{args.coaches}"
    (out / "results.md").write_text("\n".join(lines) + "\n", "utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
