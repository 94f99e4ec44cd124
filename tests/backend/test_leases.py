"""Server leases through the REAL state machine in the sandbox: two executions never run the same
server at once (resources/backend/CONTRACT.md, "Server leases")."""

from __future__ import annotations

import calendar
import copy
import json
import threading
import time
from datetime import UTC, datetime

import pytest
from conftest import wait_for

from drs_console.aws.backend import deserialize_item, load_definition
from drs_console.aws.history import HistoryService
from drs_console.aws.preflight import preflight
from drs_console.domain.history import PruneScope
from drs_console.domain.lease import ERROR_SERVER_IN_USE, LEASE_CLOCK_EPOCH, ServerLease, lease_key
from drs_console.domain.plan import Plan, ServerRef, Wave
from drs_console.domain.preflight import Level
from drs_console.domain.status import ExecutionStatus as S

pytestmark = pytest.mark.e2e


def wave(servers, name="W", timeout=300):
    return {"name": name, "sourceServerIds": servers, "pauseBefore": False, "timeoutSeconds": timeout}


def lease_item(backend, server_id):
    ddb = backend.sandbox.client("dynamodb")
    key = {k: {"S": v} for k, v in lease_key(server_id).items()}
    item = ddb.get_item(TableName=backend.location.history_table, Key=key, ConsistentRead=True).get("Item")
    return deserialize_item(item) if item is not None else None


def put_lease(backend, server_id, holder, *, until):
    backend.sandbox.client("dynamodb").put_item(
        TableName=backend.location.history_table,
        Item={"PK": {"S": f"LEASE#{server_id}"}, "SK": {"S": "LEASE"}, "entityType": {"S": "LEASE"},
              "holder": {"S": holder}, "leaseUntil": {"N": str(until)},
              "expiresAt": {"N": str(LEASE_CLOCK_EPOCH + until)}},
    )


