"""Preflight: read what the rules in ``domain/preflight.py`` need, fresh, and judge the plan.

``preflight(conn, location, plan)`` reads: the caller's identity (STS), the state machine's
contract version and the history table (the doctor's quick checks), the plan's source servers
(DescribeSourceServers by ID, or every server when a wave has a tag selector), the jobs those
servers last launched in (DescribeJobs, 1,000 IDs per call) to find active ones, the active
executions of the history table, the servers' leases in the history table (BatchGetItem, 100
keys per call), the DRS per-job quota (Service Quotas, else the documented default), recovery
instances left from earlier drills (DescribeRecoveryInstances) and every planned server's newest
recovery snapshot (DescribeRecoverySnapshots: its recovery point). A point-in-time run resolves
each server's snapshot for the time (``aws/point_in_time.py``) in the account that recovers it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain import contract as c
from ..domain import cross_account as xa
from ..domain import point_in_time as pit
from ..domain import preflight as p
from ..domain.accounts import KnownAccount
from ..domain.contract import CONTRACT_VERSION
from ..domain.errors import ConsoleError, Finding
from ..domain.history import parse_time
from ..domain.inventory import InventorySnapshot, SourceServer, server_from_drs
from ..domain.lease import ServerLease, lease_key
from ..domain.plan import Plan
from ..domain.progress import parse_plan, plan_waves
from .accounts import AccountConnector, role_trusts
from .backend import BackendLocation, deserialize_item
from .doctor import DoctorService
from .drs_batch import LIVE_JOB_STATUSES, Reader, chunks
from .point_in_time import resolve_servers, resolve_waves
from .session import AwsConnection

SERVICE_CODE = "drs"
BATCH_GET_KEYS = 100  # BatchGetItem's limit per call
_LEVELS = {"PASS": p.Level.PASS, "WARN": p.Level.WARN, "FAIL": p.Level.BLOCK}
TERMINATED_STATES = frozenset({"TERMINATED", "SHUTTING-DOWN"})


def _is_job_quota(name: str) -> bool:
    """'Max number of source servers in a single Drill/Recovery job' and its spellings."""
    n = " ".join(name.lower().split())
    return "source server" in n and "job" in n and ("single" in n or "per job" in n or "per recovery" in n)


async def drs_job_quota(conn: AwsConnection) -> tuple[int, str]:
    """(the most source servers one recovery job may launch, where that number comes from).

    Service Quotas' applied value (ListServiceQuotas), else its AWS default
    (ListAWSDefaultServiceQuotas), else DRS's documented default of 100, labelled as such.
    """
    client = conn.client("service-quotas", max_attempts=1)
    why = []
    operations = [
        ("list_service_quotas", "Service Quotas, applied value"),
        ("list_aws_default_service_quotas", "Service Quotas, AWS default"),
    ]
    if conn.params.is_sandbox:
        operations = operations[1:]  # moto does not implement ListServiceQuotas (it answers 500)
    for operation, label in operations:
        token = None
        try:
            while True:
                kw: dict[str, Any] = {"ServiceCode": SERVICE_CODE, "MaxResults": 100}
                if token:
                    kw["NextToken"] = token
                resp = await conn.call(getattr(client, operation), **kw)
                for quota in resp.get("Quotas") or []:
                    if _is_job_quota(str(quota.get("QuotaName") or "")) and quota.get("Value") is not None:
                        code = quota.get("QuotaCode") or "?"
                        return int(quota["Value"]), f"{label} {code}"
                token = resp.get("NextToken")
                if not token:
                    break
            why.append(f"{operation}: no per-job quota listed")
        except ConsoleError as exc:
            why.append(f"{operation}: {exc.kind.value}")
    return p.DOCUMENTED_JOB_QUOTA, "documented default; Service Quotas gave none (" + ", ".join(why) + ")"


def _finding(check: str, finding: Finding) -> p.Check:
    return p.Check(check, _LEVELS.get(finding.level, p.Level.BLOCK), finding.message, finding.remedy)


async def contract_checks(conn: AwsConnection, location: BackendLocation) -> list[p.Check]:
    """The doctor's quick checks: the definition declares our contract version; the table is ours."""
    doctor = DoctorService(conn)
    out = []
    if location.contract_version and location.contract_version != CONTRACT_VERSION:
        out.append(p.Check("contract", p.Level.BLOCK,
                           f"The backend stack declares contract {location.contract_version}; this console "
                           f"speaks {CONTRACT_VERSION}.", "Run 'drs-console backend deploy' to update it."))
    finding, _definition = await doctor._guard("state-machine", doctor._state_machine, location)
    out.append(_finding("contract", finding))
    finding, _ = await doctor._guard("history-table", doctor._history_table, location.history_table)
    out.append(_finding("history-table", finding))
    return out


