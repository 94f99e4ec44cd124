"""A point-in-time run on the DRS native engine: the resolution preflight showed, passed to
StartRecoveryPlanExecution as ``sourceServers[].recoverySnapshotID`` and kept on the execution.

The resolution itself is the Step Functions path's (``domain/point_in_time.py`` rule, read by
``aws/point_in_time.resolve_waves``); this module only carries its result:

* ``PlanPoints``: the plan's resolutions and their preflight checks (BLOCK/WARN, the same
  ``check_point_in_time``), its ``snapshots()`` mapping for the start, its ``lines()``.
* A DRS native execution records no snapshot: the console tags it (StartRecoveryPlanExecution's
  ``tags``) with the requested time (``drs-console:point-in-time``) and each server's resolved
  snapshot (``drs-console:pit-snapshots-N``: ``server=snapshot@taken@requested`` entries, epoch
  seconds, ``SNAPSHOTS_PER_TAG`` a tag so a value stays within the 256-character limit).
  ``read_tags`` gives them back to the native view (``domain/native_view.py``), which shows them in
  the ``requestedRecoveryPoint``/``recoverySnapshotId`` fields like the backend's views.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from . import point_in_time as pit

TAG_POINT_IN_TIME = "drs-console:point-in-time"
TAG_SNAPSHOTS = "drs-console:pit-snapshots-"
SNAPSHOTS_PER_TAG = 3  # s-(17)=(snapshot ID, up to ~40)@(10)@(10): 3 fit in 256 characters
MAX_SNAPSHOT_TAGS = 40  # DRS allows 50 tags a resource; the console uses a handful of its own


@dataclass(frozen=True)
class PlanPoints:
    """A plan's point-in-time resolution for the native engine (the preflight's part of it)."""

    point_in_time: datetime | None
    resolutions: tuple[pit.WaveResolution, ...]
    checks: tuple = field(default_factory=tuple)  # domain.preflight.Check
    max_spread: timedelta = timedelta(minutes=pit.DEFAULT_MAX_SPREAD_MINUTES)

    def blocking(self) -> list:
        return [c for c in self.checks if c.level.value == "BLOCK"]

    def warnings(self) -> list:
        return [c for c in self.checks if c.level.value == "WARN"]

    def snapshots(self) -> dict[str, str]:
        """{source server ID: recovery snapshot ID}: StartRecoveryPlanExecution's sourceServers."""
        return {r.source_server_id: r.snapshot.snapshot_id for w in self.resolutions for r in w.servers if r.snapshot}

    def lines(self) -> list[str]:
        """The checks and the per-server table, as the backend's preflight prints them."""
        when = f"{self.point_in_time:%Y-%m-%d %H:%M:%S} UTC" if self.point_in_time else "per wave"
        return (["  " + c.one_line() for c in self.checks]
                + [f"  Point in time: {when}; each server recovers to its newest snapshot at or before it:"]
                + pit.resolution_lines(self.resolutions))

    def tags(self) -> dict[str, str]:
        return execution_tags(self.resolutions, self.point_in_time)

    def to_json(self) -> dict:
        return {"pointInTime": pit.iso(self.point_in_time) if self.point_in_time else None,
                "maxSpreadSeconds": int(self.max_spread.total_seconds()),
                "pointInTimeWaves": pit.waves_json(self.resolutions),
                "checks": [c.to_json() for c in self.checks]}


def _epoch(at: datetime) -> str:
    return str(int(at.astimezone(UTC).timestamp()))


def _at(text: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(text), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def execution_tags(resolutions: Sequence[pit.WaveResolution], point_in_time: datetime | None) -> dict[str, str]:
    """The tags that keep a native point-in-time run's requested time and snapshots."""
    out: dict[str, str] = {}
    if point_in_time is not None:
        out[TAG_POINT_IN_TIME] = pit.iso(point_in_time)
    entries = [f"{r.source_server_id}={r.snapshot.snapshot_id}@{_epoch(r.snapshot.at)}@{_epoch(r.requested)}"
               for w in resolutions for r in w.servers if r.snapshot]
    for n in range(min(MAX_SNAPSHOT_TAGS, (len(entries) + SNAPSHOTS_PER_TAG - 1) // SNAPSHOTS_PER_TAG)):
        value = ",".join(entries[n * SNAPSHOTS_PER_TAG:(n + 1) * SNAPSHOTS_PER_TAG])
        out[f"{TAG_SNAPSHOTS}{n + 1}"] = value[:256]
    return out


@dataclass(frozen=True)
class RecordedPoint:
    """One server's recorded snapshot: its ID, when it was taken, the time requested for it."""

    snapshot_id: str
    taken: datetime | None
    requested: datetime | None


def read_tags(tags: Mapping[str, str] | None) -> tuple[datetime | None, dict[str, RecordedPoint]]:
    """(the requested time, {source server ID: its recorded snapshot}) from a native execution's tags."""
    tags = tags or {}
    from .progress import parse_time

    requested = parse_time(tags.get(TAG_POINT_IN_TIME))
    servers: dict[str, RecordedPoint] = {}
    for key, value in tags.items():
        if not key.startswith(TAG_SNAPSHOTS):
            continue
        for entry in str(value or "").split(","):
            sid, _, rest = entry.partition("=")
            parts = rest.split("@")
            if sid and len(parts) == 3 and parts[0]:
                servers[sid] = RecordedPoint(parts[0], _at(parts[1]), _at(parts[2]))
    return requested, servers
