"""A DRS native recovery-plan execution as the console's views (the same ``ExecutionView`` the
monitor builds for the Step Functions backend), and the ONE place native statuses map to ours.

Native step statuses (``RecoveryPlanExecutionStepStatus``) and execution statuses
(``RecoveryPlanExecutionStatus``) map to ``domain.status.ExecutionStatus``; where the native
status says more (WAITING, SKIPPED, CREATED ...) the view keeps it in ``native_status``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from .contract import ExecutionRecord, WaveRecord
from .execution import Engine, ExecutionType, ExecutionView, ServerTally, ServerView, WaveTally, WaveView
from .fields import whole_second
from .history import HistoryRow
from .inventory import SourceServer
from .native_mapping import TAG_PLAN_ID, TAG_PLAN_NAME, source_server_id
from .native_point_in_time import read_tags
from .progress import parse_time
from .status import ExecutionStatus, LaunchStatus, ReplicationState

# -- the one status mapping ---------------------------------------------------------------------------
STEP_STATUS: Mapping[str, ExecutionStatus] = {
    "NOT_STARTED": ExecutionStatus.PENDING,
    "EXECUTING": ExecutionStatus.IN_PROGRESS,
    "WAITING": ExecutionStatus.IN_PROGRESS,  # a WAIT step counting down (shown as WAITING)
    "COMPLETED": ExecutionStatus.COMPLETED,
    "FAILED": ExecutionStatus.FAILED,
    "TIMED_OUT": ExecutionStatus.TIMEOUT,
    "SKIPPED": ExecutionStatus.CANCELLED,  # not run, by the operator's choice (shown as SKIPPED)
}
EXECUTION_STATUS: Mapping[str, ExecutionStatus] = {
    "CREATED": ExecutionStatus.PENDING,
    "IN_PROGRESS": ExecutionStatus.RUNNING,
    "COMPLETED": ExecutionStatus.COMPLETED,
    "FAILED": ExecutionStatus.FAILED,
    "CANCELLING": ExecutionStatus.CANCELLING,
    "CANCELLED": ExecutionStatus.CANCELLED,
}
# the model's active execution statuses: never deleted, never cleaned up
ACTIVE_NATIVE = frozenset({"CREATED", "IN_PROGRESS", "CANCELLING"})
RETRYABLE_STEP = frozenset({"FAILED", "TIMED_OUT"})  # RetryRecoveryPlanExecutionStep: a failed SERVER step
SKIPPABLE_STEP = frozenset({"NOT_STARTED", "FAILED", "TIMED_OUT"})  # UpdateRecoveryPlanExecutionStep SKIPPED


def step_status(raw: str | None) -> ExecutionStatus | None:
    return STEP_STATUS.get(str(raw or "").upper())


def execution_status(raw: str | None) -> ExecutionStatus | None:
    return EXECUTION_STATUS.get(str(raw or "").upper())


def shown_status(ours: ExecutionStatus | None, raw: str) -> str:
    """The native status when it says something ours does not (``""`` when they read the same)."""
    return "" if ours is not None and ours.value == raw else raw


def short_id(arn: str) -> str:
    """The execution's ID as the console shows it: the last part of its ARN."""
    return (arn or "").rsplit("/", 1)[-1]