def busy_servers(server_items: Iterable[Mapping[str, Any]], jobs: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Source server ID -> job ID, for servers whose last launch job DRS reports PENDING or STARTED."""
    busy: dict[str, str] = {}
    for job in jobs.values():
        if str(job.get("status", "")).upper() in LIVE_JOB_STATUSES:
            for part in job.get("participatingServers") or []:
                busy.setdefault(str(part.get("sourceServerID")), str(job.get("jobID")))
    wanted = {str(i.get("sourceServerID")) for i in server_items}
    return {s: j for s, j in busy.items() if s in wanted}


def last_launch_job(item: Mapping[str, Any]) -> str:
    return str((((item.get("lifeCycle") or {}).get("lastLaunch") or {}).get("initiated") or {}).get("jobID") or "")


async def read_leases(reader: Reader, table: str, server_ids: Iterable[str]) -> list[ServerLease]:
    """The lease items of ``server_ids`` (consistent reads; servers without a lease are absent)."""
    ids = list(dict.fromkeys(i for i in server_ids if i))
    out: list[ServerLease] = []
    for batch in chunks(ids, BATCH_GET_KEYS):
        keys = [{k: {"S": v} for k, v in lease_key(i).items()} for i in batch]
        request: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": True}}
        attempt = 0
        while request:
            if attempt:
                await asyncio.sleep(min(2.0, 0.1 * 2**attempt))
            attempt += 1
            resp = await reader.call("dynamodb", "batch_get_item", RequestItems=request)
            for raw in (resp.get("Responses") or {}).get(table, []):
                lease = ServerLease.from_item(deserialize_item(raw))
                if lease is not None:
                    out.append(lease)
            request = resp.get("UnprocessedKeys") or {}
    return out


async def read_servers(reader: Reader, plan: Plan) -> tuple[list[dict[str, Any]], bool]:
    """Fresh DescribeSourceServers: every server when a wave has a selector, else the plan's."""
    if any(w.selector for w in plan.waves):
        return await reader.all_source_server_items(), True
    ids = [s.source_server_id for w in plan.waves for s in w.servers]
    return await reader.source_server_items(ids), False


async def preflight(
    conn: AwsConnection,
    location: BackendLocation,
    plan: Plan,
    *,
    override_target: bool = False,
    drill: bool = True,
    exclude_execution: str = "",
    point_in_time: datetime | None = None,
    wave_points: Mapping[int, datetime] | None = None,
    max_spread: timedelta | None = None,
    accounts: Sequence[KnownAccount] | None = None,
    connector: AccountConnector | None = None,
) -> p.PreflightReport:
    """Check ``plan`` against the connected account before running it (see module docstring).

    ``point_in_time`` (and per-wave ``wave_points``, 0-based wave index -> time): resolve each
    server's recovery snapshot for that time (``aws/point_in_time.py``); the report shows them and
    its ``wave_inputs()`` pass them to StartRecovery.

    Servers other accounts recover (their ``accountId``, contract 1.2) are checked in their own
    account, reached through ``connector`` as ``accounts`` (the known accounts) say: each account
    known and reachable, its role trusting the state machine's, its quota, jobs and replication,
    and, to a point in time, its recovery snapshot resolved there (read with that account's
    connection; the BLOCK and spread WARN rules are the hub's, a wave's spread across its accounts)."""
    reader = Reader(conn)
    ident = await conn.identity()
    checks: list[p.Check] = [p.check_target(plan, ident.account_id, conn.region, drill=drill, override=override_target)]
    checks.extend(await contract_checks(conn, location))

    account_of = xa.plan_server_accounts(plan, ident.account_id)
    others = xa.other_accounts(account_of, ident.account_id)
    hub_plan = plan
    if others:
        hub_plan = plan.copy()
        for w in hub_plan.waves:
            w.servers = [r for r in w.servers if account_of.get(r.source_server_id) == ident.account_id]
    # whole seconds, UTC: what the input records and DescribeRecoverySnapshots' toDateTime says
    point_in_time = point_in_time.astimezone(UTC).replace(microsecond=0) if point_in_time else None
    wave_points = {i: t.astimezone(UTC).replace(microsecond=0) for i, t in (wave_points or {}).items()}
    timed_run = point_in_time is not None or bool(wave_points)
    items, _everything = await read_servers(reader, hub_plan)
    servers: dict[str, SourceServer] = {}
    for item in items:
        s = server_from_drs(item)
        servers[s.source_server_id] = s
    remote = None
    if others:
        # a point-in-time run: each explicit server's requested time (its wave's), resolved in its account
        requested = {ref.source_server_id: at for i, w in enumerate(plan.waves)
                     if (at := pit.wave_requested(i, point_in_time, wave_points)) for ref in w.servers}
        remote = await _other_accounts(conn, location, ident, plan, account_of, others, accounts, connector,
                                       requested if timed_run else {})
    if remote is not None:
        servers.update(remote.servers)
        checks.extend(remote.checks)
    waves = p.resolve_waves(plan, list(servers.values()))
    quota, quota_source = await drs_job_quota(conn)
    inventory = InventorySnapshot(ident.account_id, conn.region, datetime.now(UTC), tuple(servers.values()))
    checks.extend(p.check_plan(plan, inventory, quota))
    checks.extend(p.check_selectors(plan, waves, servers))
    checks.extend(p.check_servers(waves, servers, drill=drill))
    hub_ids = [s for w in waves for s in w.server_ids if s in servers and s not in (remote.servers if remote else {})]
    points = await recovery_points(reader, hub_ids)
    if remote is not None:
        points.update(remote.points)
    spread = max_spread if max_spread is not None else timedelta(minutes=pit.DEFAULT_MAX_SPREAD_MINUTES)
    resolutions: tuple[pit.WaveResolution, ...] = ()
    if timed_run:
        # every server found, each resolved in the account that recovers it: the hub's here, the
        # others' already read in their account (a wave's spread spans all its accounts)
        known = [replace(w, server_ids=tuple(s for s in w.server_ids if s in servers)) for w in waves]
        resolutions = await resolve_waves(reader, known, point_in_time, wave_points,
                                          resolved=remote.resolved if remote is not None else None)
        names = {sid: s.name for sid, s in servers.items() if s.name and s.name != sid}
        checks.extend(pit.check_point_in_time(resolutions, max_spread=spread, names=names))
    timed = {r.index for r in resolutions}
    checks.extend(p.check_recovery_points([w for w in waves if w.index not in timed], servers, points, drill=drill,
                                          now=datetime.now(UTC)))

    planned = {s for w in waves for s in w.server_ids}
    mine = [i for i in items if i.get("sourceServerID") in planned]
    jobs = await reader.jobs(last_launch_job(i) for i in mine)
    busy = busy_servers(mine, jobs)
    if remote is not None:
        busy.update(remote.busy)
    checks.extend(p.check_active_jobs(waves, busy, servers))

    active = []
    for head in await reader.active_execution_heads(location.history_table):
        ex_id = str(head.get("executionId") or "")
        if ex_id == exclude_execution:
            continue
        ids = {s for w in plan_waves(parse_plan(head.get("planJson"))) for s in w["sourceServerIds"]}
        active.append(p.ActiveExecution(ex_id, str(head.get("planId") or ""), str(head.get("planName") or ""),
                                        str(head.get("status") or ""), frozenset(ids)))
    checks.extend(p.check_active_executions(waves, active, servers))
    leases = await read_leases(reader, location.history_table, sorted(planned))
    checks.extend(p.check_leases(waves, leases, servers, datetime.now(UTC),
                                 active_ids={a.execution_id for a in active}, own_execution=exclude_execution))
    if remote is None:
        checks.extend(p.check_quota(waves, quota, quota_source))
    else:  # the hub's quota for its own group of each wave, each account's for its group
        hub_waves = [replace(w, server_ids=tuple(s for s in w.server_ids if account_of.get(s, ident.account_id)
                                                 == ident.account_id)) for w in waves]
        checks.extend(p.check_quota(hub_waves, quota, quota_source))
        checks.extend(xa.check_account_quotas(waves, account_of, ident.account_id, remote.reaches))

    leftovers = tuple(
        p.LeftoverInstance(str(i.get("recoveryInstanceID")), str(i.get("sourceServerID")), str(i.get("jobID") or ""),
                           str(i.get("ec2InstanceState") or ""), True)
        for i in await reader.recovery_instances(sorted(planned))
        if i.get("isDrill") and str(i.get("ec2InstanceState") or "").upper() not in TERMINATED_STATES
    )
    if remote is not None:
        leftovers = leftovers + tuple(remote.leftovers)
    checks.append(p.check_leftovers(leftovers, servers))
    return p.PreflightReport(
        plan_id=plan.id,
        plan_name=plan.name,
        account_id=ident.account_id,
        region=conn.region,
        drill=drill,
        checks=tuple(checks),
        waves=waves,
        job_quota=quota,
        job_quota_source=quota_source,
        leftovers=leftovers,
        checked_at=datetime.now(UTC),
        servers=servers,
        recovery_points=points,
        point_in_time=point_in_time,
        resolutions=resolutions,
        max_spread_seconds=int(spread.total_seconds()),
        server_accounts={sid: a for sid, a in account_of.items() if a != ident.account_id} if others else {},
        account_roles={r.account_id: r.role_arn for r in remote.reaches} if remote else {},
        account_labels={r.account_id: r.label for r in remote.reaches} if remote else {},
    )


@dataclass
class _Remote:
    """What preflight read in the plan's other accounts."""

    checks: list[p.Check]
    reaches: list[xa.AccountReach]
    servers: dict[str, SourceServer]
    points: dict[str, p.RecoveryPoint]
    busy: dict[str, str]
    leftovers: list[p.LeftoverInstance]
    # a point-in-time run: (server, requested time) -> its resolution, read in the server's account
    resolved: dict[tuple[str, datetime], pit.Resolution] = field(default_factory=dict)


async def _other_accounts(conn: AwsConnection, location: BackendLocation, ident: Any, plan: Plan,
                          account_of: Mapping[str, str], others: Sequence[str],
                          accounts: Sequence[KnownAccount] | None, connector: AccountConnector | None,
                          requested: Mapping[str, datetime]) -> _Remote:
    """Reach each other account of the plan and read its servers there (see ``preflight``);
    ``requested``: a point-in-time run's time per server, resolved there to its snapshot."""
    known = {a.account_id: a for a in accounts or ()}
    own = connector is None
    connector = connector or AccountConnector(conn, hub_arn=ident.arn)
    sm_role = await _state_machine_role(conn, location)
    out = _Remote([], [], {}, {}, {}, [])
    try:
        for account_id in others:
            ids = [sid for sid, a in account_of.items() if a == account_id]
            account = known.get(account_id)
            if account is None:
                out.reaches.append(xa.AccountReach(
                    account_id, account_id,
                    problem=f"Account {account_id} recovers {plural_servers(len(ids))} of the plan but is not a "
                            "known account.",
                    remedy=f"Add it: 'drs-console accounts add {account_id} --role-arn ARN' (or --profile NAME)."))
                continue
            role = xa.state_machine_role(account)
            try:
                acct_conn = await connector.connection(account)
                got = await acct_conn.identity()
            except ConsoleError as exc:
                out.reaches.append(xa.AccountReach(account_id, account.label, role, problem=exc.message,
                                                   remedy=exc.remedy))
                continue
            if got.account_id != account_id:
                out.reaches.append(xa.AccountReach(
                    account_id, account.label, role,
                    problem=f"Account {account.label}: {account.reach_text()} reaches account {got.account_id}.",
                    remedy="Fix the account ('drs-console accounts add ... --replace')."))
                continue
            trust, note = await role_trusts(acct_conn, role, sm_role, ident.account_id)
            quota, source = await drs_job_quota(acct_conn)
            out.reaches.append(xa.AccountReach(account_id, account.label, role, trust=trust, trust_note=note,
                                               job_quota=quota, job_quota_source=source))
            reader = Reader(acct_conn)
            items = await reader.source_server_items(ids)
            for item in items:
                s = replace(server_from_drs(item), drs_account_id=account_id)
                out.servers[s.source_server_id] = s
            found = [s for s in ids if s in out.servers]
            out.points.update(await recovery_points(reader, found))
            out.resolved.update(await resolve_servers(reader, [(s, requested[s]) for s in found if s in requested]))
            jobs = await reader.jobs(last_launch_job(i) for i in items)
            out.busy.update(busy_servers(items, jobs))
            out.leftovers.extend(
                p.LeftoverInstance(str(i.get("recoveryInstanceID")), str(i.get("sourceServerID")),
                                   str(i.get("jobID") or ""), str(i.get("ec2InstanceState") or ""), True)
                for i in await reader.recovery_instances(sorted(found))
                if i.get("isDrill") and str(i.get("ec2InstanceState") or "").upper() not in TERMINATED_STATES
            )
    finally:
        if own:
            connector.close()
    out.checks.extend(xa.check_accounts(out.reaches, sm_role))
    return out


def plural_servers(n: int) -> str:
    return "1 server" if n == 1 else f"{n} servers"


async def _state_machine_role(conn: AwsConnection, location: BackendLocation) -> str:
    """The backend state machine's role ARN (what a target role must trust), "" when unreadable."""
    try:
        sfn = conn.client("stepfunctions")
        resp = await conn.call(sfn.describe_state_machine, stateMachineArn=location.state_machine_arn)
        return str(resp.get("roleArn") or "")
    except ConsoleError:
        return ""


def recovery_point_from_drs(source_server_id: str, item: Mapping[str, Any] | None) -> p.RecoveryPoint:
    """A DescribeRecoverySnapshots item as a RecoveryPoint (its actual time, else the expected)."""
    if not item:
        return p.RecoveryPoint(source_server_id)
    at = parse_time(item.get("timestamp")) or parse_time(item.get("expectedTimestamp"))
    return p.RecoveryPoint(source_server_id, str(item.get("snapshotID") or ""), at)


async def recovery_points(reader: Reader, source_server_ids: Iterable[str]) -> dict[str, p.RecoveryPoint]:
    """Every server's newest recovery snapshot as its recovery point."""
    newest = await reader.newest_recovery_snapshots(source_server_ids)
    return {sid: recovery_point_from_drs(sid, item) for sid, item in newest.items()}


RECORD_WAIT_SECONDS = 10.0


async def record_recovery_point(conn: AwsConnection, location: BackendLocation, execution_id: str,
                                report: p.PreflightReport, *, now: datetime | None = None) -> bool:
    """Write the plan's worst recovery point at start (``recoveryPointAt``, ``recoveryPointServerId``,
    ``rpoSeconds``) on the execution item, once the state machine has created it (conditional:
    the item exists; bounded wait). False when there is nothing to write or the item never came."""
    worst = report.worst_recovery_point
    values: dict[str, Any] = {}
    sets = []
    if report.point_in_time is not None:  # contract 1.1: the requested time of a point-in-time run
        values[":pit"] = {"S": pit.iso(report.point_in_time)}
        sets.append("pointInTime = :pit")
    if worst is None and not sets:
        return False
    now = now or datetime.now(UTC)
    if worst is not None:
        values[":sid"] = {"S": worst.source_server_id}
        sets.append("recoveryPointServerId = :sid")
    if worst is not None and worst.at is not None:
        values[":at"] = {"S": p.RecoveryPoint(worst.source_server_id, at=worst.at).to_json()["recoveryPointAt"]}
        values[":rpo"] = {"N": str(int(worst.age_seconds(now) or 0))}
        sets += ["recoveryPointAt = :at", "rpoSeconds = :rpo"]
    client = conn.client("dynamodb")
    deadline = time.monotonic() + RECORD_WAIT_SECONDS
    while True:
        try:
            await conn.call(
                client.update_item,
                TableName=location.history_table,
                Key={c.PK: {"S": c.execution_pk(execution_id)}, c.SK: {"S": c.EXECUTION_SK}},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues=values,
            )
            return True
        except ConsoleError as exc:
            if "ConditionalCheckFailed" not in exc.message or time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.1)
