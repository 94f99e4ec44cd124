"""Running a plan: start (drill or confirmed recovery), resume, cancel and clean up a drill.

Everything is async over an ``AwsConnection`` and raises ``ConsoleError`` (``BadInput`` for what
the operator must change). The GUI and the CLI call these; the monitor (``monitor.py``) watches.
"""

from __future__ import annotations

import asyncio
import re
import time
import unicodedata
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..domain import contract as c
from ..domain.accounts import KnownAccount
from ..domain.contract import ExecutionRecord
from ..domain.errors import BadInput, ConsoleError, ProblemKind
from ..domain.fields import iso_utc
from ..domain.plan import Plan
from ..domain.preflight import LeftoverInstance, PreflightReport
from ..domain.progress import plan_waves
from ..domain.status import ExecutionStatus
from .accounts import AccountConnector
from .backend import BackendLocation, BackendService, build_execution_input, validate_execution_input
from .drs_batch import TERMINATE_PER_CALL, Reader, chunks
from .preflight import TERMINATED_STATES, preflight, record_recovery_point
from .session import AwsConnection

SLUG_MAX = 40
EXECUTION_ID_MAX = 64  # the contract's executionId pattern; Step Functions allows 80 for the name
_SLUG_RE = re.compile(r"[^a-z0-9]+")
_NAME_OK = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


# -- names -------------------------------------------------------------------------------------
def plan_slug(name: str) -> str:
    """'Payments – EU failover' -> 'payments-eu-failover' (ASCII, at most 40 characters)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = _SLUG_RE.sub("-", ascii_name.lower()).strip("-")
    return slug[:SLUG_MAX].strip("-") or "plan"


def execution_id_for(plan_name: str, now: datetime | None = None, suffix: str | None = None) -> str:
    """A readable execution ID that is also the Step Functions execution name:
    ``<plan slug>-<UTC yyyymmddThhmmssZ>-<6 hex>``, at most 64 characters of [A-Za-z0-9-]."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    tail = suffix if suffix is not None else uuid.uuid4().hex[:6]
    value = f"{plan_slug(plan_name)}-{when.strftime('%Y%m%dT%H%M%SZ')}-{tail}"
    assert len(value) <= EXECUTION_ID_MAX and _NAME_OK.match(value), value
    return value


# -- start ---------------------------------------------------------------------------------------
class PreflightBlocked(BadInput):
    """The preflight found a BLOCK: the run was not started."""

    def __init__(self, report: PreflightReport):
        self.report = report
        reasons = "; ".join(f"{b.check}: {b.message}" for b in report.blocking[:3])
        more = f" (and {len(report.blocking) - 3} more)" if len(report.blocking) > 3 else ""
        super().__init__(f"Preflight blocked the run: {reasons}{more}",
                         report.blocking[0].remedy if report.blocking else "")


@dataclass(frozen=True)
class StartedRun:
    execution_id: str
    execution_arn: str
    execution_type: c.ExecutionType
    plan_id: str
    plan_name: str
    execution_input: dict[str, Any]
    preflight: PreflightReport
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def is_drill(self) -> bool:
        return self.execution_type is c.ExecutionType.DRILL


def check_confirmation(plan: Plan, *, recovery: bool, confirm: str) -> None:
    """A real recovery needs the plan's name typed exactly; raises BadInput otherwise."""
    if recovery and confirm != plan.name:
        raise BadInput(
            f"A real recovery of {plan.name!r} needs its name typed exactly as confirmation"
            + (f"; {confirm!r} does not match." if confirm else "."),
            "Type the plan name exactly (case and spaces count), or run a drill instead.",
        )


def plan_version(plan: Plan) -> int:
    """The plan's version in the execution input: its modification time in epoch seconds."""
    return max(0, int(plan.modified_at.timestamp()))


