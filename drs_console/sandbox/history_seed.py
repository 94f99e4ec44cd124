"""Seed the sandbox's history with past executions that behave like real ones.

``seed_history(sandbox, n, table_name)`` is called once the reference backend is deployed
(``sandbox.backend.deploy_reference_backend``):

* **Active executions** (RUNNING, PAUSED, CANCELLING) are real executions of the deployed state
  machine, started at seeding time: a RUNNING one launches its first wave (its DRS job really runs
  in the simulator), a PAUSED one waits before its first wave for Resume, a CANCELLING one was
  cancelled while its first wave's job ran (the state machine ends it CANCELLED at its next poll).
  So resume, cancel, the live monitor and the prune's "preserved" counts work on them as on any
  run. They use only the Test Harness and Reporting servers, so a plan of other servers passes
  preflight in a fresh sandbox. (An execution record is never PENDING: the state machine writes
  RUNNING when it starts; PENDING is only what a view shows before that.)
* **Terminal executions** (COMPLETED, PARTIAL, FAILED, TIMEOUT, CANCELLED) are written exactly as
  the state machine writes them (execution item + one item per wave reached, keys per
  ``domain.contract``), and every wave that launched has a real DRS job, created in the past at the
  wave's start with the wave's servers, run at AWS's pace: the wave's end is its job's end and its
  launched/failed counts are the job's participating servers (a PARTIAL wave lists its failed
  servers). Drill instances were cleaned up afterwards (TERMINATE jobs), as operators do. The
  newest CANCELLED ones were cancelled while their job still runs (the case a prune must
  preserve).

Nothing is stamped after now. It also makes moto's TransactWriteItems roll back per item instead
of deep-copying the whole table on every call (``speed_up_moto_transactions``), so that a prune of
thousands of executions runs in seconds in the sandbox, as it does on AWS.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain import contract as c
from ..domain.status import ExecutionStatus
from .moto_transactions import speed_up_moto_transactions

__all__ = ["HistorySeed", "seed_history", "speed_up_moto_transactions", "stop_seeded_executions"]

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
ACTIVE_MIX = (ExecutionStatus.RUNNING, ExecutionStatus.PAUSED, ExecutionStatus.CANCELLING, ExecutionStatus.PAUSED)
ACTIVE_APPLICATIONS = ("Test Harness", "Reporting")  # the only servers active executions use
POLL_SECONDS = 30  # the seeded plans' poll interval
CANCELLING_POLL_SECONDS = 300  # the CANCELLING one polls rarely, so it stays CANCELLING a while
TIMEOUT_SECONDS = 180  # a TIMEOUT wave's timeout (every DRS job takes longer)
WAVE_BOUND = timedelta(minutes=7)  # the longest a seeded wave takes (job ~3-6 min + a poll)
SEED_WAIT_SECONDS = 20.0  # how long seeding waits for an active execution to reach its state
SM_ERRORS = {
    ExecutionStatus.FAILED: (c.ERROR_WAVE_FAILED,
                             "A wave did not recover all its servers and the failure policy is STOP_ON_FAILURE."),
    ExecutionStatus.TIMEOUT: (c.ERROR_WAVE_TIMEOUT,
                              "A wave ran out of time and the failure policy is STOP_ON_FAILURE."),
    ExecutionStatus.CANCELLED: (c.ERROR_CANCELLED, "The operator cancelled the execution."),
}


@dataclass
class HistorySeed:
    """What was seeded, for tests and the sandbox UI."""

    table_name: str
    execution_ids: list[str] = field(default_factory=list)
    status_of: dict[str, str] = field(default_factory=dict)
    cancelled_with_live_jobs: list[str] = field(default_factory=list)
    live_job_ids: list[str] = field(default_factory=list)
    finished_job_ids: list[str] = field(default_factory=list)
    execution_arns: dict[str, str] = field(default_factory=dict)  # the active ones' Step Functions ARNs
    jobs_of: dict[str, dict[int, str]] = field(default_factory=dict)  # execution ID -> wave index -> job ID

    def ids_with(self, *statuses: str) -> list[str]:
        wanted = {str(s) for s in statuses}
        return [e for e in self.execution_ids if self.status_of[e] in wanted]


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _sm_time(dt: datetime) -> str:
    """$$.State.EnteredTime as the state machine writes it in wave items."""
    return dt.astimezone(UTC).isoformat()


def _statuses(n: int, rng: random.Random) -> tuple[list[ExecutionStatus], int]:
    """Newest first: a few active ones on top, then (from n >= 6) the CANCELLED ones whose job still
    runs, then a weighted mix of terminal statuses with at least one of each. Also returns how many
    CANCELLED ones have a live job."""
    n_active = 0 if n < 3 else max(1, min(4, n // 12))
    n_live = 0 if n < 6 else min(4, max(1, n // 20))
    out = [ACTIVE_MIX[i % len(ACTIVE_MIX)] for i in range(n_active)]
    out += [ExecutionStatus.CANCELLED] * n_live
    names = [s for s, _w in TERMINAL_MIX]
    weights = [w for _s, w in TERMINAL_MIX]
    rest = [rng.choices(names, weights)[0] for _ in range(max(0, n - len(out)))]
    for i, status in enumerate(names):  # each terminal status at least once
        if i < len(rest) and status not in rest:
            rest[i] = status
    out += rest
    return out[:n], min(n_live, max(0, n - n_active))


# ================================================================================================
# seeding
# ================================================================================================
_seeded_lock = threading.Lock()
_seeded_active: dict[tuple[str, str], list[tuple[str, str]]] = {}  # (endpoint, table) -> [(id, arn)]


def seed_history(sandbox: Any, n: int, table_name: str, *, seed: int | None = None,
                 state_machine_arn: str = "", real_active: bool = False) -> HistorySeed:
    """Write ``n`` past executions into ``table_name`` (a deployed history table) of ``sandbox``
    (started), terminal ones with their real DRS jobs. With ``real_active`` (what ``Sandbox(history=)``
    does: the GUI, ``sandbox serve`` and ``--sandbox``) the active ones are real executions of the
    deployed state machine, which take a few seconds to start; without it (tests that reseed a table
    many times) they are records only, as a real one reads at that moment, with their DRS jobs
    really running, but no execution behind them. Seeding again first stops the active executions
    seeded before."""
    speed_up_moto_transactions()
    _stop_seeded(sandbox, table_name)
    rng = random.Random(f"drs-console-history/{sandbox.seed if seed is None else seed}/{n}")
    result = HistorySeed(table_name)
    if n <= 0:
        return result
    sim = sandbox.drs
    servers = sorted(sim.server_ids())
    if not servers:
        log.warning("no source servers: no history seeded (every seeded wave runs real DRS jobs)")
        return result
    apps = {sid: str((sim.server(sid).get("tags") or {}).get("Application") or "") for sid in servers}
    now = sandbox.clock.now()
    statuses, n_live = _statuses(n, rng)
    n_active = sum(1 for st in statuses if st.is_active)
    active_pool = [s for s in servers if apps[s] in ACTIVE_APPLICATIONS]
    spare = [s for s in reversed(servers) if apps[s] != "Payments" and s not in active_pool]
    while len(active_pool) < 2 * n_active and spare:  # two servers each, never shared
        active_pool.append(spare.pop(0))
    while n_active and 2 * n_active > len(active_pool):  # a tiny sandbox: fewer active ones
        statuses[n_active - 1] = ExecutionStatus.COMPLETED
        n_active -= 1
    past_pool = [s for s in servers if s not in active_pool] or servers

    executions: list[dict[str, Any]] = []
    for i, status in enumerate(statuses):
        plan_id, plan_name, wave_names = PLANS[rng.randrange(len(PLANS))]
        n_waves = rng.randint(2, len(wave_names))
        executions.append({
            "index": i, "status": status, "plan": (plan_id, plan_name, wave_names[:n_waves]),
            "type": c.ExecutionType.DRILL if rng.random() < 0.8 else c.ExecutionType.RECOVERY,
            "by": rng.choice(OPERATORS), "live": n_active <= i < n_active + n_live,
        })

    # -- terminal executions: times going back from now, then built oldest first ----------------
    terminal = [ex for ex in executions if ex["status"].is_terminal]
    later = now
    live_pool = list(past_pool)  # the live jobs run at the same time: never on the same server
    for ex in terminal:
        plan = _plan_outcome(ex, rng, live_pool if ex["live"] else past_pool)
        ex.update(plan)
        if ex["live"]:
            used = {sid for w in ex["waves"] for sid in w["servers"]}
            live_pool = [sid for sid in live_pool if sid not in used] or live_pool
        bound = WAVE_BOUND * len(ex["waves"]) + sum((w["pause"] for w in ex["waves"]), timedelta()) + timedelta(
            minutes=1)
        if ex["live"]:  # cancelled while its first wave's job runs: that job started a minute ago
            ex["started"] = now - timedelta(seconds=rng.randint(60, 90))
            continue
        gap = timedelta(minutes=rng.randint(20, 60)) if ex["index"] < 10 else timedelta(
            minutes=rng.randint(60, 60 * 24 * 60 // max(n, 1) + 60))
        ex["started"] = min(later, now - timedelta(minutes=2)) - bound - gap
        later = ex["started"]
    # -- active executions: real ones, started now (they get going while the rest is written) ----
    active = [ex for ex in executions if ex["status"].is_active]
    if active and real_active:
        _start_active(sandbox, table_name, active, active_pool, rng, result, state_machine_arn)
    items: list[dict[str, Any]] = []
    for ex in sorted(terminal, key=lambda e: e["started"]):
        items.extend(_run_past(sim, ex, rng, now, result, state_machine_arn))
    if active and not real_active:
        items.extend(_active_records(sim, active, active_pool, rng, now, result, state_machine_arn))
    _batch_write(sandbox, table_name, items)
    if active and real_active:
        _settle_active(sandbox, table_name, active, result)
    for ex in executions:
        result.execution_ids.append(ex["id"])
        result.status_of[ex["id"]] = ex["status"].value
        if ex.get("jobs"):
            result.jobs_of[ex["id"]] = dict(ex["jobs"])
    log.info("seeded %d executions (%d items, %d active) into %s", n, len(items), len(active), table_name)
    return result


def _plan_outcome(ex: dict[str, Any], rng: random.Random, pool: list[str]) -> dict[str, Any]:
    """How a terminal execution went, wave by wave: servers, pause, outcome, failed servers."""
    status: ExecutionStatus = ex["status"]
    wave_names = ex["plan"][2]
    n_waves = len(wave_names)
    picked = rng.sample(pool, min(len(pool), sum(rng.randint(1, 4) for _ in range(n_waves)) + n_waves))
    per_wave: list[list[str]] = [[] for _ in range(n_waves)]
    for k, sid in enumerate(picked):  # disjoint waves, at least one server each
        per_wave[k % n_waves].append(sid)
    per_wave = [sorted(w) or [pool[0]] for w in per_wave]
    policy = c.FailurePolicy.CONTINUE if status is ExecutionStatus.PARTIAL else c.FailurePolicy.STOP_ON_FAILURE
    if status in (ExecutionStatus.COMPLETED, ExecutionStatus.PARTIAL):
        reached = n_waves
    elif ex["live"]:
        reached = 1  # cancelled during its first wave, a minute ago
    else:
        reached = rng.randint(1, n_waves)
    outcomes = ["COMPLETED"] * reached
    last = reached - 1
    if status is ExecutionStatus.PARTIAL:
        k = max(range(n_waves), key=lambda w: len(per_wave[w]))
        spare = next((s for s in pool if all(s not in w for w in per_wave)), None)
        if len(per_wave[k]) < 2 and spare is not None:
            per_wave[k].append(spare)
            per_wave[k].sort()
        outcomes[k] = "PARTIAL"
    elif status is ExecutionStatus.FAILED:
        outcomes[last] = "PARTIAL" if len(per_wave[last]) > 1 and rng.random() < 0.4 else "FAILED"
    elif status is ExecutionStatus.TIMEOUT:
        outcomes[last] = "TIMEOUT"
    elif status is ExecutionStatus.CANCELLED:
        outcomes[last] = "CANCELLED_RUNNING" if ex["live"] or rng.random() < 0.6 else "CANCELLED_PAUSED"
    waves = []
    for w in range(n_waves):
        outcome = outcomes[w] if w < reached else "NOT_REACHED"
        fail: list[str] = []
        if outcome == "PARTIAL":
            fail = per_wave[w][: max(1, len(per_wave[w]) // 3)]
        elif outcome == "FAILED":
            fail = list(per_wave[w])
        pause = outcome == "CANCELLED_PAUSED" or (w > 0 and rng.random() < 0.15)
        waves.append({
            "name": wave_names[w], "servers": per_wave[w], "outcome": outcome, "fail": fail,
            "pause_before": pause, "pause": timedelta(minutes=rng.randint(2, 20)) if pause else timedelta(),
            "timeout": TIMEOUT_SECONDS if outcome == "TIMEOUT" else 3600,
        })
    return {"waves": waves, "policy": policy, "reached": reached, "jobs": {}}


def _run_past(sim: Any, ex: dict[str, Any], rng: random.Random, now: datetime, result: HistorySeed,
              state_machine_arn: str) -> list[dict[str, Any]]:
    """Build one terminal execution: its DRS jobs in the simulator, then its records."""
    from ..aws.runs import execution_id_for

    plan_id, plan_name, _names = ex["plan"]
    status: ExecutionStatus = ex["status"]
    drill = ex["type"] == c.ExecutionType.DRILL
    started: datetime = ex["started"]
    ex["id"] = execution_id_for(plan_name, started, suffix=f"{rng.getrandbits(24):06x}")
    t = started + timedelta(seconds=rng.uniform(2, 6))
    wave_items: list[dict[str, Any]] = []
    counts = {k: 0 for k in ("COMPLETED", "PARTIAL", "FAILED", "TIMEOUT", "CANCELLED")}
    launched_total = failed_total = 0
    launched_instances: list[str] = []
    current = 0
    for w, wave in enumerate(ex["waves"]):
        if wave["outcome"] == "NOT_REACHED":
            break  # the state machine stopped: later waves have no item
        current = w
        item: dict[str, Any] = {
            c.PK: c.execution_pk(ex["id"]), c.SK: c.wave_sk(w), "entityType": "WAVE", "executionId": ex["id"],
            "waveIndex": w, "waveName": wave["name"], "serverCount": len(wave["servers"]),
            "sourceServerIds": set(wave["servers"]), "pauseBefore": wave["pause_before"],
            "timeoutSeconds": wave["timeout"], "serversLaunched": 0, "serversFailed": 0,
        }
        t += wave["pause"]
        if wave["outcome"] == "CANCELLED_PAUSED":  # cancelled while waiting for Resume
            item.update(status="CANCELLED", updatedAt=_sm_time(t), endedAt=_sm_time(t))
            wave_items.append(item)
            break
        wave_start = t
        job_at = wave_start + timedelta(seconds=rng.uniform(0.2, 0.8))
        job_id = sim.start_recovery_at(
            wave["servers"], at=job_at, drill=drill, fail=wave["fail"],
            tags={"drs-console:execution-id": ex["id"], "drs-console:wave": str(w + 1),
                  "drs-console:plan-id": plan_id})
        ex["jobs"][w] = job_id
        job = sim.job(job_id)
        item.update(jobId=job_id, startedAt=_sm_time(wave_start), jobStatus="STARTED")
        if wave["outcome"] == "CANCELLED_RUNNING":  # cancelled after a poll while the job ran
            end = job_at + timedelta(seconds=rng.uniform(20, 90))
            end = min(end, now - timedelta(seconds=5))
            item.update(status="CANCELLED", updatedAt=_sm_time(end), endedAt=_sm_time(end))
            wave_items.append(item)
            t = end
            if job["status"] == "COMPLETED":
                result.finished_job_ids.append(job_id)
            else:
                result.live_job_ids.append(job_id)
                result.cancelled_with_live_jobs.append(ex["id"])
            break
        result.finished_job_ids.append(job_id)
        parts = job["participatingServers"]
        if wave["outcome"] == "TIMEOUT":  # the job was not done when the wave ran out of time
            polls = math.ceil(wave["timeout"] / POLL_SECONDS)
            end = wave_start + timedelta(seconds=polls * POLL_SECONDS + rng.uniform(0.5, 1.5))
            launched, failed = 0, len(parts)
            updated = end
        else:
            end = datetime.fromisoformat(job["endDateTime"])
            launched = sum(1 for p in parts if p["launchStatus"] == "LAUNCHED")
            failed = len(parts) - launched
            updated = end + timedelta(seconds=rng.uniform(0.2, POLL_SECONDS))
        launched_instances += [p["recoveryInstanceID"] for p in parts if p.get("recoveryInstanceID")]
        wave_status = wave["outcome"]
        if wave_status in ("COMPLETED", "PARTIAL", "FAILED") and launched == 0:
            wave_status = "FAILED"
        elif wave_status != "TIMEOUT":
            wave_status = "COMPLETED" if failed == 0 else "PARTIAL"
        item.update(status=wave_status, updatedAt=_sm_time(updated), endedAt=_sm_time(end),
                    serversLaunched=launched, serversFailed=failed)
        counts[wave_status] += 1
        launched_total += launched
        failed_total += failed
        wave_items.append(item)
        t = updated + timedelta(seconds=rng.uniform(0.5, 3))
    ended = min(t + timedelta(seconds=rng.uniform(0.3, 2)), now - timedelta(seconds=1))
    if drill and not ex["live"]:
        _clean_up(sim, launched_instances, ended, now, rng)
    head = _head(ex, status, started, ended, counts, launched_total, failed_total, current, state_machine_arn)
    return [head, *wave_items]


def _clean_up(sim: Any, instance_ids: list[str], ended: datetime, now: datetime, rng: random.Random) -> None:
    """Terminate a drill's recovery instances afterwards, as operators do (a TERMINATE job)."""
    alive = []
    for rid in instance_ids:
        items = sim.describe_recovery_instances(filters={"recoveryInstanceIDs": [rid]})["items"]
        if items and items[0]["ec2InstanceState"] == "RUNNING":
            alive.append(rid)
    if not alive:
        return
    at = min(ended + timedelta(minutes=rng.randint(10, 90)), now - timedelta(seconds=30))
    if at > ended:
        sim.terminate_recovery_instances_at(alive, at=at)


