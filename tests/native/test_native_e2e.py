"""The DRS native engine end to end through the CLI, on the sandbox's DRS simulator (its native
recovery-plan API): publish, run and watch, retry and skip a failed step, cancel, import, prune,
clean up a drill; what the console says is cross-checked with plain boto3 calls."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from drs_console.domain.native_mapping import TAG_PLAN_ID, TAG_PLAN_VERSION
from drs_console.domain.plan import Plan, ServerRef, Wave
from drs_console.store.plan_io import read_plan_file, write_plan_file
from tests.native.conftest import json_lines

pytestmark = pytest.mark.e2e

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "plans" / "sample-payments.json"


def _plan_file(harness, tmp_path: Path, waves, *, name: str, delays: dict[int, int] | None = None,
               pause: frozenset[int] = frozenset()) -> tuple[Plan, Path]:
    plan = Plan.new(name, target_account_id=harness.sandbox.account_id, target_region=harness.sandbox.region)
    for i, ids in enumerate(waves):
        plan.waves.append(Wave(name=f"W{i + 1}", servers=[ServerRef(s) for s in ids],
                               delay_minutes=(delays or {}).get(i, 0), pause_before=i in pause))
    path = tmp_path / f"{name.replace(' ', '-')}.json"
    write_plan_file(path, plan, backup=False)
    return plan, path


def _publish(cli, path: Path, *extra: str) -> dict:
    code, out, err = cli("plan", "publish", str(path), "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def _start(cli, path: Path) -> str:
    code, out, err = cli("run", str(path), "--engine", "native", "--json")
    assert code == 0, err
    (started,) = [d for d in json_lines(out) if d.get("type") == "started"]
    assert started["engine"] == "native"
    return started["executionId"]


def _status(cli, execution_id: str) -> dict:
    code, out, err = cli("status", execution_id, "--json")
    assert code == 0, err
    return json.loads(out)


def _wait_status(cli, execution_id: str, predicate, what: str, timeout: float = 40.0) -> dict:
    """Poll 'status --json' (each call its own event loop) until ``predicate`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        doc = _status(cli, execution_id)
        if predicate(doc):
            return doc
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}: {doc['status']}"
        time.sleep(0.2)


def test_the_sample_plan_is_refused_then_published_then_runs_to_completed_with_the_jobs_drs_reports(cli, drs):
    before = drs.list_recovery_plans()["recoveryPlans"]
    code, out, err = cli("plan", "publish", str(SAMPLE), "--json")
    doc = json.loads(out)
    assert code == 2 and not doc["mapping"]["ok"] and doc["recoveryPlanArn"] is None
    assert [p["what"] for p in doc["mapping"]["problems"] if p["severity"] == "REFUSED"] == ["pause-before"]
    assert "nothing was created" in err and "timed, not an approval" in err
    assert drs.list_recovery_plans()["recoveryPlans"] == before  # refused before anything was created

    published = _publish(cli, SAMPLE, "--drop-pauses")
    arn = published["recoveryPlanArn"]
    assert published["created"] and [s["name"] for s in published["mapping"]["steps"]] == [
        "Databases", "Application tier", "Web tier"]
    steps = sorted(drs.list_recovery_plan_steps(recoveryPlanArn=arn)["recoveryPlanSteps"], key=lambda s: s["stepOrder"])
    servers = [[s["serverArn"].rsplit("/", 1)[-1] for s in st["configuration"]["serverStepConfiguration"]["servers"]]
               for st in steps]
    plan = read_plan_file(SAMPLE).plan
    assert servers[:2] == [plan.waves[0].server_ids(), plan.waves[1].server_ids()]
    assert len(servers[2]) == 2  # the web tier's selector, resolved now
    tags = drs.get_recovery_plan(recoveryPlanArn=arn)["recoveryPlan"]["tags"]
    assert tags[TAG_PLAN_ID] == plan.id and tags[TAG_PLAN_VERSION] == str(int(plan.modified_at.timestamp()))
    again = _publish(cli, SAMPLE, "--drop-pauses")
    assert again["recoveryPlanArn"] == arn and not again["changed"]

    code, out, err = cli("run", str(SAMPLE), "--engine", "native", "--follow", "--json", "--refresh", "1")
    assert code == 0, err
    end = [d for d in json_lines(out) if d.get("type") == "end"][0]
    view = end["view"]
    assert end["status"] == "COMPLETED" and view["engine"] == "native" and view["recoveryPlanArn"] == arn
    for wave in view["waves"]:
        assert wave["status"] == "COMPLETED" and wave["jobIds"]
        jobs = drs.describe_jobs(filters={"jobIDs": wave["jobIds"]})["items"]
        assert {j["status"] for j in jobs} == {"COMPLETED"}
        launched = {p["sourceServerID"] for j in jobs for p in j["participatingServers"]
                    if p["launchStatus"] == "LAUNCHED"}
        assert launched == {s["sourceServerId"] for s in wave["servers"]}
        assert all(s["launchStatus"] == "LAUNCHED" and s["recoveryInstanceId"] for s in wave["servers"])
    transitions = [d for d in json_lines(out) if d.get("type") == "transition"]
    assert any(t.get("jobId") == view["waves"][0]["jobId"] for t in transitions)

    # status prints per step its jobs, per server its details, and the job log
    code, out, _ = cli("status", end["executionId"])
    assert code == 0 and "engine: DRS native plan" in out and view["waves"][0]["jobIds"][0] in out
    assert "Source instance ID" in out and "job log" in out and "JOB_END" in out

    # a drill's recovery instances are cleaned up as for a backend drill
    code, out, err = cli("cleanup", end["executionId"], "--refresh", "0.5")
    assert code == 0, err
    assert "Terminating 5 drill instances" in out
    left = drs.describe_recovery_instances(filters={"sourceServerIDs": [s["sourceServerId"] for w in view["waves"]
                                                                        for s in w["servers"]]})["items"]
    assert all(i["ec2InstanceState"] == "TERMINATED" or i["jobID"] not in
               {j for w in view["waves"] for j in w["jobIds"]} for i in left)


def test_a_failed_step_is_retried_to_completed_and_another_skipped(harness, sim, cli, tmp_path, drs):
    a, b, c = harness.healthy(3)
    _, path = _plan_file(harness, tmp_path, [[a], [b]], name="Retry plan")
    _publish(cli, path)
    sim.fail_next_launch(a)
    execution_id = _start(cli, path)
    failed = _wait_status(cli, execution_id, lambda d: d["status"] == "FAILED", "the first step to fail")
    assert failed["waves"][0]["status"] == "FAILED" and failed["waves"][1]["status"] == "PENDING"
    assert failed["waves"][0]["servers"][0]["launchStatus"] == "FAILED"
    code, out, err = cli("retry-step", execution_id, "1")
    assert code == 0, err
    assert "Retrying step 1" in out
    done = _wait_status(cli, execution_id, lambda d: d["status"] == "COMPLETED", "the retried execution to complete")
    assert done["waves"][0]["attempt"] == 2 and len(done["waves"][0]["jobIds"]) == 1
    first_job = failed["waves"][0]["jobIds"][0]
    assert done["waves"][0]["jobIds"] != [first_job]  # the retry's own job
    assert drs.describe_jobs(filters={"jobIDs": [first_job]})["items"][0]["participatingServers"][0][
        "launchStatus"] == "FAILED"

    # a step that keeps failing is skipped: the execution goes on and completes
    _, path2 = _plan_file(harness, tmp_path, [[c], [b]], name="Skip plan")
    _publish(cli, path2)
    sim.fail_servers([c])
    execution_id = _start(cli, path2)
    _wait_status(cli, execution_id, lambda d: d["status"] == "FAILED", "the first step to fail")
    code, out, err = cli("retry-step", execution_id, "2")
    assert code == 2 and "PENDING" not in err and "NOT_STARTED" in err
    code, out, err = cli("skip-step", execution_id, "1", "--json")
    assert code == 0, err
    assert json.loads(out)["stepStatus"] == "SKIPPED"
    done = _wait_status(cli, execution_id, lambda d: d["status"] == "COMPLETED", "the execution to complete")
    assert [w["nativeStatus"] for w in done["waves"]] == ["SKIPPED", "COMPLETED"]
    assert done["waves"][0]["status"] == "CANCELLED"  # our vocabulary; the native status says SKIPPED


def test_cancel_and_resume_and_prune_never_an_active_one(harness, cli, tmp_path, drs):
    a, b, c = harness.healthy(3)
    _, waiting = _plan_file(harness, tmp_path, [[a], [b]], name="Long wait", delays={1: 120})
    _publish(cli, waiting)
    execution_id = _start(cli, waiting)
    doc = _wait_status(cli, execution_id, lambda d: d["waves"][1].get("nativeStatus") == "WAITING", "the WAIT step")
    assert doc["waves"][1]["stepKind"] == "WAIT" and doc["waves"][1]["waitMinutes"] == 120
    code, out, err = cli("resume", execution_id)
    assert code == 2 and "does not apply" in err and "timed" in err
    code, out, err = cli("cancel", execution_id)
    assert code == 0, err
    assert "Cancellation" in out
    _wait_status(cli, execution_id, lambda d: d["status"] == "CANCELLED", "CANCELLED")

    # an active execution of another plan is never pruned; the finished one is
    _, active_path = _plan_file(harness, tmp_path, [[c], [b]], name="Still running", delays={1: 120})
    _publish(cli, active_path)
    active_id = _start(cli, active_path)
    _wait_status(cli, active_id, lambda d: d["waves"][1].get("nativeStatus") == "WAITING", "the WAIT step")
    code, out, err = cli("history", "list", "--engine", "native", "--json")
    listed = {r["executionId"]: r for r in json.loads(out)["executions"]}
    assert code == 0 and {execution_id, active_id} <= set(listed) and listed[active_id]["engine"] == "native"
    code, out, err = cli("history", "prune", "--engine", "native", "--yes", "--json")
    result = json.loads(out)
    assert code == 0, err
    assert active_id in result["native"]["preservedActive"]
    assert execution_id in result["nativeResult"]["deleted"] and active_id not in result["nativeResult"]["deleted"]
    arns = {e["recoveryPlanExecutionArn"].rsplit("/", 1)[-1]
            for e in drs.list_recovery_plan_executions()["recoveryPlanExecutions"]}
    assert active_id in arns and execution_id not in arns
    cli("cancel", active_id)
    # the list beside the backend's: both engines in one table
    code, out, _ = cli("history", "list")
    assert code == 0 and "ENGINE" in out and "native" in out


def test_a_native_plan_made_with_boto3_is_imported_as_waves_with_delays(harness, cli, drs):
    a, b = harness.healthy(2)
    arn_of = {s: harness.sim.server(s)["arn"] for s in (a, b)}
    plan_arn = drs.create_recovery_plan(name="Made by hand")["recoveryPlan"]["recoveryPlanArn"]
    drs.create_recovery_plan_step(recoveryPlanArn=plan_arn, stepName="First", configuration={
        "serverStepConfiguration": {"servers": [{"serverArn": arn_of[a]}]}})
    drs.create_recovery_plan_step(recoveryPlanArn=plan_arn, stepName="Pause", configuration={
        "waitStepConfiguration": {"waitDurationMinutes": 7}})
    drs.create_recovery_plan_step(recoveryPlanArn=plan_arn, stepName="Second", configuration={
        "serverStepConfiguration": {"servers": [{"serverArn": arn_of[b], "impactLevel": "OPTIONAL"}]}})
    code, out, err = cli("plan", "import-native", plan_arn, "--json")
    assert code == 0, err
    (imported,) = json.loads(out)
    plan = read_plan_file(imported["file"]).plan
    assert [(w.name, w.server_ids(), w.delay_minutes) for w in plan.waves] == [("First", [a], 0), ("Second", [b], 7)]
    assert plan.waves[1].servers[0].critical is False
    assert plan.tags["drs-console:native-plan-arn"] == plan_arn
    # publishing the imported plan updates the native plan it came from (the link), never a second one
    published = _publish(cli, Path(imported["file"]))
    assert published["recoveryPlanArn"] == plan_arn and not published["created"]
    tags = drs.get_recovery_plan(recoveryPlanArn=plan_arn)["recoveryPlan"]["tags"]
    assert tags[TAG_PLAN_ID] == plan.id
    steps = drs.list_recovery_plan_steps(recoveryPlanArn=plan_arn)["recoveryPlanSteps"]
    assert sorted((s["stepOrder"], "waitStepConfiguration" in s["configuration"]) for s in steps) == [
        (1, False), (2, True), (3, False)]


def test_status_of_an_unknown_execution_says_where_it_looked(cli):
    code, out, err = cli("status", "rpe-00000000000000000")
    assert code == 2 and "No execution" in err
    code, out, err = cli("retry-step", "rpe-00000000000000000", "1")
    assert code == 2 and "No DRS native execution" in err


def test_run_refuses_a_plan_that_is_not_published_or_drifted(harness, cli, tmp_path):
    a, b = harness.healthy(2)
    plan, path = _plan_file(harness, tmp_path, [[a]], name="Not published")
    code, out, err = cli("run", str(path), "--engine", "native")
    assert code == 2 and "not published" in out
    _publish(cli, path)
    plan.waves.append(Wave(name="More", servers=[ServerRef(b)]))
    write_plan_file(path, plan, backup=False)
    code, out, err = cli("run", str(path), "--engine", "native")
    assert code == 2 and "BLOCK drift" in out and f"{b} is missing from the native plan" in out
    code, out, err = cli("preflight", str(path), "--engine", "native", "--json")
    assert code == 0 and json.loads(out)["drift"]


def test_doctor_lists_the_native_plans_linked_to_library_plans_and_their_drift(harness, cli, tmp_path):
    from drs_console.store.plans import PlanLibrary

    a, b = harness.healthy(2)
    plan, path = _plan_file(harness, tmp_path, [[a], [b]], name="Doctor plan", delays={1: 3})
    library = PlanLibrary()
    library.save(plan)
    published = _publish(cli, path)
    code, out, err = cli("doctor", "--json")
    (native,) = [f for f in json.loads(out)["findings"] if f["check"] == "native-plans"]
    assert native["level"] == "PASS" and "in sync" in native["message"]
    plan.waves.reverse()  # the order changed in the library since it was published
    library.save(plan)
    code, out, err = cli("doctor", "--json")
    (native,) = [f for f in json.loads(out)["findings"] if f["check"] == "native-plans"]
    assert native["level"] == "WARN" and "drifted" in native["message"]
    assert any(published["recoveryPlanArn"] in d and "step 1" in d for d in native["details"])


def test_a_native_drill_to_two_hours_back_launches_every_server_from_the_snapshot_preflight_showed(
        harness, sim, cli, tmp_path, drs):
    a, b, c = harness.healthy(3)
    _plan, path = _plan_file(harness, tmp_path, [[a, b], [c]], name="Native point in time")
    _publish(cli, path)
    at = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")  # the same time for both
    code, out, err = cli("preflight", str(path), "--engine", "native", "--point-in-time", at, "--json")
    assert code == 0, out + err
    shown = json.loads(out)
    assert not shown["blocking"] and shown["pointInTime"] == at
    resolved = {s["sourceServerId"]: s for w in shown["pointInTimeWaves"] for s in w["servers"]}
    assert set(resolved) == {a, b, c} and all(s["recoverySnapshotId"] for s in resolved.values())
    asked = datetime.fromisoformat(shown["pointInTime"].replace("Z", "+00:00"))
    assert all(datetime.fromisoformat(s["snapshotTime"].replace("Z", "+00:00")) <= asked for s in resolved.values())
    code, text, _ = cli("preflight", str(path), "--engine", "native", "--point-in-time", at)
    assert "each server recovers to its newest snapshot at or before it" in text
    assert all(resolved[s]["recoverySnapshotId"] in text for s in (a, b, c))

    code, out, err = cli("run", str(path), "--engine", "native", "--point-in-time", at, "--follow",
                         "--json", "--refresh", "1")
    assert code == 0, out + err
    (started,) = [d for d in json_lines(out) if d.get("type") == "started"]
    assert {s["sourceServerId"]: s["recoverySnapshotId"] for w in started["pointInTimeWaves"]
            for s in w["servers"]} == {sid: s["recoverySnapshotId"] for sid, s in resolved.items()}
    view = [d for d in json_lines(out) if d.get("type") == "end"][0]["view"]
    assert view["pointInTime"] == shown["pointInTime"]
    servers = {s["sourceServerId"]: s for w in view["waves"] for s in w["servers"]}
    for sid, want in resolved.items():
        got = servers[sid]
        assert got["launchStatus"] == "LAUNCHED"
        assert got["recoverySnapshotId"] == want["recoverySnapshotId"]
        assert got["requestedRecoveryPoint"] == want["snapshotTime"]
        # what DRS itself reports on the recovery instance it launched: that snapshot's time
        (inst,) = drs.describe_recovery_instances(filters={"recoveryInstanceIDs": [got["recoveryInstanceId"]]})["items"]
        assert inst["pointInTimeSnapshotDateTime"].replace("+00:00", "Z").startswith(want["snapshotTime"][:19])
        assert got["recoveryPoint"] == want["snapshotTime"]
    assert all(w["pointInTime"] == shown["pointInTime"] for w in view["waves"] if w["servers"])


def test_a_native_point_in_time_with_no_snapshot_before_it_blocks_and_starts_nothing(harness, cli, tmp_path, drs):
    (a,) = harness.healthy(1)
    _plan, path = _plan_file(harness, tmp_path, [[a]], name="Native too far back")
    _publish(cli, path)
    before = drs.list_recovery_plan_executions()["recoveryPlanExecutions"]
    code, out, err = cli("run", str(path), "--engine", "native", "--point-in-time", "now-30d")
    assert code == 2 and "BLOCK point-in-time" in out and "no recovery snapshot at or before" in out
    assert drs.list_recovery_plan_executions()["recoveryPlanExecutions"] == before
