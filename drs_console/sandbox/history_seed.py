"""Seed the sandbox's history table with realistic past executions (and the DRS jobs behind some).

``seed_history(sandbox, n, table_name)`` is called once the reference backend is deployed
(``sandbox.backend.deploy_reference_backend``). It writes ``n`` executions exactly as the state
machine writes them (execution item + one item per wave, keys per ``domain.contract``), a mix of
every status, and starts real jobs in the DRS simulator for some of them so that DescribeJobs
knows them: finished ones for recent finished executions, and jobs still PENDING or STARTED for a
few active executions and a few CANCELLED ones (the case a prune must preserve).

It also makes moto's TransactWriteItems roll back per item instead of deep-copying the whole
table on every call (``speed_up_moto_transactions``), so that a prune of thousands of executions
runs in seconds in the sandbox, as it does on AWS.
"""

from __future__ import annotations

import json
import logging
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain import contract as c
from ..domain.status import ExecutionStatus

log = logging.getLogger(__name__)

PLANS = (
    ("plan-payments", "Payments tier-1", ("Databases", "Payment APIs", "Web front end")),
    ("plan-portal", "Customer portal", ("Identity", "Databases", "Portal app", "CDN origin")),
    ("plan-dwh", "Data warehouse", ("Storage nodes", "ETL workers")),
    ("plan-erp", "ERP", ("Directory", "Databases", "Application", "Reporting", "Print servers")),
    ("plan-mail", "Mail and collaboration", ("Mailbox servers", "Gateways")),
    ("plan-batch", "Nightly batch", ("Schedulers", "Batch workers", "Monitoring")),
)
OPERATORS = ("alice@example.com", "bob@example.com", "dr-runbook", "carol@example.com", "ops-automation")
TERMINAL_MIX = (
    (ExecutionStatus.COMPLETED, 55),
    (ExecutionStatus.PARTIAL, 10),
    (ExecutionStatus.FAILED, 12),
    (ExecutionStatus.CANCELLED, 13),
    (ExecutionStatus.TIMEOUT, 5),
)
ACTIVE_MIX = (ExecutionStatus.RUNNING, ExecutionStatus.PAUSED, ExecutionStatus.PENDING, ExecutionStatus.CANCELLING)
REAL_FINISHED_JOBS = 8  # recent finished executions that get real (completed) DRS jobs
JOB_RUN_SECONDS = 1200  # long enough for any simulated job to complete


@dataclass
class HistorySeed:
    """What was seeded, for tests and the sandbox UI."""

    table_name: str
    execution_ids: list[str] = field(default_factory=list)
    status_of: dict[str, str] = field(default_factory=dict)
    cancelled_with_live_jobs: list[str] = field(default_factory=list)
    live_job_ids: list[str] = field(default_factory=list)
    finished_job_ids: list[str] = field(default_factory=list)

    def ids_with(self, *statuses: str) -> list[str]:
        wanted = {str(s) for s in statuses}
        return [e for e in self.execution_ids if self.status_of[e] in wanted]


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _fake_job_id(rng: random.Random) -> str:
    return "drsjob-" + "".join(rng.choice("0123456789abcdef") for _ in range(17))