def _head(ex: dict[str, Any], status: ExecutionStatus, started: datetime, ended: datetime | None,
          counts: dict[str, int], launched: int, failed: int, current: int, state_machine_arn: str,
          ) -> dict[str, Any]:
    plan_id, plan_name, _names = ex["plan"]
    arn_base = (state_machine_arn.replace(":stateMachine:", ":execution:")
                or "arn:aws:states:us-east-1:123456789012:execution:drs-console-waves")
    head: dict[str, Any] = {
        c.PK: c.execution_pk(ex["id"]), c.SK: c.EXECUTION_SK, c.LIST_PK: c.LIST_PK_VALUE,
        c.LIST_SK: f"{_iso(started)}#{ex['id']}", "entityType": "EXECUTION", "contractVersion": c.CONTRACT_VERSION,
        "executionId": ex["id"], "status": status.value, "planId": plan_id, "planName": plan_name,
        "planVersion": 1 + ex["index"] % 9, "executionType": ex["type"].value,
        "isDrill": ex["type"] == c.ExecutionType.DRILL, "failurePolicy": ex["policy"].value,
        "initiatedBy": ex["by"], "pollIntervalSeconds": POLL_SECONDS,
        "planJson": json.dumps({"id": plan_id, "name": plan_name, "waves": [
            {"name": w["name"], "sourceServerIds": w["servers"], "pauseBefore": w["pause_before"],
             "timeoutSeconds": w["timeout"]} for w in ex["waves"]]}, separators=(",", ":")),
        "stateMachineExecutionArn": f"{arn_base}:{ex['id']}",
        "startedAt": _iso(started), "updatedAt": _sm_time(ended or started), "waveCount": len(ex["waves"]),
        "currentWave": current, "serversLaunched": launched, "serversFailed": failed, "waveCounts": counts,
    }
    if ended is not None:
        head["endedAt"] = _sm_time(ended)
    if status in SM_ERRORS:
        head["error"], head["cause"] = SM_ERRORS[status]
    elif status is ExecutionStatus.PARTIAL or status is ExecutionStatus.COMPLETED:
        head["error"] = head["cause"] = ""
    return head


