"""What the console shows of a running or finished execution: pure views built from the history
record (contract.ExecutionRecord), the execution input and DRS's jobs, servers and recovery
instances. The monitor (aws/monitor.py) produces them; the GUI and the CLI only display them.

This module is the contract between the engine (aws/, cli/) and the Executions page (ui/).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .status import ExecutionStatus, LaunchStatus, ReplicationState


@dataclass(frozen=True, slots=True)
class ServerView:
    """One source server of a wave, as DRS reports it now."""

    source_server_id: str
    name: str = ""
    source_instance_id: str = ""
    source_account_id: str = ""
    replication_state: ReplicationState = ReplicationState.UNKNOWN
    launch_status: LaunchStatus | None = None  # None until the wave's job includes it
    recovery_instance_id: str = ""
    ec2_instance_id: str = ""
    ec2_instance_state: str = ""  # RUNNING, STOPPED, TERMINATED, ...
    failure_reason: str = ""  # from the job log (LAUNCH_FAILED rawError) when it failed


@dataclass(frozen=True, slots=True)
class JobLogEvent:
    """One DRS job log item (DescribeJobLogItems), with the server name resolved."""

    time: datetime
    event: str  # JOB_START, SNAPSHOT_START, ..., LAUNCH_FAILED, JOB_END
    source_server_id: str = ""
    server_name: str = ""
    detail: str = ""  # rawError, target instance, conversion server ...


@dataclass(frozen=True, slots=True)
class WaveView:
    index: int  # 0-based
    name: str
    status: ExecutionStatus | None  # None: not started yet
    job_id: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    pause_before: bool = False
    timeout_minutes: int = 0
    servers: tuple[ServerView, ...] = ()
    launched: int = 0
    failed: int = 0
    error: str = ""
    cause: str = ""

    def duration_seconds(self, now: datetime) -> float | None:
        if self.started_at is None:
            return None
        return ((self.ended_at or now) - self.started_at).total_seconds()


class ExecutionType(StrEnum):
    DRILL = "DRILL"
    RECOVERY = "RECOVERY"


@dataclass(frozen=True, slots=True)
class ExecutionView:
    execution_id: str
    plan_id: str
    plan_name: str
    execution_type: ExecutionType
    status: ExecutionStatus | None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    initiated_by: str = ""
    execution_arn: str = ""
    account_id: str = ""
    region: str = ""
    waves: tuple[WaveView, ...] = ()
    error: str = ""
    cause: str = ""
    recovery_point_at: datetime | None = None  # the plan's worst recovery point when it started
    rpo_seconds: int | None = None  # its age then: the run's RPO

    @property
    def is_terminal(self) -> bool:
        return self.status is not None and self.status.is_terminal

    @property
    def is_drill(self) -> bool:
        return self.execution_type is ExecutionType.DRILL

    def elapsed_seconds(self, now: datetime) -> float | None:
        if self.started_at is None:
            return None
        return ((self.ended_at or now) - self.started_at).total_seconds()

    def wave(self, index: int) -> WaveView | None:
        return next((w for w in self.waves if w.index == index), None)


class StreamState(StrEnum):
    LIVE = "live"  # the last poll succeeded
    RECONNECTING = "reconnecting"  # transient errors: backing off, state kept
    AUTH_PAUSED = "auth-paused"  # credentials expired: paused until re-authenticated
    ENDED = "ended"  # terminal status reached: the poller stopped


@dataclass(frozen=True, slots=True)
class MonitorUpdate:
    """What one poll cycle of the monitor yields."""

    view: ExecutionView
    state: StreamState = StreamState.LIVE
    changed: bool = True  # False when nothing differs from the previous update
    events: tuple[JobLogEvent, ...] = ()  # job log of the waves seen so far, newest first
    message: str = ""  # e.g. the reason for RECONNECTING / AUTH_PAUSED
    api_calls: int = 0  # AWS calls this cycle made (for the batching benchmark)
    transitions: tuple[str, ...] = field(default_factory=tuple)  # human lines: "wave 2 Web: STARTED (job drsjob-…)"
