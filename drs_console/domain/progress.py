"""Pure pieces of live monitoring: ExecutionView from what was read, and transitions by diffing.

The monitor (aws/monitor.py) reads the history record, the plan, DRS's jobs, job log items,
source servers and recovery instances as plain dicts, and builds an ``ExecutionView`` with
``build_view``. ``diff_views`` compares two consecutive views: the history record is the source of
truth, so even after an outage the diff reports every wave whose status or job changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .contract import ExecutionRecord
from .execution import ExecutionType, ExecutionView, JobLogEvent, ServerView, WaveView
from .inventory import SourceServer
from .status import ExecutionStatus, LaunchStatus, ReplicationState

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
                                                       "timeoutSeconds": 0}
        rec = records.get(i)
        job_id = rec.job_id if rec else ""
        job = jobs.get(job_id) if job_id else None
        participants = {str(p.get("sourceServerID")): p for p in (job or {}).get("participatingServers") or []}
        job_instances = instances.get(job_id, {}) if job_id else {}
        job_reasons = reasons.get(job_id, {}) if job_id else {}
        server_views = []
        for sid in spec["sourceServerIds"]:
            src = servers.get(sid)
            part = participants.get(sid)
            inst = job_instances.get(sid) or {}
            rid = str((part or {}).get("recoveryInstanceID") or inst.get("recoveryInstanceID") or "")
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
                started_at=parse_time(rec.started_at) if rec else None,
                ended_at=parse_time(rec.ended_at) if rec else None,
                pause_before=bool(spec["pauseBefore"]),
                timeout_minutes=int(spec["timeoutSeconds"]) // 60 if spec["timeoutSeconds"] else 0,
                servers=tuple(server_views),
                launched=launched,
                failed=failed,
                error=rec.error if rec else "",
                cause=rec.cause if rec else "",
            )
        )
    kind = (record.execution_type if record and record.execution_type else execution_type) or "DRILL"
    return ExecutionView(
        execution_id=execution_id,
        plan_id=(record.plan_id if record else "") or str((plan or {}).get("id") or ""),
        plan_name=(record.plan_name if record else "") or str((plan or {}).get("name") or ""),
        execution_type=ExecutionType.RECOVERY if kind == "RECOVERY" else ExecutionType.DRILL,
        status=record.status if record else status_if_unrecorded,
        started_at=(parse_time(record.started_at) if record else None) or started_at,
        ended_at=parse_time(record.ended_at) if record else None,
        initiated_by=record.initiated_by if record else "",
        execution_arn=(record.execution_arn if record else "") or execution_arn,
        account_id=account_id,
        region=region,
        waves=tuple(waves),
        error=record.error if record else "",
        cause=record.cause if record else "",
        recovery_point_at=parse_time(record.recovery_point_at) if record else None,
        rpo_seconds=record.rpo_seconds if record else None,
    )


# --- transitions --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Transition:
    """One change between two views: the execution's status, or a wave's status or job."""

    kind: str  # "execution" | "wave"
    status: ExecutionStatus | None
    previous: ExecutionStatus | None = None
    wave_index: int | None = None  # 0-based
    wave_name: str = ""
    job_id: str = ""
    launched: int = 0
    failed: int = 0
    text: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "status": self.status.value if self.status else None,
            "previous": self.previous.value if self.previous else None,
            "text": self.text,
        }
        if self.kind == "wave":
            out.update(wave=(self.wave_index or 0) + 1, waveName=self.wave_name, jobId=self.job_id or None,
                       launched=self.launched, failed=self.failed)
        return out


def wave_line(w: WaveView) -> str:
    status = w.status.value if w.status else "NOT STARTED"
    line = f'wave {w.index + 1} "{w.name}": {status}'
    if w.job_id:
        line += f" job {w.job_id}"
    if w.status is not None and w.status.is_terminal and w.servers:
        line += f" ({w.launched} launched, {w.failed} failed)"
    return line


def diff_views(prev: ExecutionView | None, cur: ExecutionView) -> list[Transition]:
    """Every status/job change from ``prev`` to ``cur`` (``prev`` None: the initial state)."""
    out: list[Transition] = []
    before = prev.status if prev else None
    if prev is None or cur.status != before:
        if cur.status is not None:
            text = f"execution {cur.execution_id}: {cur.status.value}"
            if cur.status.is_terminal and cur.error:
                text += f" ({cur.error})"
            out.append(Transition("execution", cur.status, before, text=text))
    old = {w.index: w for w in prev.waves} if prev else {}
    for w in cur.waves:
        p = old.get(w.index)
        if p is not None and p.status == w.status and p.job_id == w.job_id:
            continue
        if p is None and w.status is None:
            continue
        out.append(
            Transition(
                "wave",
                w.status,
                p.status if p else None,
                wave_index=w.index,
                wave_name=w.name,
                job_id=w.job_id,
                launched=w.launched,
                failed=w.failed,
                text=wave_line(w),
            )
        )
    # the execution's terminal line comes after the waves that led to it
    if out and out[0].kind == "execution" and cur.status is not None and cur.status.is_terminal:
        out.append(out.pop(0))
    return out


def wave_durations(view: ExecutionView, now: datetime) -> list[tuple[WaveView, float | None]]:
    return [(w, w.duration_seconds(now)) for w in view.waves]


def failed_servers(view: ExecutionView) -> list[tuple[WaveView, ServerView]]:
    """Servers whose launch failed (or never launched in a finished wave), wave by wave."""
    out = []
    for w in view.waves:
        done = w.status is not None and w.status.is_terminal
        for s in w.servers:
            if s.launch_status is LaunchStatus.FAILED or (
                done and w.job_id and s.launch_status not in (LaunchStatus.LAUNCHED, None)
            ):
                out.append((w, s))
    return out


def server_names(servers: Sequence[SourceServer]) -> dict[str, str]:
    return {s.source_server_id: s.name for s in servers}


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z") if dt else None


def view_json(view: ExecutionView, *, servers: bool = True) -> dict[str, Any]:
    """An ExecutionView as plain JSON values (for the CLI's --json)."""
    return {
        "executionId": view.execution_id,
        "planId": view.plan_id,
        "planName": view.plan_name,
        "executionType": view.execution_type.value,
        "status": view.status.value if view.status else None,
        "startedAt": _iso(view.started_at),
        "endedAt": _iso(view.ended_at),
        "initiatedBy": view.initiated_by,
        "executionArn": view.execution_arn,
        "accountId": view.account_id,
        "region": view.region,
        "error": view.error,
        "cause": view.cause,
        "waves": [
            {
                "wave": w.index + 1,
                "name": w.name,
                "status": w.status.value if w.status else None,
                "jobId": w.job_id or None,
                "startedAt": _iso(w.started_at),
                "endedAt": _iso(w.ended_at),
                "pauseBefore": w.pause_before,
                "timeoutMinutes": w.timeout_minutes,
                "launched": w.launched,
                "failed": w.failed,
                "error": w.error,
                "cause": w.cause,
                **({"servers": [
                    {
                        "sourceServerId": s.source_server_id,
                        "name": s.name,
                        "launchStatus": s.launch_status.value if s.launch_status else None,
                        "recoveryInstanceId": s.recovery_instance_id or None,
                        "ec2InstanceState": s.ec2_instance_state or None,
                        "failureReason": s.failure_reason or None,
                    }
                    for s in w.servers
                ]} if servers else {}),
            }
            for w in view.waves
        ],
    }