# ================================================================================================
# active executions: real ones
# ================================================================================================
def _state_machine(sandbox: Any, state_machine_arn: str) -> str:
    if state_machine_arn:
        return state_machine_arn
    outputs = getattr(sandbox, "backend_outputs", None) or {}
    if outputs.get("StateMachineArn"):
        return outputs["StateMachineArn"]
    cfn = sandbox.client("cloudformation")
    stack = cfn.describe_stacks(StackName=c.DEFAULT_STACK_NAME)["Stacks"][0]
    return next(o["OutputValue"] for o in stack.get("Outputs", []) if o["OutputKey"] == "StateMachineArn")


def _start_active(sandbox: Any, table: str, active: list[dict[str, Any]], pool: list[str],
                  rng: random.Random, result: HistorySeed, state_machine_arn: str) -> None:
    from ..aws.backend import BackendLocation, BackendService, build_execution_input, run_sync
    from ..aws.runs import execution_id_for
    from ..aws.session import AwsConnection

    arn = _state_machine(sandbox, state_machine_arn)
    location = BackendLocation(arn, table)
    free = list(pool)
    rng.shuffle(free)
    conn = AwsConnection(sandbox.connection_params())
    try:
        service = BackendService(conn, poll_seconds=0.05)
        docs = []
        for ex in active:
            plan_id, plan_name, wave_names = ex["plan"]
            waves = []
            for w, name in enumerate(wave_names[:2]):
                ids = [free.pop()] if free else [pool[(len(docs) * 2 + w) % len(pool)]]
                waves.append({"name": name, "sourceServerIds": ids,
                              "pauseBefore": ex["status"] is ExecutionStatus.PAUSED and w == 0,
                              "timeoutSeconds": 3600})
            ex["waves"] = waves
            # a real execution: a fresh name (Step Functions never reuses one, even after a reseed)
            ex["id"] = execution_id_for(plan_name, datetime.now(UTC))
            poll = CANCELLING_POLL_SECONDS if ex["status"] is ExecutionStatus.CANCELLING else POLL_SECONDS
            docs.append(build_execution_input(
                plan_id=plan_id, plan_name=plan_name, plan_version=1 + ex["index"] % 9, waves=waves,
                history_table=table, initiated_by=ex["by"], drill=ex["type"] == c.ExecutionType.DRILL,
                failure_policy=c.FailurePolicy.STOP_ON_FAILURE, poll_interval_seconds=poll,
                execution_id=ex["id"]))

        async def start_all() -> list[str]:
            import asyncio

            return list(await asyncio.gather(*(service.start_execution(location, doc) for doc in docs)))

        arns = run_sync(start_all)
        with _seeded_lock:
            _seeded_active.setdefault((sandbox.endpoint_url, table), []).extend(
                (ex["id"], a) for ex, a in zip(active, arns, strict=True))
        for ex, execution_arn in zip(active, arns, strict=True):
            result.execution_arns[ex["id"]] = execution_arn
    finally:
        conn.close()