async def start_run(
    conn: AwsConnection,
    location: BackendLocation,
    plan: Plan,
    *,
    recovery: bool = False,
    confirm: str = "",
    override_target: bool = False,
    poll_interval_seconds: int | None = None,
    report: PreflightReport | None = None,
    initiated_by: str = "",
    now: datetime | None = None,
    point_in_time: datetime | None = None,
    wave_points: Mapping[int, datetime] | None = None,
    accounts: Sequence[KnownAccount] | None = None,
) -> StartedRun:
    """Preflight (unless ``report`` is given), then StartExecution of the plan as a drill (default)
    or, with ``recovery=True`` and ``confirm == plan.name``, as a real recovery.

    Selectors are resolved at run time (the preflight's fresh DescribeSourceServers); the input is
    validated against the contract's JSON schema before StartExecution. Raises ``PreflightBlocked``
    when a check BLOCKs and ``BadInput`` for a missing or wrong confirmation. ``point_in_time`` /
    ``wave_points`` (when ``report`` is None): recover to that time (the preflight resolves each
    server's recovery snapshot; a given report carries its own resolution).
    """
    check_confirmation(plan, recovery=recovery, confirm=confirm)
    if report is None:
        report = await preflight(conn, location, plan, override_target=override_target, drill=not recovery,
                                 point_in_time=point_in_time, wave_points=wave_points, accounts=accounts)
    elif report.drill == recovery or report.plan_id != plan.id:
        raise BadInput("The preflight report is of another plan or execution type.", "Run the preflight again.")
    if report.blocked:
        raise PreflightBlocked(report)
    if not initiated_by:
        initiated_by = (await conn.identity()).arn
    execution_id = execution_id_for(plan.name, now)
    doc = build_execution_input(
        plan_id=plan.id,
        plan_name=plan.name.strip() or "plan",
        plan_version=plan_version(plan),
        waves=report.wave_inputs(),
        history_table=location.history_table,
        initiated_by=initiated_by,
        drill=not recovery,
        failure_policy=c.FailurePolicy(plan.failure_policy.value),
        poll_interval_seconds=int(poll_interval_seconds or plan.poll_interval_seconds),
        execution_id=execution_id,
        point_in_time=iso_utc(report.point_in_time) or "",
    )
    validate_execution_input(doc)
    arn = await BackendService(conn).start_execution(location, doc)
    await record_recovery_point(conn, location, execution_id, report)  # the run's RPO at start, on its record
    return StartedRun(
        execution_id=execution_id,
        execution_arn=arn,
        execution_type=c.ExecutionType.RECOVERY if recovery else c.ExecutionType.DRILL,
        plan_id=plan.id,
        plan_name=plan.name,
        execution_input=doc,
        preflight=report,
    )


# -- controls --------------------------------------------------------------------------------------
async def _record(conn: AwsConnection, location: BackendLocation, execution_id: str) -> tuple[ExecutionRecord, dict]:
    items = await Reader(conn).execution_items(location.history_table, execution_id)
    record = ExecutionRecord.from_items(items)
    if record is None:
        raise ConsoleError(ProblemKind.NOT_FOUND, f"No execution {execution_id} in {location.history_table}.",
                           "Check the execution ID ('drs-console history list').")
    head = next(i for i in items if i.get(c.SK) == c.EXECUTION_SK)
    return record, head


async def resume_run(conn: AwsConnection, location: BackendLocation, execution_id: str, *,
                     resumed_by: str = "") -> ExecutionRecord:
    """Resume a PAUSED execution (BadInput when it is not paused)."""
    service = BackendService(conn)
    await service.resume(location.history_table, execution_id, resumed_by=resumed_by)
    record, _ = await _record(conn, location, execution_id)
    return record


@dataclass(frozen=True)
class CancelResult:
    execution_id: str
    status_before: ExecutionStatus | None
    record: ExecutionRecord
    how: str  # "already-ended" | "cancelled" | "reconciled" | "stopped" | "requested"

    @property
    def ended(self) -> bool:
        return self.record.is_terminal


async def cancel_run(
    conn: AwsConnection,
    location: BackendLocation,
    execution_id: str,
    *,
    cancelled_by: str = "",
    wait: bool = True,
    grace: float | None = None,
    poll: float = 1.0,
) -> CancelResult:
    """Cancel an execution, polling or paused, until its record ends CANCELLED and the state
    machine has stopped.

    Sets CANCELLING (a paused one is failed through its task token); the state machine ends the
    wave and the execution CANCELLED at its next heartbeat. If its Step Functions execution has
    ended without recording that, the record is reconciled; if it is still running after
    ``grace`` seconds (default: two poll intervals + 30 s), it is stopped (StopExecution) and
    the record written CANCELLED.
    """
    service = BackendService(conn)
    record, head = await _record(conn, location, execution_id)
    if record.is_terminal:
        return CancelResult(execution_id, record.status, record, "already-ended")
    before = record.status
    await service.cancel(location.history_table, execution_id, cancelled_by=cancelled_by)
    if not wait:
        record, _ = await _record(conn, location, execution_id)
        return CancelResult(execution_id, before, record, "requested")
    if grace is None:
        grace = 2 * float(head.get("pollIntervalSeconds") or 30) + 30.0
    deadline = time.monotonic() + grace
    while True:
        record, _ = await _record(conn, location, execution_id)
        arn = record.execution_arn
        running = True
        if arn:
            running = (await service.describe_execution(arn)).running
        if record.is_terminal and not running:
            return CancelResult(execution_id, before, record, "cancelled")
        if not running:
            # it may have recorded its end between the two reads: read again before reconciling
            record, _ = await _record(conn, location, execution_id)
            if record.is_terminal:
                return CancelResult(execution_id, before, record, "cancelled")
            final = await service.reconcile(location, execution_id)
            return CancelResult(execution_id, before, final or record, "reconciled")
        if time.monotonic() > deadline:
            final = await service.stop_execution(location, execution_id, cause=f"Cancelled by {cancelled_by or 'the operator'}; "
                                                 "the state machine did not stop in time.")
            return CancelResult(execution_id, before, final or record, "stopped")
        await asyncio.sleep(poll)


