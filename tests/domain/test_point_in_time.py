"""Point-in-time recovery, pure: the TIME parser and the resolution rule (domain/point_in_time.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from drs_console.domain import point_in_time as pit
from drs_console.domain.errors import BadInput
from drs_console.domain.preflight import Level

NOW = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)


# -- TIME --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("2026-12-01T08:00:00Z", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
    ("2026-12-01T08:00:00z", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
    ("2026-12-01T10:00:00+02:00", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
    ("2026-12-01T03:30:00-04:30", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
    ("2026-12-01T08:00:00.750Z", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),  # whole seconds
    ("now-2h", NOW - timedelta(hours=2)),
    ("now-90m", NOW - timedelta(minutes=90)),
    ("now-1d", NOW - timedelta(days=1)),
    ("now - 1h30m", NOW - timedelta(minutes=90)),
    ("NOW-45s", NOW - timedelta(seconds=45)),
    ("now", NOW),
])
def test_accepted_forms(text, expected):
    assert pit.parse_point_in_time(text, NOW).at == expected


def test_local_form_is_this_zone_and_shows_its_utc_equivalent():
    plus2 = timezone(timedelta(hours=2))
    got = pit.parse_point_in_time("2026-12-01 10:00 local", NOW, local_zone=plus2)
    assert got.at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC) and got.local
    assert got.describe().endswith("= 2026-12-01 08:00:00 UTC")


@pytest.mark.parametrize("text, why", [
    ("2026-12-01T08:00:00", "no time zone"),
    ("2026-12-01 08:00", "no time zone"),
    ("2026-12-01T11:00:00Z", "in the future"),
    ("now+2h", "not a time"),
    ("yesterday", "not a time"),
    ("", "empty"),
    ("2026-12-01T08:00:00Z local", "both a zone and 'local'"),
])
def test_refused_with_the_accepted_forms(text, why):
    with pytest.raises(BadInput) as err:
        pit.parse_point_in_time(text, NOW)
    assert why in err.value.message
    assert "now-2h" in err.value.remedy and "2026-12-01T08:00:00Z" in err.value.remedy and "local" in err.value.remedy


def test_max_spread():
    assert pit.parse_max_spread("30") == timedelta(minutes=30)
    for bad in ("-1", "x", "2000"):
        with pytest.raises(BadInput):
            pit.parse_max_spread(bad)


# -- resolution ----------------------------------------------------------------------------------------
def snap(sid: str, minutes_before_now: float) -> pit.Snapshot:
    return pit.Snapshot(sid, NOW - timedelta(minutes=minutes_before_now))


T = NOW - timedelta(hours=2)


def test_newest_at_or_before_the_time():
    snaps = [snap("pit-a", 200), snap("pit-b", 130), snap("pit-c", 110), snap("pit-d", 10)]
    r = pit.resolve_server("s-1", T, snaps)
    assert r.snapshot.snapshot_id == "pit-b" and r.before_seconds == 600  # 130 min ago = 10 min before T
    assert pit.resolve_server("s-1", T, list(reversed(snaps))).snapshot.snapshot_id == "pit-b"  # any order


def test_exactly_at_the_time_counts():
    at = pit.Snapshot("pit-x", T)
    assert pit.resolve_server("s-1", T, [at, snap("pit-y", 125)]).snapshot == at
    assert pit.resolve_server("s-1", T, [at]).before_seconds == 0


def test_tie_goes_to_the_greatest_id_whatever_the_order():
    a, b = pit.Snapshot("pit-aaaa", T - timedelta(minutes=5)), pit.Snapshot("pit-bbbb", T - timedelta(minutes=5))
    assert pit.resolve_server("s-1", T, [a, b]).snapshot == b
    assert pit.resolve_server("s-1", T, [b, a]).snapshot == b


def test_none_before_names_the_oldest_or_none():
    r = pit.resolve_server("s-1", T, [snap("pit-new", 30), snap("pit-old", 100)])
    assert not r.ok and r.oldest.snapshot_id == "pit-old"
    none = pit.resolve_server("s-2", T, [])
    assert not none.ok and none.oldest is None
    checks = pit.check_point_in_time([pit.WaveResolution(0, "DB", T, (r, none))], names={"s-1": "db-01"})
    blocks = [c for c in checks if c.level is Level.BLOCK]
    assert len(blocks) == 2
    assert "db-01 (s-1)" in blocks[0].message and "its oldest is pit-old" in blocks[0].message
    assert "no recovery snapshot at all" in blocks[1].message and blocks[1].server_ids == ("s-2",)


def test_spread_warns_over_the_window_only():
    r1 = pit.resolve_server("s-1", T, [snap("pit-1", 121)])
    r2 = pit.resolve_server("s-2", T, [snap("pit-2", 140)])  # 19 min apart
    wave = pit.WaveResolution(0, "App", T, (r1, r2))
    assert wave.spread_seconds == 19 * 60
    warns = [c for c in pit.check_point_in_time([wave]) if c.level is Level.WARN]
    assert len(warns) == 1 and "inconsistent points" in warns[0].message and "19 min" in warns[0].message
    assert not [c for c in pit.check_point_in_time([wave], max_spread=timedelta(minutes=20))
                if c.level is Level.WARN]
    passes = [c for c in pit.check_point_in_time([wave]) if c.level is Level.PASS]
    assert [c.server_ids for c in passes] == [("s-1",), ("s-2",)]
    assert "pit-1 of 2026-12-01 07:59:00 UTC, 1 min 00 s before the requested time" in passes[0].message


def test_snapshot_from_item_prefers_the_taken_time():
    item = {"snapshotID": "pit-1", "expectedTimestamp": "2026-12-01T08:00:00Z",
            "timestamp": "2026-12-01T08:00:12.345Z"}
    assert pit.snapshot_from_item(item).at == datetime(2026, 12, 1, 8, 0, 12, 345000, tzinfo=UTC)
    assert pit.snapshot_from_item({"snapshotID": "pit-2", "expectedTimestamp": "2026-12-01T08:10:00Z"}).at.minute == 10
    assert pit.snapshot_from_item({"snapshotID": "pit-3"}) is None