def _settle_active(sandbox: Any, table: str, active: list[dict[str, Any]], result: HistorySeed) -> None:
    """Wait until each active execution is what it was seeded as: recorded RUNNING, PAUSED, or
    cancelled (CANCELLING) while its first wave's job runs."""
    from ..aws.backend import BackendService, run_sync
    from ..aws.session import AwsConnection

    ddb = sandbox.client("dynamodb")
    conn = AwsConnection(sandbox.connection_params())
    try:
        service = BackendService(conn, poll_seconds=0.05)
        for ex in active:
            want = ex["status"]
            if want is ExecutionStatus.PAUSED:
                _wait(ddb, table, ex["id"], lambda head, _waves: head.get("status") == "PAUSED", "PAUSED")
            elif want is ExecutionStatus.CANCELLING:
                job = _wait(ddb, table, ex["id"], lambda _head, waves: (waves.get(0) or {}).get("jobId"),
                            "its first wave's DRS job")
                ex["jobs"] = {0: job}
                result.live_job_ids.append(job)
                run_sync(lambda ex=ex: service.cancel(table, ex["id"], cancelled_by=ex["by"]))
                _wait(ddb, table, ex["id"], lambda head, _waves: head.get("status") == "CANCELLING", "CANCELLING")
            else:  # RUNNING: recorded; its first wave's job follows in a moment
                _wait(ddb, table, ex["id"], lambda head, _waves: head.get("status") == "RUNNING", "RUNNING")
    finally:
        conn.close()