def _statuses(n: int, rng: random.Random) -> list[ExecutionStatus]:
    """Newest first: a few active ones on top, then a weighted mix of terminal statuses, with at
    least one of each terminal status and (from n >= 6) enough CANCELLED ones for live jobs."""
    n_active = 0 if n < 3 else max(1, min(6, n // 12))
    out = [ACTIVE_MIX[i % len(ACTIVE_MIX)] for i in range(n_active)]
    names = [s for s, _w in TERMINAL_MIX]
    weights = [w for _s, w in TERMINAL_MIX]
    rest = [rng.choices(names, weights)[0] for _ in range(n - n_active)]
    for i, status in enumerate(names):  # each terminal status at least once
        if i < len(rest) and status not in rest:
            rest[i] = status
    out += rest
    return out[:n]


def seed_history(sandbox: Any, n: int, table_name: str, *, seed: int | None = None) -> HistorySeed:
    """Write ``n`` past executions into ``table_name`` (a deployed history table) of ``sandbox``
    (started), with real DRS jobs for some. Deterministic for a sandbox seed."""
    speed_up_moto_transactions()
    rng = random.Random(f"drs-console-history/{sandbox.seed if seed is None else seed}/{n}")
    result = HistorySeed(table_name)
    if n <= 0:
        return result
    sim = sandbox.drs
    servers = sorted(sim.server_ids())
    now = sandbox.clock.now()
    statuses = _statuses(n, rng)

    # -- which executions get real DRS jobs ----------------------------------------------------
    cancelled = [i for i, s in enumerate(statuses) if s is ExecutionStatus.CANCELLED]
    n_live_cancelled = 0 if n < 6 else min(4, max(1, len(cancelled) // 3))
    live_cancelled = set(cancelled[:n_live_cancelled])
    active_idx = [i for i, s in enumerate(statuses) if s.is_active and s is not ExecutionStatus.PENDING]
    finished_real = [
        i for i, s in enumerate(statuses) if s.is_terminal and i not in live_cancelled
    ][:REAL_FINISHED_JOBS]
    # The sample plan's servers (Application=Payments) never get a seeded job, so the sample can
    # be run as soon as the sandbox starts.
    def app(sid: str) -> str:
        return str((sim.server(sid).get("tags") or {}).get("Application") or "")

    free = [s for s in servers if app(s) not in ("Payments", "Test Harness")]
    rng.shuffle(free)
    # Active executions run on the test-harness servers only (their live DRS jobs too), so they
    # hold no other server: a plan of any other servers passes preflight in a fresh sandbox.
    harness = [s for s in servers if app(s) == "Test Harness"] or list(free[:4])

    def take(k: int) -> list[str]:
        got = free[:k]
        del free[:k]
        return got

    executions: list[dict[str, Any]] = []
    # build the executions (newest first), times spread over ~60 days
    start = now - timedelta(minutes=rng.randint(3, 20))
    for i, status in enumerate(statuses):
        plan_id, plan_name, wave_names = PLANS[rng.randrange(len(PLANS))]
        n_waves = rng.randint(2, len(wave_names))
        exec_id = start.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.UUID(int=rng.getrandbits(128)).hex[:8]
        executions.append(
            {
                "index": i,
                "id": exec_id,
                "status": status,
                "plan": (plan_id, plan_name, wave_names[:n_waves]),
                "started": start,
                "type": c.ExecutionType.DRILL if rng.random() < 0.8 else c.ExecutionType.RECOVERY,
                "by": rng.choice(OPERATORS),
                "jobs": {},  # wave index -> real job ID
            }
        )
        gap = timedelta(minutes=rng.randint(20, 60)) if i < 10 else timedelta(minutes=rng.randint(60, 60 * 24 * 60 // max(n, 1) + 60))
        start -= gap

    # -- real DRS jobs: finished ones first, run to completion -----------------------------------
    def start_job(servers_for_job: list[str], drill: bool) -> str:
        _status, body = sim.handle(
            "StartRecovery",
            {"sourceServers": [{"sourceServerID": s} for s in servers_for_job], "isDrill": drill},
            throttle=False,
        )
        return body["job"]["jobID"]

    for i in finished_real:
        ex = executions[i]
        if len(free) < 4:
            break
        job = start_job(take(rng.randint(1, 2)), ex["type"] == c.ExecutionType.DRILL)
        ex["jobs"][0] = job
        result.finished_job_ids.append(job)
    if result.finished_job_ids:
        sandbox.clock.advance(JOB_RUN_SECONDS)
        now = sandbox.clock.now()
    # -- live jobs: active executions and some CANCELLED ones (half STARTED, half PENDING) --------
    live_targets = [i for i in active_idx[:2]] + sorted(live_cancelled)
    for k, i in enumerate(live_targets):
        if len(free) < 1:
            break
        ex = executions[i]
        if i in live_cancelled:
            job_servers = take(1)
        else:
            job_servers = [harness[k % len(harness)]]
        job = start_job(job_servers, ex["type"] == c.ExecutionType.DRILL)
        last_wave = max(0, len(ex["plan"][2]) - 1) if ex["status"] is ExecutionStatus.CANCELLED else 0
        ex["jobs"][last_wave] = job
        result.live_job_ids.append(job)
        if i in live_cancelled:
            result.cancelled_with_live_jobs.append(ex["id"])
        if k == len(live_targets) // 2 - 1:
            sandbox.clock.advance(20)  # the first ones move to STARTED, the rest stay PENDING
    items: list[dict[str, Any]] = []
    for ex in executions:
        items.extend(_records(ex, rng, harness if ex["status"].is_active else servers, now))
        result.execution_ids.append(ex["id"])
        result.status_of[ex["id"]] = ex["status"].value
    _batch_write(sandbox, table_name, items)
    log.info("seeded %d executions (%d items) into %s", n, len(items), table_name)
    return result


_WAVE_OUTCOME = {
    ExecutionStatus.COMPLETED: ExecutionStatus.COMPLETED,
    ExecutionStatus.PARTIAL: ExecutionStatus.PARTIAL,
    ExecutionStatus.FAILED: ExecutionStatus.FAILED,
    ExecutionStatus.TIMEOUT: ExecutionStatus.TIMEOUT,
    ExecutionStatus.CANCELLED: ExecutionStatus.CANCELLED,
}


def _records(ex: dict[str, Any], rng: random.Random, servers: list[str], now: datetime) -> list[dict[str, Any]]:
    plan_id, plan_name, wave_names = ex["plan"]
    status: ExecutionStatus = ex["status"]
    started: datetime = ex["started"]
    n_waves = len(wave_names)
    # how far it got: terminal executions end at their last wave; active ones are mid-way
    if status.is_terminal:
        reached = n_waves if status in (ExecutionStatus.COMPLETED, ExecutionStatus.PARTIAL) else rng.randint(1, n_waves)
    else:
        reached = rng.randint(1, n_waves) if status is not ExecutionStatus.PENDING else 0
    t = started + timedelta(seconds=rng.randint(5, 40))
    waves: list[dict[str, Any]] = []
    counts = {s.value: 0 for s in _WAVE_OUTCOME}
    launched_total = failed_total = 0
    for w, name in enumerate(wave_names):
        count = rng.randint(1, 6)
        ids = sorted(rng.sample(servers, min(count, len(servers)))) if servers else [f"s-{w:017x}"]
        item: dict[str, Any] = {
            c.PK: c.execution_pk(ex["id"]),
            c.SK: c.wave_sk(w),
            "entityType": "WAVE",
            "executionId": ex["id"],
            "waveIndex": w,
            "waveName": name,
            "serverCount": len(ids),
            "sourceServerIds": set(ids),
            "pauseBefore": False,
            "timeoutSeconds": 3600,
            "serversLaunched": 0,
            "serversFailed": 0,
        }
        if w >= reached:
            item.update(status=(ExecutionStatus.CANCELLED if status.is_terminal else ExecutionStatus.PENDING).value,
                        updatedAt=_iso(t))
            waves.append(item)
            continue
        last = w == reached - 1
        wave_status = ExecutionStatus.COMPLETED
        if last and status.is_terminal:
            wave_status = _WAVE_OUTCOME[status]
        elif last and status.is_active:
            wave_status = ExecutionStatus.PAUSED if status is ExecutionStatus.PAUSED else ExecutionStatus.IN_PROGRESS
        wave_start = t
        t = t + timedelta(seconds=rng.randint(240, 1500))
        launched = len(ids)
        failed = 0
        if wave_status is ExecutionStatus.PARTIAL:
            failed = max(1, len(ids) // 3)
            launched = len(ids) - failed
        elif wave_status in (ExecutionStatus.FAILED, ExecutionStatus.TIMEOUT):
            failed, launched = len(ids), 0
        elif wave_status is ExecutionStatus.CANCELLED or wave_status.is_active:
            launched = 0
        job = ex["jobs"].get(w) or _fake_job_id(rng)
        item.update(
            status=wave_status.value,
            jobId=job,
            startedAt=_iso(wave_start),
            updatedAt=_iso(t if wave_status.is_terminal else min(t, now)),
        )
        if wave_status.is_terminal:
            item.update(endedAt=_iso(t), serversLaunched=launched, serversFailed=failed, jobStatus="COMPLETED")
            counts[wave_status.value] += 1
            launched_total += launched
            failed_total += failed
        else:
            item["jobStatus"] = "STARTED"
        if wave_status is ExecutionStatus.FAILED:
            item.update(error="DrsConsole.WaveFailed", cause="Every server of the wave failed to launch.")
        waves.append(item)
    # a CANCELLED execution with a live job: that job belongs to its last wave, as if cancelled mid-launch
    for w, job in ex["jobs"].items():
        if w < len(waves) and waves[w].get("jobId") != job:
            waves[w]["jobId"] = job
    head: dict[str, Any] = {
        c.PK: c.execution_pk(ex["id"]),
        c.SK: c.EXECUTION_SK,
        c.LIST_PK: c.LIST_PK_VALUE,
        c.LIST_SK: f"{_iso(started)}#{ex['id']}",
        "entityType": "EXECUTION",
        "contractVersion": c.CONTRACT_VERSION,
        "executionId": ex["id"],
        "status": status.value,
        "planId": plan_id,
        "planName": plan_name,
        "planVersion": rng.randint(1, 9),
        "executionType": ex["type"].value,
        "isDrill": ex["type"] == c.ExecutionType.DRILL,
        "failurePolicy": c.FailurePolicy.STOP_ON_FAILURE.value,
        "initiatedBy": ex["by"],
        "pollIntervalSeconds": 30,
        # the plan as the state machine records it (States.JsonToString($.plan))
        "planJson": json.dumps(
            {
                "id": plan_id,
                "name": plan_name,
                "waves": [
                    {
                        "name": w["waveName"],
                        "sourceServerIds": sorted(w["sourceServerIds"]),
                        "pauseBefore": False,
                        "timeoutSeconds": 3600,
                    }
                    for w in waves
                ],
            },
            separators=(",", ":"),
        ),
        "stateMachineExecutionArn": f"arn:aws:states:us-east-1:123456789012:execution:drs-console-waves:{ex['id']}",
        "startedAt": _iso(started),
        "updatedAt": _iso(min(t, now) if status.is_active else t),
        "waveCount": n_waves,
        "currentWave": max(0, reached - 1) if reached else -1,
        "serversLaunched": launched_total,
        "serversFailed": failed_total,
        "waveCounts": counts,
    }
    if status.is_terminal:
        head["endedAt"] = _iso(t)
        if status is not ExecutionStatus.COMPLETED:
            head["error"] = {
                ExecutionStatus.FAILED: c.ERROR_WAVE_FAILED,
                ExecutionStatus.TIMEOUT: c.ERROR_WAVE_TIMEOUT,
                ExecutionStatus.CANCELLED: c.ERROR_CANCELLED,
                ExecutionStatus.PARTIAL: "",
            }[status]
            head["cause"] = {
                ExecutionStatus.FAILED: "A wave failed and the failure policy is STOP_ON_FAILURE.",
                ExecutionStatus.TIMEOUT: "A wave did not finish within its timeout.",
                ExecutionStatus.CANCELLED: f"Cancelled by {ex['by']}",
                ExecutionStatus.PARTIAL: "Some servers did not launch.",
            }[status]
    return [head, *waves]


def _batch_write(sandbox: Any, table_name: str, items: list[dict[str, Any]]) -> None:
    import time

    from boto3.dynamodb.types import TypeSerializer

    ser = TypeSerializer()
    ddb = sandbox.client("dynamodb")
    for start in range(0, len(items), 25):
        request = {
            table_name: [
                {"PutRequest": {"Item": {k: ser.serialize(v) for k, v in it.items()}}}
                for it in items[start : start + 25]
            ]
        }
        for attempt in range(10):
            resp = ddb.batch_write_item(RequestItems=request)
            request = resp.get("UnprocessedItems") or {}
            if not request:
                break
            time.sleep(0.05 * (attempt + 1))


# ================================================================================================
# moto: per-item rollback for TransactWriteItems
# ================================================================================================
_patched = False


def speed_up_moto_transactions() -> None:
    """Make moto's TransactWriteItems snapshot only the items it touches (moto deep-copies every
    table involved on each call: over a minute per call on a 40,000-item table). Same semantics:
    all or nothing, CancellationReasons per item, ALL_OLD items on condition failures. Idempotent."""
    global _patched
    if _patched:
        return
    import copy

    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models import DynamoDBBackend

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        if len(transact_items) > 100:
            raise TooManyTransactionsException()
        snapshots: list[tuple[Any, Any, Any, Any]] = []  # (table, hash, range, original item or None)
        target_items: set[tuple[str, str]] = set()

        def rollback() -> None:
            for table, hv, rv, original in reversed(snapshots):
                if original is None:
                    table.delete_item(hv, rv)
                elif rv is not None:
                    table.items[hv][rv] = original
                else:
                    table.items[hv] = original

        errors: list[tuple[Any, Any, Any]] = []
        for item in transact_items:
            original_item = None
            if len(list(item.keys())) > 1:
                rollback()
                raise TransactWriteSingleOpException
            try:
                op_type, op = next(iter(item.items()))
                if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                    raise ValueError("Unsupported transaction operation")
                table_name = op["TableName"]
                table = self.get_table(table_name)
                if op_type == "Put":
                    attrs = op["Item"]
                    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = attrs[table.range_key_attr]
                else:
                    key = op["Key"]
                unique = (str(table_name), str(dict(sorted(key.items()))))
                if unique in target_items:
                    raise MultipleTransactionsException()
                target_items.add(unique)
                current = self.get_item(table_name, key)
                condition = op.get("ConditionExpression")
                if condition is not None:
                    cond = get_filter_expression(
                        condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
                    )
                    if not cond.expr(current):
                        if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                            original_item = current.to_json()["Attributes"]
                        raise ConditionalCheckFailed(item=original_item)
                if op_type != "ConditionCheck":
                    hv, rv = self.get_keys_value(table, key)
                    snapshots.append((table, hv, rv, copy.deepcopy(current) if current is not None else None))
                if op_type == "Put":
                    self.put_item(
                        table_name,
                        op["Item"],
                        condition_expression=condition,
                        expression_attribute_names=op.get("ExpressionAttributeNames"),
                        expression_attribute_values=op.get("ExpressionAttributeValues"),
                    )
                elif op_type == "Delete":
                    self.delete_item(
                        table_name,
                        key,
                        condition_expression=condition,
                        expression_attribute_names=op.get("ExpressionAttributeNames"),
                        expression_attribute_values=op.get("ExpressionAttributeValues"),
                    )
                elif op_type == "Update":
                    self.update_item(
                        table_name,
                        key,
                        update_expression=op["UpdateExpression"],
                        condition_expression=condition,
                        expression_attribute_names=op.get("ExpressionAttributeNames"),
                        expression_attribute_values=op.get("ExpressionAttributeValues"),
                    )
                errors.append((None, None, None))
            except (MultipleTransactionsException, MockValidationException):
                rollback()
                raise
            except ConditionalCheckFailed as e:
                errors.append(("ConditionalCheckFailed", str(e.message), original_item))
            except Exception as e:  # noqa: BLE001 - reported per item, like moto
                errors.append((type(e).__name__, str(e), original_item))
        if any(code is not None for code, _m, _i in errors):
            rollback()
            raise TransactionCanceledException(errors)

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _patched = True