# -- cleanup -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CleanupJob:
    execution_id: str
    job_ids: tuple[str, ...]
    recovery_instance_ids: tuple[str, ...]
    source_server_ids: tuple[str, ...] = ()
    # contract 1.2: each TERMINATE job's account and its connection ("" / absent: the connected one)
    job_accounts: Mapping[str, str] = field(default_factory=dict)
    connections: Mapping[str, AwsConnection] = field(default_factory=dict, compare=False, repr=False)

    @property
    def nothing_to_do(self) -> bool:
        return not self.job_ids

    def accounts(self) -> list[str]:
        """The accounts whose recovery instances this cleanup terminates (the connected one: "")."""
        return list(dict.fromkeys(self.job_accounts.get(j, "") for j in self.job_ids))


@dataclass(frozen=True)
class CleanupProgress:
    job_ids: tuple[str, ...]
    statuses: tuple[str, ...]  # DRS job status per job
    total: int
    terminated: int
    failed: int
    done: bool
    instance_states: dict[str, str] = field(default_factory=dict)  # recovery instance -> EC2 state ("GONE")

    def one_line(self) -> str:
        jobs = ", ".join(f"{j} {s}" for j, s in zip(self.job_ids, self.statuses, strict=False))
        return f"cleanup {jobs}: {self.terminated}/{self.total} terminated" + (
            f", {self.failed} failed" if self.failed else "")


async def drill_instances(conn: AwsConnection, location: BackendLocation, execution_id: str, *,
                          accounts: Sequence[KnownAccount] | None = None,
                          connector: AccountConnector | None = None,
                          connections: dict[str, AwsConnection] | None = None) -> tuple[
        ExecutionRecord, list[dict[str, Any]]]:
    """The execution's record and the recovery instances its waves' jobs launched, still up; each
    read in the account that ran its job (contract 1.2, through ``connector`` as ``accounts`` say;
    ``connections`` gets each such account's connection), each item's ``_account`` naming it."""
    reader = Reader(conn)
    record, plan = await reader.execution(location.history_table, execution_id)
    if record is None:
        raise ConsoleError(ProblemKind.NOT_FOUND, f"No execution {execution_id} in {location.history_table}.",
                           "Check the execution ID ('drs-console history list').")
    jobs_by_account: dict[str, set[str]] = {}
    for w in record.waves:
        for j in w.all_jobs(""):
            jobs_by_account.setdefault(j.account_id, set()).add(j.job_id)
    waves_in = plan_waves(plan)
    account_of = {sid: a for w in waves_in for sid, a in w.get("accounts", {}).items()}
    hub = (await conn.identity()).account_id if len(jobs_by_account) > 1 or any(jobs_by_account.keys() - {""}) else ""
    known = {a.account_id: a for a in accounts or ()}
    alive: list[dict[str, Any]] = []
    for account, jobs in jobs_by_account.items():
        here = conn
        if account and account != hub:
            if account not in known:
                raise BadInput(f"Execution {execution_id} recovered servers in account {account}, which is not a "
                               "known account: its recovery instances cannot be terminated from here.",
                               f"Add it ('drs-console accounts add {account} ...'), then clean up again.")
            if connector is None:
                connector = AccountConnector(conn)
            here = await connector.connection(known[account])
            if connections is not None:
                connections[account] = here
        sids = [s for w in waves_in for s in w["sourceServerIds"]
                if (account_of.get(s) or hub) == (account or hub) or not account]
        items = await Reader(here).recovery_instances(sids) if jobs else []
        alive.extend({**i, "_account": account if account != hub else ""} for i in items if i.get("jobID") in jobs
                     and str(i.get("ec2InstanceState") or "").upper() not in TERMINATED_STATES)
    return record, alive