def _active_records(sim: Any, active: list[dict[str, Any]], pool: list[str], rng: random.Random,
                    now: datetime, result: HistorySeed, state_machine_arn: str) -> list[dict[str, Any]]:
    """Records only (``real_active=False``): each active execution as the state machine would have
    written it a moment ago: RUNNING or CANCELLING with its first wave's DRS job running, or PAUSED
    before its first wave."""
    from ..aws.runs import execution_id_for

    free = list(pool)
    items: list[dict[str, Any]] = []
    for k, ex in enumerate(active):
        plan_id, plan_name, wave_names = ex["plan"]
        status: ExecutionStatus = ex["status"]
        started = now - timedelta(seconds=rng.randint(20, 60))
        ex["id"] = execution_id_for(plan_name, started, suffix=f"{rng.getrandbits(24):06x}")
        ex["policy"] = c.FailurePolicy.STOP_ON_FAILURE
        ex["waves"] = [{"name": name, "servers": [free.pop() if free else pool[(2 * k + w) % len(pool)]],
                        "pause_before": status is ExecutionStatus.PAUSED and w == 0, "timeout": 3600}
                       for w, name in enumerate(wave_names[:2])]
        first = ex["waves"][0]
        wave: dict[str, Any] = {
            c.PK: c.execution_pk(ex["id"]), c.SK: c.wave_sk(0), "entityType": "WAVE", "executionId": ex["id"],
            "waveIndex": 0, "waveName": first["name"], "serverCount": 1, "sourceServerIds": set(first["servers"]),
            "pauseBefore": first["pause_before"], "timeoutSeconds": 3600, "serversLaunched": 0, "serversFailed": 0,
        }
        wave_start = started + timedelta(seconds=rng.uniform(2, 5))
        if status is ExecutionStatus.PAUSED:
            wave.update(status="PAUSED", updatedAt=_sm_time(wave_start))
        else:
            job = sim.start_recovery_at(first["servers"], at=wave_start + timedelta(seconds=0.4),
                                        drill=ex["type"] == c.ExecutionType.DRILL, scaled=True,
                                        tags={"drs-console:execution-id": ex["id"], "drs-console:wave": "1",
                                              "drs-console:plan-id": plan_id})
            ex["jobs"] = {0: job}
            result.live_job_ids.append(job)
            wave.update(status="STARTED", jobId=job, startedAt=_sm_time(wave_start),
                        updatedAt=_sm_time(wave_start + timedelta(seconds=0.5)))
        counts = {key: 0 for key in ("COMPLETED", "PARTIAL", "FAILED", "TIMEOUT", "CANCELLED")}
        head = _head(ex, status, started, None, counts, 0, 0, 0, state_machine_arn)
        head["updatedAt"] = wave["updatedAt"]
        if status is ExecutionStatus.PAUSED:
            head["pausedWave"] = 0
        items += [head, wave]
    return items


