"""Recovery snapshots (DescribeRecoverySnapshots items) as the console sees them: the points in
time a server can be recovered to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .fields import age_text, iso_utc, utc_text
from .history import parse_time


@dataclass(frozen=True, slots=True, order=True)
class RecoverySnapshot:
    at: datetime  # when it was taken (``timestamp``; the ``expectedTimestamp`` when DRS gives no other)
    snapshot_id: str
    source_server_id: str
    expected_at: datetime | None = None

    def age_seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.at).total_seconds())

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {"snapshotId": self.snapshot_id, "sourceServerId": self.source_server_id,
                "timestamp": iso_utc(self.at), "expectedTimestamp": iso_utc(self.expected_at),
                "ageSeconds": int(self.age_seconds(now))}

    def row(self, now: datetime) -> tuple[str, str, str]:
        """(ID, time, age) as the CLI's table shows them."""
        return self.snapshot_id, utc_text(self.at), age_text(self.age_seconds(now))


def snapshot_from_drs(item: Mapping[str, Any]) -> RecoverySnapshot | None:
    """One DescribeRecoverySnapshots item; None when it carries no time at all."""
    expected = parse_time(item.get("expectedTimestamp"))
    at = parse_time(item.get("timestamp")) or expected
    if at is None:
        return None
    return RecoverySnapshot(at, str(item.get("snapshotID") or ""), str(item.get("sourceServerID") or ""), expected)


def newest_first(snapshots: list[RecoverySnapshot]) -> list[RecoverySnapshot]:
    return sorted(snapshots, key=lambda s: s.at, reverse=True)