async def start_cleanup(conn: AwsConnection, location: BackendLocation, execution_id: str, *,
                        accounts: Sequence[KnownAccount] | None = None,
                        connector: AccountConnector | None = None) -> CleanupJob:
    """Terminate the recovery instances a finished drill launched (TerminateRecoveryInstances,
    200 per call), each in the account that launched it (with that account's connection).
    Refused for a RECOVERY and for an execution that is still active."""
    connections: dict[str, AwsConnection] = {}
    record, alive = await drill_instances(conn, location, execution_id, accounts=accounts, connector=connector,
                                          connections=connections)
    if not record.is_drill:
        raise BadInput(
            f"Execution {execution_id} is a {record.execution_type or 'non-drill'} execution: its recovery "
            "instances are the recovered production, and cleanup is only for drills.",
            "Terminate recovery instances of a real recovery in the DRS console, deliberately.",
        )
    if not record.is_terminal:
        raise BadInput(
            f"Execution {execution_id} is still {record.raw_status or 'active'}.",
            "Wait for it to end, or cancel it first ('drs-console cancel').",
        )
    ids = [str(i["recoveryInstanceID"]) for i in alive]
    sources = tuple(sorted({str(i.get("sourceServerID")) for i in alive}))
    jobs: list[str] = []
    job_accounts: dict[str, str] = {}
    for account in dict.fromkeys(str(i.get("_account") or "") for i in alive):
        reader = Reader(connections.get(account, conn) if account else conn)
        mine = [str(i["recoveryInstanceID"]) for i in alive if str(i.get("_account") or "") == account]
        for batch in chunks(mine, TERMINATE_PER_CALL):
            resp = await reader.call("drs", "terminate_recovery_instances", recoveryInstanceIDs=batch)
            jobs.append(str(resp["job"]["jobID"]))
            job_accounts[jobs[-1]] = account
    return CleanupJob(execution_id, tuple(jobs), tuple(ids), sources, job_accounts, connections)


async def terminate_leftovers(conn: AwsConnection, leftovers: Iterable[LeftoverInstance]) -> CleanupJob:
    """Terminate drill instances left from earlier drills (a preflight report's ``leftovers``),
    200 per TerminateRecoveryInstances call. Only drill instances are ever terminated."""
    chosen = [i for i in leftovers if i.is_drill]
    ids = list(dict.fromkeys(i.recovery_instance_id for i in chosen))
    reader = Reader(conn)
    jobs = []
    for batch in chunks(ids, TERMINATE_PER_CALL):
        resp = await reader.call("drs", "terminate_recovery_instances", recoveryInstanceIDs=batch)
        jobs.append(str(resp["job"]["jobID"]))
    return CleanupJob("", tuple(jobs), tuple(ids), tuple(sorted({i.source_server_id for i in chosen})))


async def cleanup_progress(conn: AwsConnection, cleanup: CleanupJob) -> CleanupProgress:
    reader = Reader(conn)
    jobs: dict[str, Any] = {}
    for account in cleanup.accounts():  # each TERMINATE job in its account
        here = Reader(cleanup.connections[account]) if account in cleanup.connections else reader
        jobs.update(await here.jobs([j for j in cleanup.job_ids if cleanup.job_accounts.get(j, "") == account]))
    statuses = tuple(str((jobs.get(j) or {}).get("status") or "UNKNOWN") for j in cleanup.job_ids)
    terminated = failed = 0
    for job in jobs.values():
        for part in job.get("participatingServers") or []:
            st = str(part.get("launchStatus") or "").upper()
            terminated += st == "TERMINATED"
            failed += st == "FAILED"
    done = bool(cleanup.job_ids) and all(s == "COMPLETED" for s in statuses)
    states: dict[str, str] = {}
    if done:
        found = {str(i.get("recoveryInstanceID")): str(i.get("ec2InstanceState") or "")
                 for i in await reader.recovery_instances(cleanup.source_server_ids)}
        for account_conn in cleanup.connections.values():
            found.update({str(i.get("recoveryInstanceID")): str(i.get("ec2InstanceState") or "")
                          for i in await Reader(account_conn).recovery_instances(cleanup.source_server_ids)})
        states = {rid: found.get(rid, "GONE") for rid in cleanup.recovery_instance_ids}
    return CleanupProgress(cleanup.job_ids, statuses, len(cleanup.recovery_instance_ids), terminated, failed,
                           done or not cleanup.job_ids, states)


async def follow_cleanup(conn: AwsConnection, cleanup: CleanupJob, *, poll: float = 5.0,
                         timeout: float = 3600.0) -> AsyncIterator[CleanupProgress]:
    """Progress of the TERMINATE jobs, each time it changes, until they completed."""
    last = None
    deadline = time.monotonic() + timeout
    while True:
        progress = await cleanup_progress(conn, cleanup)
        key = (progress.statuses, progress.terminated, progress.failed, progress.done)
        if key != last:
            yield progress
            last = key
        if progress.done:
            return
        if time.monotonic() > deadline:
            raise ConsoleError(ProblemKind.AWS_ERROR, "The cleanup jobs did not complete in time.",
                               "Follow them in the DRS console (Recovery job history).")
        await asyncio.sleep(poll)
