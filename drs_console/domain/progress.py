"""Pure pieces of live monitoring: ExecutionView from what was read, and transitions by diffing.

The monitor (aws/monitor.py) reads the history record, the plan, DRS's jobs, job log items,
source servers and recovery instances as plain dicts, and builds an ``ExecutionView`` with
``build_view``. ``diff_views`` compares two consecutive views: the history record is the source of
truth, so even after an outage the diff reports every wave whose status or job changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from .contract import ExecutionRecord
from .execution import (
    ExecutionType,
    ExecutionView,
    JobLogEvent,
    ServerTally,
    ServerView,
    WaveTally,
    WaveView,
)
from .fields import iso_utc, server_json, server_label, wave_label, whole_second
from .inventory import SourceServer
from .status import ExecutionStatus, LaunchStatus, ReplicationState
from .wording import noun, plural

FAILURE_EVENTS = frozenset({"LAUNCH_FAILED", "CONVERSION_FAIL", "SNAPSHOT_FAIL", "USING_PREVIOUS_SNAPSHOT_FAILED",
                            "CLEANUP_FAIL", "JOB_CANCEL"})


def parse_time(value: Any) -> datetime | None:
    """ISO-8601 text (``Z`` or an offset) as an aware UTC datetime; None when empty or unparsable."""
    if not value:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)


def parse_plan(value: Any) -> dict[str, Any] | None:
    """The plan of an execution input (a dict, or the record's planJson text); None if unusable."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, Mapping) and isinstance(value.get("waves"), list):
        return dict(value)
    return None


def plan_waves(plan: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    out = []
    for w in (plan or {}).get("waves") or []:
        if isinstance(w, Mapping):
            out.append(
                {
                    "name": str(w.get("name") or ""),
                    "sourceServerIds": [str(s) for s in w.get("sourceServerIds") or []],
                    "pauseBefore": bool(w.get("pauseBefore", False)),
                    "timeoutSeconds": int(w.get("timeoutSeconds") or 0),
                    "pointInTime": str(w.get("pointInTime") or ""),
                    # contract 1.1: source server ID -> (recoverySnapshotID, recoverySnapshotTime)
                    "snapshots": {
                        str(x.get("sourceServerID")): (str(x.get("recoverySnapshotID") or ""),
                                                       str(x.get("recoverySnapshotTime") or ""))
                        for x in w.get("servers") or [] if isinstance(x, Mapping)
                    },
                    # contract 1.2: source server ID -> the account recovering it (its group's)
                    "accounts": {
                        str(sid): str(g.get("accountId") or "")
                        for g in w.get("accounts") or [] if isinstance(g, Mapping)
                        for sid in g.get("sourceServerIds") or []
                    },
                }
            )
    return out


def events_from_log(items: Iterable[Mapping[str, Any]], names: Mapping[str, str] | None = None) -> list[JobLogEvent]:
    """DescribeJobLogItems items -> JobLogEvent, oldest first, with server names resolved."""
    names = names or {}
    out = []
    for item in items:
        when = parse_time(item.get("logDateTime"))
        if when is None:
            continue
        data = item.get("eventData") or {}
        sid = str(data.get("sourceServerID") or "")
        if data.get("rawError"):
            detail = str(data["rawError"])
        else:
            parts = [f"{k}={data[k]}" for k in ("targetInstanceID", "conversionServerID", "conversionProperties")
                     if data.get(k)]
            detail = ", ".join(parts)
        out.append(JobLogEvent(when, str(item.get("event") or ""), sid, names.get(sid, ""), detail))
    out.sort(key=lambda e: e.time)
    return out


def failure_reasons(events: Iterable[JobLogEvent]) -> dict[str, str]:
    """Source server ID -> the last failure detail DRS logged for it (LAUNCH_FAILED rawError ...)."""
    reasons: dict[str, str] = {}
    for e in sorted(events, key=lambda e: e.time):
        if e.source_server_id and (e.event in FAILURE_EVENTS or e.event.endswith("_FAILED")):
            reasons[e.source_server_id] = e.detail or e.event
    return reasons


def _job_counts(job: Mapping[str, Any] | None) -> tuple[int, int]:
    launched = failed = 0
    for p in (job or {}).get("participatingServers") or []:
        status = LaunchStatus.parse(p.get("launchStatus"))
        if status is LaunchStatus.LAUNCHED:
            launched += 1
        elif status is LaunchStatus.FAILED:
            failed += 1
    return launched, failed


def build_view(
    *,
    execution_id: str,
    record: ExecutionRecord | None,
    plan: Mapping[str, Any] | None,
    jobs: Mapping[str, Mapping[str, Any]] | None = None,
    servers: Mapping[str, SourceServer] | None = None,
    instances: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    reasons: Mapping[str, Mapping[str, str]] | None = None,
    execution_type: str = "",
    account_id: str = "",
    region: str = "",
    execution_arn: str = "",
    started_at: datetime | None = None,
    status_if_unrecorded: ExecutionStatus | None = ExecutionStatus.PENDING,
) -> ExecutionView:
    """The view of one execution.

    ``jobs``: job ID -> DescribeJobs item; ``servers``: source server ID -> SourceServer;
    ``instances``: job ID -> {source server ID -> DescribeRecoveryInstances item};
    ``reasons``: job ID -> {source server ID -> failure detail from the job log}.
    """
    jobs = jobs or {}
    servers = servers or {}
    instances = instances or {}
    reasons = reasons or {}
    records = {w.index: w for w in (record.waves if record else ())}
    waves_in = plan_waves(plan)
    count = max(len(waves_in), (max(records) + 1) if records else 0)
    waves: list[WaveView] = []
    for i in range(count):
        spec = waves_in[i] if i < len(waves_in) else {"name": "", "sourceServerIds": [], "pauseBefore": False,
                                                       "timeoutSeconds": 0, "pointInTime": "", "snapshots": {},
                                                       "accounts": {}}
        rec = records.get(i)
        job_id = rec.job_id if rec else ""
        wave_jobs = rec.all_jobs(account_id) if rec else ()
        # a wave of several accounts has one job in each (contract 1.2): its servers are theirs together
        job_list = [jobs[j.job_id] for j in wave_jobs if j.job_id in jobs]
        job = _merged_jobs(job_list) if len(job_list) > 1 else (job_list[0] if job_list else None)
        participants = {str(p.get("sourceServerID")): p for p in (job or {}).get("participatingServers") or []}
        job_instances = {k: v for j in wave_jobs for k, v in instances.get(j.job_id, {}).items()}
        job_reasons = {k: v for j in wave_jobs for k, v in reasons.get(j.job_id, {}).items()}
        server_views = []
        for sid in spec["sourceServerIds"]:
            src = servers.get(sid)
            part = participants.get(sid)
            inst = job_instances.get(sid) or {}
            rid = str((part or {}).get("recoveryInstanceID") or inst.get("recoveryInstanceID") or "")
            snap_id, snap_at = spec["snapshots"].get(sid, ("", ""))
            server_views.append(
                ServerView(
                    source_server_id=sid,
                    name=src.name if src else "",
                    source_instance_id=src.instance_id if src else "",
                    source_account_id=src.account_id if src else "",
                    replication_state=src.replication_state if src else ReplicationState.UNKNOWN,
                    launch_status=LaunchStatus.parse(part.get("launchStatus")) if part else None,
                    recovery_instance_id=rid,
                    ec2_instance_id=str(inst.get("ec2InstanceID") or ""),
                    ec2_instance_state=str(inst.get("ec2InstanceState") or ""),
                    failure_reason=job_reasons.get(sid, ""),
                    recovery_point=whole_second(parse_time(inst.get("pointInTimeSnapshotDateTime"))),
                    recovery_snapshot_id=snap_id,
                    recovery_snapshot_at=whole_second(parse_time(snap_at)),
                    recovery_account_id=spec.get("accounts", {}).get(sid, "") or account_id,
                )
            )
        status = rec.status if rec else None
        launched, failed = _job_counts(job)
        if rec is not None:  # the record's counts are final once the wave ended (TIMEOUT counts the rest)
            launched, failed = max(launched, rec.servers_launched), max(failed, rec.servers_failed)
        waves.append(
            WaveView(
                index=i,
                name=(rec.name if rec and rec.name else spec["name"]) or f"Wave {i + 1}",
                status=status,
                job_id=job_id,
                started_at=whole_second(parse_time(rec.started_at)) if rec else None,
                ended_at=whole_second(parse_time(rec.ended_at)) if rec else None,
                pause_before=bool(spec["pauseBefore"]),
                timeout_minutes=int(spec["timeoutSeconds"]) // 60 if spec["timeoutSeconds"] else 0,
                servers=tuple(server_views),
                launched=launched,
                failed=failed,
                error=rec.error if rec else "",
                cause=rec.cause if rec else "",
                point_in_time=whole_second(parse_time(spec["pointInTime"])),
                job_ids=tuple(j.job_id for j in wave_jobs) if len(wave_jobs) > 1 else (),
                jobs=_cross_account_jobs(rec, account_id),
                job_ended_at=whole_second(jobs_ended_at(job_list)) if len(job_list) == len(wave_jobs) else None,
            )
        )
    kind = (record.execution_type if record and record.execution_type else execution_type) or "DRILL"
    exec_status = record.status if record else status_if_unrecorded
    if exec_status is not None:
        waves = [_with_reasons(w, exec_status, record) for w in waves]
    # the wave's failed count covers every server the views list as failed (one number everywhere)
    waves = [w if (n := len(wave_failed_servers(w))) <= w.failed else replace(w, failed=n) for w in waves]
    return ExecutionView(
        execution_id=execution_id,
        plan_id=(record.plan_id if record else "") or str((plan or {}).get("id") or ""),
        plan_name=(record.plan_name if record else "") or str((plan or {}).get("name") or ""),
        execution_type=ExecutionType.RECOVERY if kind == "RECOVERY" else ExecutionType.DRILL,
        status=exec_status,
        started_at=whole_second((parse_time(record.started_at) if record else None) or started_at),
        ended_at=whole_second(parse_time(record.ended_at)) if record else None,
        initiated_by=record.initiated_by if record else "",
        execution_arn=(record.execution_arn if record else "") or execution_arn,
        account_id=account_id,
        region=region,
        waves=tuple(waves),
        error=record.error if record else "",
        cause=record.cause if record else "",
        recovery_point_at=parse_time(record.recovery_point_at) if record else None,
        rpo_seconds=record.rpo_seconds if record else None,
        point_in_time=whole_second(parse_time(record.point_in_time)) if record else None,
        recorded_waves=WaveTally.of_counts(record.wave_counts, record.wave_count) if record else None,
        recorded_servers=ServerTally(0, record.servers_launched, record.servers_failed) if record else None,
    )


def _cross_account_jobs(rec: Any, account_id: str) -> tuple[tuple[str, str], ...]:
    """A wave's jobs with their accounts when it ran outside the connected account (several jobs,
    or its one job elsewhere); () for a wave of the connected account (shown as before: its job)."""
    if rec is None or not rec.jobs:
        return ()
    if len(rec.jobs) == 1 and (not account_id or rec.jobs[0].account_id == account_id):
        return ()
    return tuple((j.account_id, j.job_id) for j in rec.jobs)


def jobs_ended_at(job_list: Sequence[Mapping[str, Any]]) -> datetime | None:
    """When DRS's jobs (a wave's, a step's) ended: the last ``endDateTime``, once every one of
    them is COMPLETED; None while one runs, or when there is none."""
    if not job_list or any(str(j.get("status") or "").upper() != "COMPLETED" for j in job_list):
        return None
    ends = [parse_time(j.get("endDateTime")) for j in job_list]
    return None if any(t is None for t in ends) else max(t for t in ends if t is not None)


def _merged_jobs(job_list: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The jobs of one wave as one: every participating server; COMPLETED when all are."""
    statuses = [str(j.get("status") or "") for j in job_list]
    status = "COMPLETED" if all(s == "COMPLETED" for s in statuses) else next(
        (s for s in statuses if s != "COMPLETED"), "")
    return {"status": status,
            "participatingServers": [p for j in job_list for p in j.get("participatingServers") or []]}


def _wave_started(w: WaveView) -> bool:
    return bool(w.started_at or w.job_id)


def _why_not_launched(w: WaveView, exec_status: ExecutionStatus, record: ExecutionRecord | None) -> str:
    """Why the servers of ``w`` that are not LAUNCHED did not launch, from the wave's outcome
    (its error and cause, else the execution's)."""
    said = ": ".join(x for x in (w.error, w.cause) if x)
    why = ": ".join(x for x in (record.error, record.cause) if x) if record else ""
    also = f" ({why})" if why and exec_status.is_terminal else ""
    if w.status is not None and w.status.is_terminal:
        if said:
            return said
        if w.status is ExecutionStatus.TIMEOUT:
            limit = f" ({w.timeout_minutes} min)" if w.timeout_minutes else ""
            return f"not launched within the wave's timeout{limit}"
        if not _wave_started(w):
            return f"not launched: wave {w.status.value} before it started{also}"
        return f"not launched: wave ended {w.status.value}{also}"
    if exec_status.is_terminal and not _wave_started(w):
        return f"not launched: the execution ended {exec_status.value} before this wave{also}"
    return ""


def _with_reasons(w: WaveView, exec_status: ExecutionStatus, record: ExecutionRecord | None) -> WaveView:
    """Every server of a finished wave (or of a wave a finished execution never reached) that did
    not launch says why: DRS's job log when it said, else the wave's (or execution's) outcome."""
    if w.status is ExecutionStatus.COMPLETED:
        return w
    why = _why_not_launched(w, exec_status, record)
    if not why:
        return w
    # DRS's job unread (no launch status) but the record says some launched: which is unknown
    unknown_launched = w.launched > sum(1 for s in w.servers if s.launch_status is LaunchStatus.LAUNCHED)
    servers = tuple(
        s if (s.failure_reason or s.launch_status is LaunchStatus.LAUNCHED
              or (s.launch_status is None and unknown_launched)) else replace(s, failure_reason=why)
        for s in w.servers
    )
    return replace(w, servers=servers)


# --- the recovery time ----------------------------------------------------------------------------


def paused_intervals(view: ExecutionView, now: datetime) -> list[tuple[datetime, datetime]]:
    """When the execution waited for an operator: before each ``pauseBefore`` wave, from the end of
    the wave before it (or the execution's start) to the wave's start (or, never resumed, to the
    end of the execution, or now)."""
    out = []
    boundary = view.started_at
    for w in view.waves:
        if w.pause_before and boundary is not None:
            end = w.started_at
            if end is None and (w.status is ExecutionStatus.PAUSED or (w.status is not None and w.status.is_terminal)
                                or view.status is ExecutionStatus.PAUSED):
                end = w.ended_at or view.ended_at or now
            if end is not None and end > boundary:
                out.append((boundary, end))
        if w.started_at is None:
            break  # never launched: no later wave ran, nor paused
        if w.ended_at is not None:
            boundary = w.ended_at
        elif w.started_at is not None:
            boundary = None  # running: no pause can follow before it ends
    return out


@dataclass(frozen=True, slots=True)
class RecoveryTime:
    """Execution start to the end of its last wave that ended, with and without time paused."""

    total_seconds: float | None
    paused_seconds: float

    @property
    def active_seconds(self) -> float | None:
        return None if self.total_seconds is None else max(0.0, self.total_seconds - self.paused_seconds)


def recovery_time(view: ExecutionView, now: datetime | None = None) -> RecoveryTime:
    """None while running or when no wave ended."""
    now = now or datetime.now(UTC)
    ends = [w.ended_at for w in view.waves if w.ended_at is not None]
    if view.started_at is None or not view.is_terminal or not ends:
        return RecoveryTime(None, 0.0)
    last = max(ends)
    paused = sum(max(0.0, (min(b, last) - a).total_seconds()) for a, b in paused_intervals(view, now) if a < last)
    return RecoveryTime(max(0.0, (last - view.started_at).total_seconds()), paused)


# --- transitions --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Transition:
    """One change between two views: the execution's status, a wave's status or job, or a
    server's launch status, recovery instance or EC2 state."""

    kind: str  # "execution" | "wave" | "server"
    status: ExecutionStatus | None
    previous: ExecutionStatus | None = None
    wave_index: int | None = None  # 0-based
    wave_name: str = ""
    job_id: str = ""
    launched: int = 0
    failed: int = 0
    text: str = ""
    at: datetime | None = None  # when it happened, when the record says (else: when it was seen)
    server: ServerView | None = None
    server_count: int = 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "status": self.status.value if self.status else None,
            "previous": self.previous.value if self.previous else None,
            "text": self.text,
            "at": iso_utc(self.at),
        }
        if self.kind in ("wave", "server"):
            out.update(wave=(self.wave_index or 0) + 1, waveName=self.wave_name, jobId=self.job_id or None)
        if self.kind == "wave":
            out.update(launched=self.launched, failed=self.failed, servers=self.server_count)
        if self.kind == "server" and self.server is not None:
            out["server"] = server_json(self.server)
        return out


def wave_outcome(w: WaveView) -> str:
    """``2 of 5 servers failed to launch`` / ``5 of 5 servers launched`` (a finished wave)."""
    total = len(w.servers)
    if not total:
        return ""
    if w.failed:
        return f"{w.failed} of {plural(total, 'server')} failed to launch"
    return f"{w.launched} of {plural(total, 'server')} launched"


def wave_line(w: WaveView) -> str:
    status = w.status.value if w.status else "NOT STARTED"
    if w.native_status:  # a DRS native step's own status where it says more (WAITING, SKIPPED)
        status += f" (native {w.native_status})"
    line = f"{wave_label(w)}: {status}"
    if w.jobs or len(w.job_ids) > 1:
        from .fields import wave_jobs_text

        line += f" {noun(len(w.jobs) if w.jobs else len(w.job_ids), 'job')} {wave_jobs_text(w)}"
    elif w.job_id:
        line += f" job {w.job_id}"
    if w.status is not None and w.status.is_terminal and w.servers:
        line += f" ({w.launched} launched, {w.failed} failed of {len(w.servers)})"
    return line


def wave_state_text(w: WaveView) -> str:
    """A wave's state in words, where no bar or time can say it (the Gantt's empty rows)."""
    if w.status is None or w.status is ExecutionStatus.PENDING:
        return "not started"
    if w.status is ExecutionStatus.PAUSED:
        return "paused: waiting for resume"
    if w.status.is_terminal and not _wave_started(w):
        return f"{w.status.value}: never launched"
    return w.status.value


def execution_status_text(view: ExecutionView) -> str:
    """``PAUSED before wave 2 "Web"``, ``PARTIAL``: an execution's status as its lines say it."""
    text = view.status.value if view.status else "NOT STARTED"
    if view.status is ExecutionStatus.PAUSED:
        waiting = next((w for w in view.waves if w.status is ExecutionStatus.PAUSED), None)
        if waiting is not None:
            text += f" before {wave_label(waiting)}"
    return text


def counts_text(view: ExecutionView, sep: str = " · ") -> str:
    """``waves 0/2 completed, 1 partial · 4/5 servers launched, 1 failed`` (status, notifications)."""
    waves, servers = view.wave_tally, view.server_tally
    return sep.join(x for x in (f"waves {waves.text()}" if waves.total else "", servers.text()) if x)


def failed_servers_text(w: WaveView, most: int = 3) -> str:
    """The servers of ``w`` that failed to launch, by name and ID: ``web-1 (s-1), web-2 (s-2) and 3
    more`` (at most ``most`` named); "" when none did."""
    failed = wave_failed_servers(w)
    named = ", ".join(server_label(s) for s in failed[:most])
    return named + (f" and {len(failed) - most} more" if len(failed) > most else "")


def server_line(w: WaveView, s: ServerView) -> str:
    line = f"{wave_label(w)} server {server_label(s)}: "
    line += s.launch_status.value if s.launch_status else "NOT LAUNCHED"
    if s.recovery_instance_id:
        line += f", recovery instance {s.recovery_instance_id}"
        if s.ec2_instance_state:
            line += f" {s.ec2_instance_state}"
    if s.failure_reason and s.launch_status is not LaunchStatus.LAUNCHED:
        line += f" - {s.failure_reason}"
    return line


def _server_key(s: ServerView) -> tuple:
    return (s.launch_status, s.recovery_instance_id, s.ec2_instance_state, s.failure_reason)


_STARTING = frozenset({ExecutionStatus.LAUNCHING, ExecutionStatus.STARTED})


def _wave_time(w: WaveView) -> datetime | None:
    """When the record says the wave reached its status: its end, or its start while starting;
    None for a later status the record gives no time of (IN_PROGRESS, PAUSED): stamped when seen."""
    if w.status is not None and w.status.is_terminal:
        return w.ended_at or w.started_at
    return w.started_at if w.status in _STARTING else None


def seen_at(w: WaveView, now: datetime) -> datetime:
    """When a change of wave ``w`` or of one of its servers that nothing dates happened, as far as
    the console can tell: when it was seen (``now``), but never before the wave started, nor after
    the wave's DRS job ended or the wave ended. DRS launches a wave's servers within its job, and
    the state machine writes the job's end as the wave's only after its next poll: a read between
    the two sees a launch late, and without the bound would stamp it after the wave's end."""
    at = now
    if w.started_at is not None and at < w.started_at:
        at = w.started_at
    for end in (w.job_ended_at, w.ended_at):
        if end is not None and at > end:
            at = end
    return at


def diff_views(prev: ExecutionView | None, cur: ExecutionView, now: datetime | None = None) -> list[Transition]:
    """Every status/job/server change from ``prev`` to ``cur`` (``prev`` None: the initial state),
    in the order it happened: by the time the record gives it, the rest as seen ``now`` (the time
    ``cur`` was read: ``MonitorUpdate.observed_at``) within its wave's times (``seen_at``)."""
    now = now or datetime.now(UTC)
    out: list[tuple[int, Transition]] = []
    before = prev.status if prev else None
    exec_line: Transition | None = None
    if prev is None or cur.status != before:
        if cur.status is not None:
            text = f"execution {cur.execution_id}: {execution_status_text(cur)}"
            if cur.status.is_terminal and (cur.error or cur.cause):
                text += " (" + ": ".join(x for x in (cur.error, cur.cause) if x) + ")"
            at = cur.ended_at if cur.status.is_terminal else (cur.started_at if prev is None else None)
            exec_line = Transition("execution", cur.status, before, text=text, at=at or now)
    old = {w.index: w for w in prev.waves} if prev else {}
    for w in cur.waves:
        p = old.get(w.index)
        if not (p is not None and p.status == w.status and p.job_id == w.job_id) and not (p is None and w.status is None):
            ended = w.status is not None and w.status.is_terminal
            previous = p.status if p else None
            if w.job_id and not (p is not None and p.job_id) and w.status is not ExecutionStatus.STARTED:
                # the wave's job started between two reads: say so, when the record says it did,
                # before what followed (a short job can start and end within one poll)
                started = replace(w, status=ExecutionStatus.STARTED)
                out.append((0, Transition(
                    "wave", ExecutionStatus.STARTED, previous, wave_index=w.index, wave_name=w.name,
                    job_id=w.job_id, text=wave_line(started), at=w.started_at or now, server_count=len(w.servers),
                )))
                previous = ExecutionStatus.STARTED
            out.append((2 if ended else 0, Transition(
                "wave", w.status, previous, wave_index=w.index, wave_name=w.name, job_id=w.job_id,
                launched=w.launched, failed=w.failed, text=wave_line(w), at=_wave_time(w) or seen_at(w, now),
                server_count=len(w.servers),
            )))
        was = {s.source_server_id: s for s in (p.servers if p else ())}
        for s in w.servers:
            ps = was.get(s.source_server_id)
            if s.launch_status is None and not s.recovery_instance_id and not s.failure_reason:
                continue
            if ps is not None and _server_key(ps) == _server_key(s):
                continue
            out.append((1, Transition(
                "server", w.status, p.status if p else None, wave_index=w.index, wave_name=w.name,
                job_id=w.job_id, text=server_line(w, s), server=s,
                at=(w.ended_at if w.status is not None and w.status.is_terminal else None) or seen_at(w, now),
            )))
    if exec_line is not None:
        # the execution's terminal line comes after the waves that led to it
        out.append((3 if cur.status is not None and cur.status.is_terminal else -1, exec_line))
    order = sorted(range(len(out)), key=lambda i: (out[i][1].at or now, out[i][0], i))
    return [out[i][1] for i in order]


def wave_durations(view: ExecutionView, now: datetime) -> list[tuple[WaveView, float | None]]:
    return [(w, w.duration_seconds(now)) for w in view.waves]


_FAILED_OUTCOMES = frozenset({ExecutionStatus.PARTIAL, ExecutionStatus.FAILED, ExecutionStatus.TIMEOUT})


def wave_failed_servers(w: WaveView) -> list[ServerView]:
    """The servers of ``w`` that failed to launch: FAILED in the job, or not LAUNCHED when the
    wave (started) ended PARTIAL, FAILED or TIMEOUT. When DRS's job could not be read (no launch
    status) a server counts only if the wave's record launched none of the unknown ones."""
    done = w.status in _FAILED_OUTCOMES and _wave_started(w)
    unknown_launched = w.launched > sum(1 for s in w.servers if s.launch_status is LaunchStatus.LAUNCHED)
    out = []
    for s in w.servers:
        if s.launch_status is LaunchStatus.FAILED:
            out.append(s)
        elif done and s.launch_status is not LaunchStatus.LAUNCHED and not (s.launch_status is None and unknown_launched):
            out.append(s)
    return out


def failed_servers(view: ExecutionView) -> list[tuple[WaveView, ServerView]]:
    """Servers that failed to launch, wave by wave (``wave_failed_servers``)."""
    return [(w, s) for w in view.waves for s in wave_failed_servers(w)]


def not_launched_servers(view: ExecutionView) -> list[tuple[WaveView, ServerView]]:
    """Servers that did not launch without failing, in a finished execution: their wave was
    cancelled, or never started (the execution stopped or was cancelled first)."""
    if not view.is_terminal:
        return []
    out = []
    for w in view.waves:
        if w.status is ExecutionStatus.COMPLETED or (w.status in _FAILED_OUTCOMES and _wave_started(w)):
            continue  # all launched, or those that did not failed
        unknown_launched = w.launched > sum(1 for s in w.servers if s.launch_status is LaunchStatus.LAUNCHED)
        for s in w.servers:
            if s.launch_status in (LaunchStatus.LAUNCHED, LaunchStatus.FAILED):
                continue
            if s.launch_status is None and unknown_launched:
                continue
            out.append((w, s))
    return out


def server_names(servers: Sequence[SourceServer]) -> dict[str, str]:
    return {s.source_server_id: s.name for s in servers}
