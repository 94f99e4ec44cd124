"""What the console shows of a running or finished execution: pure views built from the history
record (contract.ExecutionRecord), the execution input and DRS's jobs, servers and recovery
instances. The monitor (aws/monitor.py) produces them; the GUI and the CLI only display them.

This module is the contract between the engine (aws/, cli/) and the Executions page (ui/).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .status import ExecutionStatus, LaunchStatus, ReplicationState
from .wording import noun, plural


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
    failure_reason: str = ""  # why it did not launch: DRS's job log (rawError), else the wave's outcome
    recovery_point: datetime | None = None  # the recovery snapshot used (pointInTimeSnapshotDateTime)
    # a point-in-time run: the snapshot the console resolved for it (the input's waves[].servers)
    recovery_snapshot_id: str = ""
    recovery_snapshot_at: datetime | None = None
    # the account that recovers it (holds it in DRS and runs its job); "": the connected one
    recovery_account_id: str = ""


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
    point_in_time: datetime | None = None  # a point-in-time run: the time this wave recovers to
    # a DRS native plan's step (engine "native"): its own status where it differs from ``status``
    # (WAITING, SKIPPED ...), every DRS job of the step, SERVER or WAIT, the wait, the attempt
    native_status: str = ""
    job_ids: tuple[str, ...] = ()
    step_kind: str = ""
    wait_minutes: int = 0
    attempt: int = 0
    # contract 1.2: every DRS job of the wave with the account that runs it, (account ID, job ID)
    jobs: tuple[tuple[str, str], ...] = ()
    # when DRS says the wave's job (every job of the wave) ended (endDateTime), to the second; the
    # record's end follows once the state machine's poll sees it. DRS launches the wave's servers
    # within its job: no server of the wave launched after this
    job_ended_at: datetime | None = None

    def duration_seconds(self, now: datetime) -> float | None:
        if self.started_at is None:
            return None
        return ((self.ended_at or now) - self.started_at).total_seconds()


class ExecutionType(StrEnum):
    DRILL = "DRILL"
    RECOVERY = "RECOVERY"


class Engine(StrEnum):
    """What runs an execution: our deployed Step Functions backend, or a DRS native recovery plan."""

    STEPFUNCTIONS = "stepfunctions"
    NATIVE = "native"

    @property
    def label(self) -> str:
        return "Step Functions" if self is Engine.STEPFUNCTIONS else "DRS native"


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
    point_in_time: datetime | None = None  # a point-in-time run: the time requested (pointInTime)
    # the record's own counts (waveCounts, waveCount, serversLaunched/Failed): what a view built
    # from the execution item alone (the list, History) counts when it has no waves
    recorded_waves: WaveTally | None = None
    recorded_servers: ServerTally | None = None
    engine: Engine = Engine.STEPFUNCTIONS
    native_status: str = ""  # the native execution's own status where it differs from ``status``
    recovery_plan_arn: str = ""  # the native plan it ran

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

    @property
    def wave_tally(self) -> WaveTally:
        if not self.waves and self.recorded_waves is not None:
            return self.recorded_waves
        return WaveTally.of_waves(self.waves, self.recorded_waves.total if self.recorded_waves else 0)

    @property
    def server_tally(self) -> ServerTally:
        if not self.waves and self.recorded_servers is not None:
            return self.recorded_servers
        return ServerTally.of_waves(self.waves)


# --- the counts every view shows (header, History, Gantt, wave table, report, notifications) -----
_FAILED_WAVE = ("PARTIAL", "FAILED", "TIMEOUT")


@dataclass(frozen=True, slots=True)
class WaveTally:
    """How many of an execution's waves ended how. Built from the waves of a view, or from the
    execution record's ``waveCounts`` and ``waveCount`` (History), which the state machine writes
    from the same wave outcomes: both read the same."""

    total: int
    counts: tuple[tuple[str, int], ...] = ()  # terminal status -> waves, sorted

    @classmethod
    def of_waves(cls, waves: Iterable[WaveView], total: int = 0) -> WaveTally:
        waves = list(waves)
        counts: dict[str, int] = {}
        for w in waves:
            if w.status is not None and w.status.is_terminal:
                counts[w.status.value] = counts.get(w.status.value, 0) + 1
        return cls(max(total, len(waves)), tuple(sorted(counts.items())))

    @classmethod
    def of_counts(cls, counts: Mapping[str, int] | Iterable[tuple[str, int]], total: int) -> WaveTally:
        items = counts.items() if isinstance(counts, Mapping) else counts
        clean = {str(k): int(v) for k, v in items if int(v) > 0}
        return cls(max(total, sum(clean.values())), tuple(sorted(clean.items())))

    def count(self, status: str) -> int:
        return dict(self.counts).get(status, 0)

    @property
    def completed(self) -> int:
        return self.count("COMPLETED")

    @property
    def failed(self) -> int:
        """Waves that ended PARTIAL, FAILED or TIMEOUT."""
        return sum(self.count(s) for s in _FAILED_WAVE)

    @property
    def finished(self) -> int:
        return sum(n for _s, n in self.counts)

    def text(self) -> str:
        """``1/3 completed``, then each other outcome: ``0/3 completed, 1 partial, 1 cancelled``."""
        if not self.total:
            return ""
        parts = [f"{self.completed}/{self.total} completed"]
        for status in ("PARTIAL", "FAILED", "TIMEOUT", "CANCELLED"):
            if self.count(status):
                parts.append(f"{self.count(status)} {'timed out' if status == 'TIMEOUT' else status.lower()}")
        return ", ".join(parts)

    def detail(self) -> str:
        """``3 waves: 1 COMPLETED, 1 FAILED, 1 not finished``."""
        rest = self.total - self.finished
        parts = [f"{n} {s}" for s, n in self.counts] + ([f"{rest} not finished"] if rest > 0 else [])
        return f"{plural(self.total, 'wave')}: " + (", ".join(parts) or "none finished")


@dataclass(frozen=True, slots=True)
class ServerTally:
    """The servers of an execution: how many launched and how many failed to (the waves' counts)."""

    total: int
    launched: int
    failed: int

    @classmethod
    def of_waves(cls, waves: Iterable[WaveView]) -> ServerTally:
        waves = list(waves)
        return cls(sum(len(w.servers) for w in waves), sum(w.launched for w in waves),
                   sum(w.failed for w in waves))

    def text(self) -> str:
        """``3/5 servers launched, 2 failed``."""
        if not self.total:
            return ""
        return (f"{self.launched}/{self.total} {noun(self.total, 'server')} launched"
                + (f", {self.failed} failed" if self.failed else ""))


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
    # when the cycle read DRS (after the history record, before DRS's jobs): the time of a change
    # the record gives no time of (diff_views's ``now``); None: when the update is handled
    observed_at: datetime | None = None
