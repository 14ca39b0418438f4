"""``officehours caldav refresh-busy``: the command cron and systemd timers run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from officehours import booking, errors
from officehours.cli import main
from tests.caldav.dav import Dav
from tests.caldav.helpers import LATER, TARGET, busy_until, put_weekly
from tests.lib.support import World


def test_help_lists_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["--help"])
    assert exit.value.code == 0
    assert "caldav" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["caldav", "--help"])
    assert "refresh-busy" in capsys.readouterr().out


def test_refresh_busy_prints_how_many_and_is_idempotent(
    dav: Dav,
    world: World,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    ref = put_weekly(dav, world.x)
    command = ["caldav", "refresh-busy", "--now", LATER.isoformat()]

    assert main(command) == 0
    assert capsys.readouterr().out == "1 recurring busy event expanded again (1 coach)\n"
    assert busy_until(world.db, ref) > LATER + timedelta(days=90)
    with pytest.raises(errors.CoachBusy):
        booking.book(world.db, world.a, world.a, TARGET, now=LATER)

    assert main(command) == 0
    assert capsys.readouterr().out == "0 recurring busy events expanded again (0 coaches)\n"


def test_refresh_busy_reports_an_event_it_cannot_expand(
    dav: Dav,
    world: World,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    put_weekly(dav, world.x)
    assert (
        main(["caldav", "refresh-busy", "--now", LATER.isoformat(), "--instance-limit", "5"]) == 1
    )
    out, err = capsys.readouterr()
    assert (
        out.startswith("0 recurring busy events") and f"{world.x}: /{world.x}/busy/gym.ics" in err
    )


def test_refresh_busy_wants_a_time_with_an_offset(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["caldav", "refresh-busy", "--now", "2027-03-15T12:00"])
    assert exit.value.code == 2 and "UTC offset" in capsys.readouterr().err