def _items(ddb: Any, table: str, execution_id: str) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    from ..aws.backend import deserialize_item

    resp = ddb.query(TableName=table, KeyConditionExpression="PK = :pk", ConsistentRead=True,
                     ExpressionAttributeValues={":pk": {"S": c.execution_pk(execution_id)}})
    items = [deserialize_item(i) for i in resp.get("Items") or []]
    head = next((i for i in items if i.get(c.SK) == c.EXECUTION_SK), {})
    waves = {int(i.get("waveIndex", 0)): i for i in items if str(i.get(c.SK, "")).startswith(c.WAVE_SK_PREFIX)}
    return head, waves


def _wait(ddb: Any, table: str, execution_id: str, predicate: Any, what: str) -> Any:
    deadline = time.monotonic() + SEED_WAIT_SECONDS
    while True:
        head, waves = _items(ddb, table, execution_id)
        value = predicate(head, waves) if head else None
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"seeding: execution {execution_id} did not reach {what} "
                               f"(status {head.get('status')!r})")
        time.sleep(0.02)


def stop_seeded_executions(sandbox: Any) -> None:
    """Stop every active execution seeded into ``sandbox`` (before it stops: moto's Step Functions
    threads would otherwise go on calling whatever sandbox runs next in this process)."""
    endpoint = getattr(sandbox, "endpoint_url", "")
    with _seeded_lock:
        tables = [t for (e, t) in _seeded_active if e == endpoint]
    for table in tables:
        _stop_seeded(sandbox, table, delete=False)