def start_together(backend, inputs):
    """StartExecution of every input at the same instant, one thread (and client) each."""
    barrier = threading.Barrier(len(inputs))
    arns: dict[str, str] = {}

    def start(inp):
        sfn = backend.sandbox.client("stepfunctions")
        barrier.wait()
        arns[inp["executionId"]] = sfn.start_execution(
            stateMachineArn=backend.location.state_machine_arn, name=inp["executionId"], input=json.dumps(inp)
        )["executionArn"]

    threads = [threading.Thread(target=start, args=(inp,)) for inp in inputs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return arns


def started(rec):
    return rec.waves and rec.waves[0].job_id


def test_concurrent_drills_of_one_plan_exactly_one_proceeds(backend, sim):
    backend.sandbox.clock.set_manual(True)  # the winner's job stays in progress until it is cancelled
    servers = backend.servers(2)
    inputs = [backend.execution_input([wave(servers, "W1")]) for _ in range(3)]
    arns = start_together(backend, inputs)
    ids = [inp["executionId"] for inp in inputs]

    def settled():
        recs = {i: backend.record(i) for i in ids}
        winners = [i for i, r in recs.items() if r is not None and started(r)]
        losers = [i for i, r in recs.items() if r is not None and r.status is S.FAILED]
        return (winners, losers, recs) if len(winners) + len(losers) == 3 else None

    winners, losers, recs = wait_for(settled, timeout=30, what="one execution started, two refused")
    assert len(winners) == 1 and len(losers) == 2
    (winner,) = winners
    for loser in losers:
        rec = recs[loser]
        assert rec.error == ERROR_SERVER_IN_USE and rec.cause == f"server {servers[0]} is in execution {winner}"
        assert [w.status for w in rec.waves] == [S.FAILED] and not rec.waves[0].job_id
        assert rec.waves[0].error == ERROR_SERVER_IN_USE and winner in rec.waves[0].cause
        info = backend.wait_done(arns[loser])
        assert info.status == "FAILED" and info.error == ERROR_SERVER_IN_USE
    # DRS saw one job for these servers: no ConflictException anywhere
    jobs = [sim.job(j) for j in sim.job_ids()]
    mine = [j for j in jobs if {p["sourceServerID"] for p in j["participatingServers"]} & set(servers)]
    assert len(mine) == 1 and mine[0]["tags"]["drs-console:execution-id"] == winner

    # the winner holds both leases for its wave's timeout + a poll interval + an hour of grace
    for sid in servers:
        item = lease_item(backend, sid)
        lease = ServerLease.from_item(item)
        assert lease is not None and lease.holder == winner and lease.holder_arn == arns[winner]
        expected = time.time() + 300 + 1 + 3600
        assert abs(lease.expires_at - expected) < 120, (lease.expires_at, expected)  # the ASL's clock is right
        assert item["expiresAt"] == lease.expires_at  # the TTL attribute agrees with the condition's clock

    # the winner releases its leases when its wave ends, so a later run proceeds, taking over an
    # expired lease on another server of its wave; cancelled, it releases all three
    # (a job planned on the manual clock takes AWS's real durations: move the frozen clock past its
    # end rather than waiting for them)
    backend.sandbox.clock.advance(3600)
    assert backend.wait_done(arns[winner]).output["status"] == "COMPLETED"
    assert all(lease_item(backend, sid) is None for sid in servers)
    expired = backend.servers(1)[0]
    put_lease(backend, expired, "ghost-expired", until=0)  # 2023-03-01T00:00Z
    later = backend.execution_input([wave([*servers, expired], "W1")])
    later_arn = backend.start(later)
    backend.wait_record(later["executionId"], lambda r: r.waves and r.waves[0].status is S.IN_PROGRESS,
                        what="the later run polling")
    assert all(lease_item(backend, sid)["holder"] == later["executionId"] for sid in [*servers, expired])
    backend.run(backend.service.cancel(backend.location.history_table, later["executionId"]))
    assert backend.wait_done(later_arn).output["status"] == "CANCELLED"
    assert all(lease_item(backend, sid) is None for sid in [*servers, expired])


def test_a_live_lease_refuses_the_wave_and_preflight_names_its_holder(backend, sim):
    free, held = backend.servers(2)
    put_lease(backend, held, "ghost-live", until=10**9)  # 2054
    plan = Plan.new("Lease plan", target_account_id=backend.sandbox.account_id, target_region=backend.sandbox.region)
    plan.waves.append(Wave(name="W1", servers=[ServerRef(free), ServerRef(held)]))
    report = backend.run(preflight(backend.conn, backend.location, plan))
    (check,) = report.check("leases")
    assert check.level is Level.BLOCK and check.server_ids == (held,) and report.blocked
    assert held in check.message and "is in execution ghost-live" in check.message and "until 2054-" in check.message
    assert "not active" in check.remedy

    inp = backend.execution_input([wave([free, held], "W1")])
    info = backend.wait_done(backend.start(inp))
    assert info.status == "FAILED" and info.cause == f"server {held} is in execution ghost-live"
    rec = backend.record(inp["executionId"])
    assert rec.status is S.FAILED and [w.status for w in rec.waves] == [S.FAILED]
    assert lease_item(backend, free) is None  # taken first, released when the next one was refused
    assert lease_item(backend, held)["holder"] == "ghost-live"  # another's lease is never touched
    launched = {p["sourceServerID"] for j in map(sim.job, sim.job_ids()) for p in j["participatingServers"]}
    assert not {free, held} & launched

    # history lists executions only, and a prune of everything finished leaves the lease alone
    history = HistoryService(backend.conn, backend.location.history_table)
    rows = backend.run(history.list_all())
    assert inp["executionId"] in {r.execution_id for r in rows} and all(r.execution_id.count("#") == 0 for r in rows)
    result = backend.run(history.prune(backend.run(history.preview(rows, PruneScope.all_finished()))))
    assert not result.error and inp["executionId"] in result.deleted and not result.failed
    assert lease_item(backend, held)["holder"] == "ghost-live"

    backend.sandbox.client("dynamodb").delete_item(
        TableName=backend.location.history_table, Key={k: {"S": v} for k, v in lease_key(held).items()})
    assert run_preflight_leases(backend, plan).level is Level.PASS


def test_the_console_releases_the_leases_a_stopped_execution_still_holds(backend):
    """StopExecution and reconcile end a record the state machine could not end; they also release
    the leases of its current wave (only its own)."""
    mine, other = backend.servers(2)
    ddb = backend.sandbox.client("dynamodb")
    plan = {"id": "p", "name": "P", "version": 1, "waves": [wave(["s-00000000000000001"]), wave([mine, other])]}
    ddb.put_item(TableName=backend.location.history_table, Item={
        "PK": {"S": "EXEC#stopped-1"}, "SK": {"S": "EXECUTION"}, "planJson": {"S": json.dumps(plan)},
        "currentWave": {"N": "1"}})
    put_lease(backend, mine, "stopped-1", until=10**9)
    put_lease(backend, other, "someone-else", until=10**9)
    assert backend.run(backend.service.release_leases(backend.location.history_table, "stopped-1")) == 1
    assert lease_item(backend, mine) is None and lease_item(backend, other)["holder"] == "someone-else"
    ddb.delete_item(TableName=backend.location.history_table, Key={k: {"S": v} for k, v in lease_key(other).items()})


def run_preflight_leases(backend, plan):
    (check,) = backend.run(preflight(backend.conn, backend.location, plan)).check("leases")
    return check


def ended(description):
    return description if description["status"] != "RUNNING" else None


CLOCK_STATES = ("LeaseClock", "LeaseClockNow")
CLOCK_CASES = [
    "2024-02-29T23:59:59.999Z", "2024-03-01T00:00:00.000Z", "2025-01-01T00:00:00.000Z",
    "2026-12-31T23:59:07.120Z", "2028-02-29T12:34:56.000Z", "2037-06-15T08:09:10.000Z",
    "2091-02-28T23:59:00.000Z", "2026-12-01T07:45:55.123456+00:00",  # moto's own format
]


def test_the_lease_clock_counts_seconds_since_its_epoch(backend):
    """The ASL's clock states, fed fixed timestamps (one Map iteration each), against calendar.timegm."""
    states = load_definition()["States"]["Waves"]["ItemProcessor"]["States"]
    sub = {name: copy.deepcopy(states[name]) for name in CLOCK_STATES}
    params = sub["LeaseClock"]["Parameters"]
    for key, value in params.items():
        params[key] = value.replace("$$.State.EnteredTime", "$.t")
    del sub["LeaseClockNow"]["Next"]
    sub["LeaseClockNow"]["End"] = True
    sub["LeaseClockNow"]["OutputPath"] = "$.clock.now"
    definition = {"StartAt": "Clocks", "States": {"Clocks": {
        "Type": "Map", "ItemsPath": "$.ts", "ItemSelector": {"t.$": "$$.Map.Item.Value"}, "MaxConcurrency": 1,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "LeaseClock", "States": sub},
        "End": True}}}
    sfn = backend.sandbox.client("stepfunctions")
    arn = sfn.create_state_machine(name="lease-clock", roleArn="arn:aws:iam::123456789012:role/x",
                                   definition=json.dumps(definition))["stateMachineArn"]
    run_arn = sfn.start_execution(stateMachineArn=arn, name="clock", input=json.dumps({"ts": CLOCK_CASES}))["executionArn"]
    d = wait_for(lambda: ended(sfn.describe_execution(executionArn=run_arn)), timeout=60, what="the clock")
    assert d["status"] == "SUCCEEDED", d
    want = []
    for t in CLOCK_CASES:
        at = datetime.fromisoformat(t.replace("Z", "+00:00")).astimezone(UTC).replace(second=0, microsecond=0)
        want.append(calendar.timegm(at.timetuple()) - LEASE_CLOCK_EPOCH)
    assert json.loads(d["output"]) == want