# -- record and plan --------------------------------------------------------------------------------
def _servers_of(step: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    conf = step.get("configuration") or {}
    srv = conf.get("executionServerStepConfiguration") or conf.get("serverStepConfiguration") or {}
    return list(srv.get("servers") or [])


def _wait_of(step: Mapping[str, Any]) -> int:
    wait = (step.get("configuration") or {}).get("waitStepConfiguration")
    return int(wait.get("waitDurationMinutes") or 0) if wait else 0


def step_job_ids(step: Mapping[str, Any]) -> tuple[str, ...]:
    """Every DRS job of a step, in the order its servers list them."""
    return tuple(dict.fromkeys(str(s["jobID"]) for s in _servers_of(step) if s.get("jobID")))


def ordered_steps(steps: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(steps, key=lambda s: int(s.get("stepIndex", 0) or 0))


def native_record(execution: Mapping[str, Any], steps: Sequence[Mapping[str, Any]], *,
                  plan_tags: Mapping[str, str] | None = None) -> tuple[ExecutionRecord, dict[str, Any]]:
    """The native execution and its steps as the record and plan the monitor reads: one wave per
    step (a WAIT step is a wave with no servers)."""
    tags = {**dict(plan_tags or {}), **dict(execution.get("tags") or {})}
    raw = str(execution.get("status") or "")
    waves = []
    plan_waves = []
    counts: dict[str, int] = {}
    for i, step in enumerate(ordered_steps(steps)):
        st_raw = str(step.get("status") or "")
        status = step_status(st_raw)
        jobs = step_job_ids(step)
        err = step.get("errorDetail") or {}
        waves.append(WaveRecord(index=i, name=str(step.get("stepName") or ""), status=status, raw_status=st_raw,
                                job_id=jobs[-1] if jobs else "", server_count=len(_servers_of(step)),
                                error=str(err.get("code") or ""), cause=str(err.get("message") or "")))
        plan_waves.append({"name": str(step.get("stepName") or ""),
                           "sourceServerIds": [source_server_id(str(s.get("serverArn"))) for s in _servers_of(step)],
                           "pauseBefore": False, "timeoutSeconds": 0})
        if status is not None and status.is_terminal:
            counts[status.value] = counts.get(status.value, 0) + 1
    arn = str(execution.get("recoveryPlanExecutionArn") or "")
    err = execution.get("errorDetail") or {}
    record = ExecutionRecord(
        execution_id=short_id(arn), status=execution_status(raw), raw_status=raw,
        plan_id=str(tags.get(TAG_PLAN_ID) or ""), plan_name=str(tags.get(TAG_PLAN_NAME) or ""),
        execution_type=str(execution.get("mode") or ""), started_at=str(execution.get("startedAt") or ""),
        ended_at=str(execution.get("completedAt") or ""), execution_arn=arn, wave_count=len(waves),
        wave_counts=counts, error=str(err.get("code") or ""), cause=str(err.get("message") or ""), waves=tuple(waves))
    return record, {"id": record.plan_id, "name": record.plan_name, "waves": plan_waves}


def _job_times(jobs: Sequence[Mapping[str, Any]]) -> tuple[datetime | None, datetime | None, bool]:
    starts = [t for j in jobs if (t := parse_time(j.get("creationDateTime")))]
    ends = [t for j in jobs if (t := parse_time(j.get("endDateTime")))]
    done = bool(jobs) and all(str(j.get("status") or "").upper() == "COMPLETED" for j in jobs)
    return (min(starts) if starts else None), (max(ends) if ends and done else None), done


def build_native_view(
    *,
    execution: Mapping[str, Any],
    steps: Sequence[Mapping[str, Any]],
    plan_tags: Mapping[str, str] | None = None,
    jobs: Mapping[str, Mapping[str, Any]] | None = None,
    servers: Mapping[str, SourceServer] | None = None,
    instances: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    reasons: Mapping[str, Mapping[str, str]] | None = None,
    account_id: str = "",
    region: str = "",
    step_details: Mapping[int, Mapping[str, Any]] | None = None,
) -> ExecutionView:
    """The view of one native execution: each step a wave, each server with its own DRS job
    (a retried step's servers may have different jobs). ``jobs``: job ID -> DescribeJobs item;
    ``instances``: job ID -> {source server ID -> DescribeRecoveryInstances item}; ``reasons``:
    job ID -> {source server ID -> failure detail}; ``step_details``: step index ->
    GetRecoveryPlanExecutionStep item (its attempt, createdAt/updatedAt)."""
    jobs = jobs or {}
    servers = servers or {}
    instances = instances or {}
    reasons = reasons or {}
    step_details = step_details or {}
    record, _plan = native_record(execution, steps, plan_tags=plan_tags)
    exec_status = record.status
    # a point-in-time run: the time requested and each server's snapshot, as tagged at its start
    requested_at, recorded = read_tags(execution.get("tags"))
    waves: list[WaveView] = []
    for i, step in enumerate(ordered_steps(steps)):
        rec = record.waves[i]
        detail = step_details.get(i) or {}
        job_ids = step_job_ids(step)
        step_jobs = [jobs[j] for j in job_ids if j in jobs]
        started, ended, done = _job_times(step_jobs)
        jobs_end = ended if done and len(step_jobs) == len(job_ids) else None
        if not job_ids and rec.status is not None and rec.status is not ExecutionStatus.PENDING:
            started = parse_time(detail.get("createdAt")) if detail else None
            ended = parse_time(detail.get("updatedAt")) if detail and rec.status.is_terminal else None
        if rec.status is not None and not rec.status.is_terminal:
            ended = None
        views = []
        launched = failed = 0
        for s in _servers_of(step):
            sid = source_server_id(str(s.get("serverArn")))
            pinned = recorded.get(sid)
            job_id = str(s.get("jobID") or "")
            job = jobs.get(job_id) or {}
            part = next((p for p in job.get("participatingServers") or [] if p.get("sourceServerID") == sid), None)
            inst = (instances.get(job_id) or {}).get(sid) or {}
            src = servers.get(sid)
            launch = LaunchStatus.parse(part.get("launchStatus")) if part else None
            launched += launch is LaunchStatus.LAUNCHED
            failed += launch is LaunchStatus.FAILED
            why = (reasons.get(job_id) or {}).get(sid, "")
            if not why and launch is not LaunchStatus.LAUNCHED and rec.status is not None and rec.status.is_terminal \
                    and rec.status is not ExecutionStatus.COMPLETED:
                why = ": ".join(x for x in (rec.error, rec.cause) if x) or f"not launched: step {rec.raw_status}"
            if s.get("impactLevel") == "OPTIONAL" and why:
                why = f"(optional) {why}"
            views.append(ServerView(
                source_server_id=sid,
                name=src.name if src else "",
                source_instance_id=src.instance_id if src else "",
                source_account_id=src.account_id if src else "",
                replication_state=src.replication_state if src else ReplicationState.UNKNOWN,
                launch_status=launch,
                recovery_instance_id=str((part or {}).get("recoveryInstanceID") or inst.get("recoveryInstanceID") or ""),
                ec2_instance_id=str(inst.get("ec2InstanceID") or ""),
                ec2_instance_state=str(inst.get("ec2InstanceState") or ""),
                failure_reason=why,
                recovery_point=whole_second(parse_time(inst.get("pointInTimeSnapshotDateTime"))),
                recovery_snapshot_id=pinned.snapshot_id if pinned else "",
                recovery_snapshot_at=whole_second(pinned.taken) if pinned else None,
            ))
        wait = _wait_of(step)
        asked = {p.requested for sv in views if (p := recorded.get(sv.source_server_id)) and p.requested}
        waves.append(WaveView(
            index=i, name=rec.name or (f"Wait {wait} min" if wait else f"Step {i + 1}"),
            status=rec.status, job_id=rec.job_id, started_at=whole_second(started), ended_at=whole_second(ended),
            timeout_minutes=0, servers=tuple(views), launched=launched, failed=failed,
            error=rec.error, cause=rec.cause, native_status=shown_status(rec.status, rec.raw_status),
            job_ids=job_ids, step_kind="WAIT" if "waitStepConfiguration" in (step.get("configuration") or {})
            else "SERVER", wait_minutes=wait, attempt=int(detail.get("attempt") or 0),
            point_in_time=whole_second(next(iter(asked))) if len(asked) == 1 else None,
            job_ended_at=whole_second(jobs_end)))
    kind = ExecutionType.RECOVERY if record.execution_type == "RECOVERY" else ExecutionType.DRILL
    return ExecutionView(
        execution_id=record.execution_id, plan_id=record.plan_id, plan_name=record.plan_name, execution_type=kind,
        status=exec_status, started_at=whole_second(parse_time(record.started_at)),
        ended_at=whole_second(parse_time(record.ended_at)) if exec_status and exec_status.is_terminal else None,
        execution_arn=record.execution_arn, account_id=account_id, region=region, waves=tuple(waves),
        error=record.error, cause=record.cause,
        recorded_waves=WaveTally.of_counts(record.wave_counts, record.wave_count),
        recorded_servers=ServerTally(sum(w.server_count for w in record.waves), 0, 0),
        engine=Engine.NATIVE, native_status=shown_status(exec_status, record.raw_status),
        recovery_plan_arn=str(execution.get("recoveryPlanArn") or ""),
        point_in_time=whole_second(requested_at))


def summary_view(item: Mapping[str, Any], *, steps: Sequence[Mapping[str, Any]] | None = None, plan_name: str = "",
                 plan_id: str = "", account_id: str = "", region: str = "") -> ExecutionView:
    """A native execution as a list's view, without waves (the Executions list, History's row).

    ``item``: a ListRecoveryPlanExecutions item (no ``completedAt``: no end, no duration), or the
    GetRecoveryPlanExecution one (its ``completedAt`` ends it). ``steps``: its
    ListRecoveryPlanExecutionSteps items, counted as the view's waves are (``recorded_waves``: each
    step's outcome, a WAIT step a wave too) as a backend record's ``waveCounts``/``waveCount`` are;
    None: not read, so no tally."""
    view = build_native_view(execution=item, steps=steps or [], plan_tags={TAG_PLAN_NAME: plan_name,
                             TAG_PLAN_ID: plan_id}, account_id=account_id, region=region)
    if steps is None:
        return replace(view, recorded_waves=None, recorded_servers=None)
    return replace(view, waves=())  # the tally stays (recorded_waves); the steps' servers are the monitor's


def history_row(view: ExecutionView) -> HistoryRow:
    """A native execution as the history list's row (engine "native"; its own status kept): its
    start and end (the Duration, ``HistoryRow.duration`` as for a backend row) and its waves' tally
    (``wave_counts``/``wave_count``, read by ``WaveTally.of_counts`` as a backend row's are)."""
    native = view.native_status or (view.status.value if view.status else "")
    ours = view.status.value if view.status else native
    tally = view.recorded_waves if view.recorded_waves is not None else (
        WaveTally.of_waves(view.waves) if view.waves else None)
    return HistoryRow(
        execution_id=view.execution_id, raw_status=ours, status=view.status, plan_name=view.plan_name,
        plan_id=view.plan_id, execution_type=view.execution_type.value, started_at=view.started_at,
        ended_at=view.ended_at, execution_arn=view.execution_arn, engine=Engine.NATIVE.value, native_status=native,
        wave_count=tally.total if tally else 0, wave_count_known=tally is not None,
        wave_counts=tally.counts if tally else (),
        search_text=" ".join(x for x in (view.execution_id, view.plan_name, ours, native, "native",
                                         view.execution_type.value) if x).casefold())


# -- what the GUI shows and allows ------------------------------------------------------------------
def status_with_native(status: ExecutionStatus | None, native: str = "") -> str:
    """``CANCELLED (native SKIPPED)``: our status, and the native one where it says more."""
    ours = status.value if status is not None else "NOT_STARTED"
    return f"{ours} (native {native})" if native and native != ours else ours


def raw_step_status(wave: WaveView) -> str:
    """A step's own (native) status, from its view."""
    if wave.native_status:
        return wave.native_status
    return wave.status.value if wave.status is not None else "NOT_STARTED"


def step_refusal(view: ExecutionView, index: int, action: str) -> str:
    """Why step ``index`` (0-based) of a native execution cannot be retried (``action`` "retry")
    or skipped ("skip") now; "" when it can. The same rules as ``NativeEngine.retry_step`` /
    ``skip_step`` (DRS itself has the last word)."""
    wave = view.wave(index)
    if wave is None:
        return f"Execution {view.execution_id} has no step {index + 1}."
    raw = raw_step_status(wave)
    if view.native_status == "CANCELLING" or view.status is ExecutionStatus.CANCELLED:
        return f"The execution is {view.native_status or view.status.value}: no step is retried or skipped."
    if action == "retry":
        if wave.step_kind == "WAIT":
            return f"Step {index + 1} ({wave.name}) is a WAIT step: there is nothing to retry."
        if raw not in RETRYABLE_STEP:
            return f"Step {index + 1} ({wave.name}) is {raw}: only a FAILED or TIMED_OUT server step can be retried."
        return ""
    if raw not in SKIPPABLE_STEP:
        return (f"Step {index + 1} ({wave.name}) is {raw}: only a NOT_STARTED, FAILED or TIMED_OUT step can be "
                "skipped" + (" (a running step cannot; cancel the execution instead)." if raw in ("EXECUTING", "WAITING")
                             else "."))
    return ""