def _stop_seeded(sandbox: Any, table: str, *, delete: bool = True) -> None:
    """Stop the active executions seeded into ``table`` before, and delete what they wrote."""
    key = (getattr(sandbox, "endpoint_url", ""), table)
    with _seeded_lock:
        seeded = _seeded_active.pop(key, [])
    if not seeded:
        return
    sfn = sandbox.client("stepfunctions")
    ddb = sandbox.client("dynamodb")
    for _eid, arn in seeded:
        try:
            if sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
                sfn.stop_execution(executionArn=arn, error=c.ERROR_STOPPED, cause="The sandbox was seeded again.")
        except Exception:  # noqa: BLE001 - a sandbox restarted meanwhile has no such execution
            log.debug("could not stop seeded execution %s", arn, exc_info=True)
    for eid, _arn in seeded if delete else ():
        try:
            head, waves = _items(ddb, table, eid)
            keys = [{c.PK: {"S": c.execution_pk(eid)}, c.SK: {"S": c.EXECUTION_SK}}] if head else []
            keys += [{c.PK: {"S": c.execution_pk(eid)}, c.SK: {"S": c.wave_sk(i)}} for i in waves]
            for k in keys:
                ddb.delete_item(TableName=table, Key=k)
        except Exception:  # noqa: BLE001
            log.debug("could not delete seeded execution %s", eid, exc_info=True)


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
