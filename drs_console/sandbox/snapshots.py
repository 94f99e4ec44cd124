"""Recovery snapshots (point-in-time, "PIT") of the simulated source servers.

DRS keeps point-in-time recovery snapshots of every replicating source server on a fixed
schedule: one every 10 minutes for the last hour, one every hour for the last day, one a day for
the retention period (7 days by default). The simulator derives them from the clock and each
server's replication (nothing is stored), so DescribeRecoverySnapshots answers the same for the
same moment:

* a server in initial sync (or still initiating) has none;
* a healthy server's newest snapshot is at most 10 minutes old (minus its lag);
* a STALLED or DISCONNECTED server has none newer than the moment its data stopped arriving (its
  last contact); the newest one it had is kept whatever its age.

A server with no recovery snapshot cannot be launched (``no_snapshot_reason``): StartRecovery
accepts it, and it fails in the job with a LAUNCH_FAILED that says why.

Expected times sit on the schedule's grid (``expectedTimestamp``); the snapshot itself is taken a
few seconds later (``timestamp``), never after now.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .records import ServerRecord

TEN_MINUTES = 600
HOUR = 3600
DAY = 86400
RETENTION_DAYS = 7
NO_SNAPSHOT_STATES = frozenset({"INITIAL_SYNC", "INITIATING", "NOT_STARTED", "PENDING_SNAPSHOT_SHIPPING"})
FROZEN_STATES = frozenset({"STALLED", "DISCONNECTED", "STOPPED", "PAUSED"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RecoverySnapshot:
    snapshot_id: str
    source_server_id: str
    expected: datetime
    taken: datetime
    ebs_snapshots: tuple[str, ...]

    def item(self) -> dict[str, Any]:
        return {
            "snapshotID": self.snapshot_id,
            "sourceServerID": self.source_server_id,
            "expectedTimestamp": snapshot_time(self.expected),
            "timestamp": snapshot_time(self.taken),
            "ebsSnapshots": list(self.ebs_snapshots),
        }


def snapshot_time(dt: datetime) -> str:
    """The service model's timestamp text for snapshots: '2026-12-01T03:12:00.123Z'."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def _floor(dt: datetime, step: int) -> datetime:
    secs = int((dt - _EPOCH).total_seconds())
    return _EPOCH + timedelta(seconds=secs - secs % step)


def _grid(start: datetime, end: datetime, step: int) -> list[datetime]:
    """Marks of the ``step``-second grid in (start, end]."""
    out = []
    t = _floor(end, step)
    while t > start:
        out.append(t)
        t -= timedelta(seconds=step)
    return out


def replicated_until(server: ServerRecord, now: datetime) -> datetime | None:
    """The newest moment whose data DRS holds for ``server`` (None: no consistent copy yet)."""
    if server.replication_state in NO_SNAPSHOT_STATES:
        return None
    if server.replication_state in FROZEN_STATES and server.frozen_at is not None:
        return min(server.frozen_at, now)
    return now - timedelta(seconds=server.lag_seconds)


def recovery_snapshots(server: ServerRecord, now: datetime) -> list[RecoverySnapshot]:
    """The server's recovery snapshots at ``now``, oldest first."""
    until = replicated_until(server, now)
    if until is None:
        return []
    first = server.added_at + timedelta(hours=6)  # the initial sync took a few hours
    expected: set[datetime] = set()
    expected.update(_grid(max(first, now - timedelta(seconds=HOUR)), until, TEN_MINUTES))
    expected.update(_grid(max(first, now - timedelta(seconds=DAY)), min(until, now - timedelta(seconds=HOUR)), HOUR))
    expected.update(
        _grid(max(first, now - timedelta(days=RETENTION_DAYS)), min(until, now - timedelta(seconds=DAY)), DAY)
    )
    newest = _floor(until, TEN_MINUTES)
    for t in (newest, newest - timedelta(seconds=TEN_MINUTES)):  # the newest is kept whatever its age
        if t > first:
            expected.add(t)
    out = []
    for t in sorted(expected):
        digest = _digest(server.source_server_id, t.isoformat())
        taken = t + timedelta(seconds=5 + int(digest[:4], 16) % 40, milliseconds=int(digest[4:7], 16) % 1000)
        if taken > until:
            continue  # not taken yet, or its data never reached DRS
        ebs = tuple(
            "snap-" + _digest(digest, disk)[:17] for disk, _size in server.disks
        )
        out.append(RecoverySnapshot("pit-" + digest[7:24], server.source_server_id, t, taken, ebs))
    return out


def no_snapshot_reason(server: ServerRecord, now: datetime) -> str:
    """Why ``server`` cannot be launched at ``now`` (it has no recovery snapshot), or "" if it can.

    A launch takes a new snapshot of the replicated data, or (STALLED, DISCONNECTED) uses the
    newest recovery snapshot: a server still in initial sync, or frozen before its first snapshot,
    has nothing to launch from."""
    if server.replication_state in NO_SNAPSHOT_STATES:
        detail = (f" ({server.sync_progress:.0%} done)" if server.replication_state == "INITIAL_SYNC" else "")
        return (f"Source server {server.source_server_id} has no recovery snapshot: its replication is "
                f"{server.replication_state}{detail}. It can be launched once its initial sync has completed.")
    if server.replication_state in FROZEN_STATES and server.frozen_at is not None and not recovery_snapshots(
            server, now):
        return (f"Source server {server.source_server_id} has no recovery snapshot: its replication is "
                f"{server.replication_state} and no point in time was taken before it stopped.")
    return ""


def newest_snapshot(server: ServerRecord, now: datetime) -> RecoverySnapshot | None:
    snaps = recovery_snapshots(server, now)
    return snaps[-1] if snaps else None


def pinned_snapshots(servers: dict[str, ServerRecord], pinned: dict[str, str], now: datetime) -> dict[str, RecoverySnapshot]:
    """StartRecovery's ``recoverySnapshotID`` per source server, resolved to the snapshots they name
    (a DRS ValidationException for an ID that is not one of the server's recovery snapshots now)."""
    from .drs_api import validation_error

    out: dict[str, RecoverySnapshot] = {}
    for sid, pit in pinned.items():
        found = next((s for s in recovery_snapshots(servers[sid], now) if s.snapshot_id == pit), None)
        if found is None:
            raise validation_error(
                f"Recovery snapshot {pit} is not a recovery snapshot of source server {sid}.",
                field="sourceServers.recoverySnapshotID",
            )
        out[sid] = found
    return out
