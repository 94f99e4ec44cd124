"""`plan readiness` and `inventory snapshots` against the sandbox, as an operator runs them: a plan
drilled three days ago (its records written into the history table as the state machine writes
them), judged live, then with a tight RTO target, a stalled server, offline from the caches; and
a server's recovery snapshots, newest first."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from boto3.dynamodb.types import TypeSerializer

from drs_console.domain import contract as c
from drs_console.domain.inventory import InventorySnapshot, servers_from_drs
from drs_console.domain.plan import Plan, ServerRef
from drs_console.store.drill_cache import DrillCache
from drs_console.store.inventory_cache import InventoryCache
from drs_console.store.plans import PlanLibrary

ACCOUNT, REGION = "123456789012", "us-east-1"


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def healthy(cli_sandbox, n=3) -> list[str]:
    drs = cli_sandbox.sandbox.drs
    return sorted(s for s in drs.server_ids()
                  if drs.server(s)["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS")[:n]


def write_drill(cli_sandbox, plan: Plan, waves: list[list[str]], *, ago: timedelta, minutes=(10, 20),
                status="COMPLETED", execution_id="drill-1") -> None:
    """The execution item and its wave items, as the state machine leaves them after a drill."""
    ddb = cli_sandbox.sandbox.client("dynamodb")
    ser = TypeSerializer()
    start = datetime.now(UTC) - ago
    t = start
    items = []
    for i, ids in enumerate(waves):
        end = t + timedelta(minutes=minutes[i])
        items.append({c.PK: c.execution_pk(execution_id), c.SK: c.wave_sk(i), "waveIndex": i,
                      "waveName": plan.waves[i].name, "status": status, "startedAt": _iso(t), "endedAt": _iso(end),
                      "serverCount": len(ids)})
        t = end
    items.append({
        c.PK: c.execution_pk(execution_id), c.SK: c.EXECUTION_SK, c.LIST_PK: c.LIST_PK_VALUE,
        c.LIST_SK: f"{_iso(start)}#{execution_id}", "executionId": execution_id, "status": status,
        "planId": plan.id, "planName": plan.name, "executionType": "DRILL", "startedAt": _iso(start),
        "endedAt": _iso(t), "updatedAt": _iso(t), "waveCount": len(waves),
        "planJson": json.dumps({"id": plan.id, "name": plan.name, "waves": [
            {"name": plan.waves[i].name, "sourceServerIds": ids, "pauseBefore": False, "timeoutSeconds": 3600}
            for i, ids in enumerate(waves)]}),
    })
    for item in items:
        ddb.put_item(TableName=cli_sandbox.table, Item={k: ser.serialize(v) for k, v in item.items()})


@pytest.fixture
def drilled(cli_sandbox):
    """A library plan of three healthy servers in two waves, drilled three days ago (10 + 20 min)."""
    a, b, cc = healthy(cli_sandbox)
    plan = Plan.new("Payments", target_account_id=ACCOUNT, target_region=REGION, wave_names=["DB", "App"])
    plan.add_servers(0, [ServerRef(a)])
    plan.add_servers(1, [ServerRef(b), ServerRef(cc)])
    PlanLibrary().save(plan)
    write_drill(cli_sandbox, plan, [[a], [b, cc]], ago=timedelta(days=3), execution_id=f"drill-{plan.id[:8]}")
    return plan, (a, b, cc)




def test_a_recently_drilled_healthy_plan_is_ready_live(cli, cli_sandbox, drilled, tmp_path):
    plan, (a, b, cc) = drilled
    ran = cli("plan", "readiness", "--json", "--history-table", cli_sandbox.table)
    assert ran.rc == 0, ran.out + ran.err
    doc = json.loads(ran.out)
    assert doc["source"].startswith("Live: account 123456789012, us-east-1")
    (p,) = doc["plans"]
    assert p["status"] == "READY" and p["reasons"] == []
    assert p["source"]["inventory"] == "live" and p["source"]["recoveryPointsRead"]
    assert p["lastDrill"]["recoveryTimeSeconds"] == 1800
    assert [w["durationSeconds"] for w in p["lastDrill"]["waves"]] == [600, 1200]
    assert {s["sourceServerId"]: s["lastDrilledAt"] is not None for s in p["servers"]} == {a: True, b: True, cc: True}
    assert p["rpo"]["worstRecoveryPoint"]["recoveryPointAt"]  # the sandbox's newest snapshots

    text = cli("plan", "readiness", "--history-table", cli_sandbox.table)
    assert "Payments: READY   (live inventory)" in text.out
    assert "wave 1 'DB': 10 min 00 s (COMPLETED, 1 server)" in text.out
    assert "1 plan: 1 READY" in text.out


def test_an_rto_target_the_drill_missed_is_at_risk_and_the_audit_page_shows_each_wave(cli, cli_sandbox, drilled,
                                                                                       tmp_path):
    plan, _ = drilled
    assert cli("plan", "set-rto", "Payments", "20").rc == 0
    page = tmp_path / "audit.html"
    ran = cli("plan", "readiness", "Payments", "--html", str(page), "--history-table", cli_sandbox.table)
    assert ran.rc == 1  # not every plan is READY
    assert "AT RISK: The last drill took 30 min 00 s, more than the RTO target of 20 min." in ran.out
    html = page.read_text()
    assert "within (10 min 00 s to spare)" in html  # wave 1 ended 10 min in
    assert "over by 10 min 00 s" in html  # wave 2 ended 30 min in
    assert "<script" not in html and "http" not in html.replace("http-equiv", "")  # self-contained
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically


def test_a_stalled_server_and_an_old_drill(cli, cli_sandbox, drilled):
    plan, (a, _b, _c) = drilled
    cli_sandbox.sandbox.drs.set_replication_state(a, "STALLED", lag_seconds=7200)
    try:
        ran = cli("plan", "readiness", "--stale-days", "2", "--json", "--history-table", cli_sandbox.table)
    finally:
        cli_sandbox.sandbox.drs.set_replication_state(a, "CONTINUOUS")
    (p,) = json.loads(ran.out)["plans"]
    codes = {r["code"]: r for r in p["reasons"]}
    assert p["status"] == "AT RISK"
    assert codes["replication"]["serverIds"] == [a] and "STALLED" in codes["replication"]["text"]
    assert "more than 2 days" in codes["drill-stale"]["text"]


def test_offline_from_the_caches_says_so(cli, cli_sandbox, drilled):
    plan, ids = drilled
    ran = cli("plan", "readiness", "--offline", "--json")
    (p,) = json.loads(ran.out)["plans"]
    assert p["status"] == "UNKNOWN" and p["reasons"][0]["code"] == "no-inventory"
    items = cli_sandbox.sandbox.client("drs").describe_source_servers(filters={})["items"]
    InventoryCache().save(InventorySnapshot(ACCOUNT, REGION, datetime.now(UTC) - timedelta(hours=3),
                                            servers_from_drs(items)))
    ran = cli("plan", "readiness", "--offline")
    assert "Offline (--offline): cached inventory; no cached drill history" in ran.out
    assert "(cached inventory, 3 h old)" in ran.out
    assert "AT RISK: The drill history was not read (offline)" in ran.out
    live = json.loads(cli("plan", "readiness", "--json", "--history-table", cli_sandbox.table).out)
    from drs_console.domain.readiness import DrillRecord

    DrillCache().save(ACCOUNT, REGION, [DrillRecord.from_json(dict(live["plans"][0]["lastDrill"], planId=plan.id))])
    ran = cli("plan", "readiness", "--offline", "--json")
    doc = json.loads(ran.out)
    assert "cached drills of 123456789012 us-east-1" in doc["source"]
    assert doc["plans"][0]["status"] == "READY" and not doc["plans"][0]["source"]["recoveryPointsRead"]


def test_an_unknown_plan_is_one_clear_line(cli):
    ran = cli("plan", "readiness", "no-such-plan")
    assert ran.rc == 2 and "No plan 'no-such-plan'" in ran.err and "Traceback" not in ran.err


def test_inventory_snapshots_newest_first_since_and_json(cli, cli_sandbox):
    sid = healthy(cli_sandbox, 1)[0]
    ran = cli("inventory", "snapshots", sid)
    assert ran.rc == 0, ran.err
    lines = [ln.split() for ln in ran.out.splitlines()[2:] if ln.strip()]
    times = [f"{ln[1]} {ln[2]}" for ln in lines]
    assert times == sorted(times, reverse=True) and len(times) > 10
    assert all(ln[0].startswith("pit-") for ln in lines)
    doc = json.loads(cli("inventory", "snapshots", sid, "--since", "now-2h", "--json").out)
    (server,) = doc["servers"]
    cutoff = datetime.now(UTC) - timedelta(hours=2, minutes=1)
    assert 0 < server["count"] < len(times)
    assert all(datetime.fromisoformat(s["timestamp"].replace("Z", "+00:00")) >= cutoff for s in server["snapshots"])


@pytest.mark.parametrize("argv, says", [
    (("s-00000000000000000",), "No source server s-00000000000000000 in DRS"),
    (("i-1234",), "Not a source server ID: 'i-1234'"),
    (("{sid}", "--since", "2026-12-01T03:00"), "it has no time zone"),
    (("{sid}", "--since", "yesterday"), "is not a time this console reads"),
    (("{sid}", "--since", "2999-01-01T00:00Z"), "it is in the future"),
])
def test_inventory_snapshots_bad_input_is_one_clear_line(cli, cli_sandbox, argv, says):
    sid = healthy(cli_sandbox, 1)[0]
    ran = cli("inventory", "snapshots", *(a.format(sid=sid) for a in argv))
    assert ran.rc == 2 and says in ran.err and "Traceback" not in ran.err
