"""The one status vocabulary of DRS Console, its backend contract and its history table.

Every layer (the state machine's records, the monitor, the history page, prune) uses these
names; nothing else may invent a status string.
"""

from __future__ import annotations

from enum import StrEnum


class ExecutionStatus(StrEnum):
    """Status of an execution or of one of its waves."""

    # active
    PENDING = "PENDING"
    POLLING = "POLLING"
    INITIATED = "INITIATED"
    LAUNCHING = "LAUNCHING"
    STARTED = "STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    CANCELLING = "CANCELLING"
    # terminal
    COMPLETED = "COMPLETED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMEOUT = "TIMEOUT"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    @property
    def is_active(self) -> bool:
        return self in ACTIVE_STATUSES

    @classmethod
    def parse(cls, value: str | None) -> ExecutionStatus | None:
        """Parse a status read from a record; None when missing or unknown."""
        if not value:
            return None
        try:
            return cls(value.upper())
        except ValueError:
            return None


TERMINAL_STATUSES: frozenset[ExecutionStatus] = frozenset(
    {
        ExecutionStatus.COMPLETED,
        ExecutionStatus.PARTIAL,
        ExecutionStatus.FAILED,
        ExecutionStatus.CANCELLED,
        ExecutionStatus.TIMEOUT,
    }
)

ACTIVE_STATUSES: frozenset[ExecutionStatus] = frozenset(set(ExecutionStatus) - TERMINAL_STATUSES)


def is_terminal(value: str | None) -> bool:
    """True only for a known terminal status. Unknown or missing values are never terminal,
    so that anything that deletes on "terminal" never deletes what it does not understand."""
    status = ExecutionStatus.parse(value)
    return status is not None and status.is_terminal


class ReplicationState(StrEnum):
    """DRS dataReplicationInfo.dataReplicationState values."""

    STOPPED = "STOPPED"
    INITIATING = "INITIATING"
    INITIAL_SYNC = "INITIAL_SYNC"
    BACKLOG = "BACKLOG"
    CREATING_SNAPSHOT = "CREATING_SNAPSHOT"
    CONTINUOUS = "CONTINUOUS"
    PAUSED = "PAUSED"
    RESCAN = "RESCAN"
    STALLED = "STALLED"
    DISCONNECTED = "DISCONNECTED"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, value: str | None) -> ReplicationState:
        try:
            return cls((value or "UNKNOWN").upper())
        except ValueError:
            return cls.UNKNOWN


class ReplicationHealth(StrEnum):
    HEALTHY = "healthy"
    SYNCING = "syncing"  # not yet ready: INITIATING, INITIAL_SYNC, BACKLOG, ...
    UNHEALTHY = "unhealthy"  # STALLED, DISCONNECTED, STOPPED, PAUSED
    UNKNOWN = "unknown"


_HEALTH = {
    ReplicationState.CONTINUOUS: ReplicationHealth.HEALTHY,
    ReplicationState.INITIATING: ReplicationHealth.SYNCING,
    ReplicationState.INITIAL_SYNC: ReplicationHealth.SYNCING,
    ReplicationState.BACKLOG: ReplicationHealth.SYNCING,
    ReplicationState.CREATING_SNAPSHOT: ReplicationHealth.SYNCING,
    ReplicationState.RESCAN: ReplicationHealth.SYNCING,
    ReplicationState.STALLED: ReplicationHealth.UNHEALTHY,
    ReplicationState.DISCONNECTED: ReplicationHealth.UNHEALTHY,
    ReplicationState.STOPPED: ReplicationHealth.UNHEALTHY,
    ReplicationState.PAUSED: ReplicationHealth.UNHEALTHY,
    ReplicationState.UNKNOWN: ReplicationHealth.UNKNOWN,
}


def replication_health(state: ReplicationState) -> ReplicationHealth:
    return _HEALTH[state]


class LaunchStatus(StrEnum):
    """DRS per-server launch status in a job (participatingServers[].launchStatus)."""

    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    LAUNCHED = "LAUNCHED"
    FAILED = "FAILED"
    TERMINATED = "TERMINATED"

    @classmethod
    def parse(cls, value: str | None) -> LaunchStatus | None:
        try:
            return cls((value or "").upper())
        except ValueError:
            return None


class JobStatus(StrEnum):
    """DRS job status."""

    PENDING = "PENDING"
    STARTED = "STARTED"
    COMPLETED = "COMPLETED"

    @property
    def is_live(self) -> bool:
        return self is not JobStatus.COMPLETED
