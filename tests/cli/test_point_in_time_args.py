"""`run|preflight --point-in-time TIME --wave-point-in-time N=TIME --max-spread MINUTES`, before
anything connects: bad input is refused with what to type; the spread's default is the setting."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from drs_console.cli.commands.run import point_in_time_options
from drs_console.cli.main import build_parser
from drs_console.domain.errors import BadInput
from drs_console.store.settings import load_settings


def _args(*argv):
    return build_parser().parse_args(["preflight", "plan.json", *argv])


def test_times_overrides_and_spread():
    got = point_in_time_options(_args("--point-in-time", "now-2h", "--wave-point-in-time", "2=2026-01-01T00:00:00Z",
                                      "--max-spread", "30"), 3)
    assert abs(got["point_in_time"] - (datetime.now(UTC) - timedelta(hours=2))) < timedelta(seconds=5)
    assert got["wave_points"] == {1: datetime(2026, 1, 1, tzinfo=UTC)} and got["max_spread"] == timedelta(minutes=30)
    assert point_in_time_options(_args(), 3) == {}  # the latest data: nothing to resolve


@pytest.mark.parametrize("argv, needle", [
    (("--point-in-time", "2026-12-01T08:00:00"), "no time zone"),
    (("--wave-point-in-time", "4=now-1h"), "wave number 1..3"),
    (("--wave-point-in-time", "now-1h"), "N=TIME"),
    (("--point-in-time", "now-1h", "--max-spread", "soon"), "whole number of minutes"),
])
def test_bad_input_says_what_to_type(argv, needle):
    with pytest.raises(BadInput) as err:
        point_in_time_options(_args(*argv), 3)
    assert needle in err.value.message


def test_the_spread_default_is_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("DRS_CONSOLE_HOME", str(tmp_path))
    from drs_console.store.paths import app_paths

    path = app_paths().settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 3, "point_in_time_max_spread_minutes": 40}))
    assert load_settings(path).point_in_time_max_spread_minutes == 40
    assert point_in_time_options(_args("--point-in-time", "now-1h"), 1)["max_spread"] == timedelta(minutes=40)
    path.write_text(json.dumps({"version": 3, "point_in_time_max_spread_minutes": "x"}))
    assert load_settings(path).point_in_time_max_spread_minutes == 15
