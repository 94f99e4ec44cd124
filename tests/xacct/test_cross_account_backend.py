"""Contract 1.2 in the sandbox: the shipped state machine recovers a wave spanning accounts, one DRS
job per account group, each started and polled in its own account through the target role
(Step Functions' Task Credentials), and records every job with its account."""

from __future__ import annotations

import pytest

from drs_console.aws.backend import group_by_account, validate_execution_input
from drs_console.domain.errors import BadInput
from tests.backend.conftest import BackendHarness
from tests.runs.conftest import deployed_sandbox
from tests.xacct.helpers import as_role, continuous


@pytest.fixture(scope="module")
def xb():
    with deployed_sandbox(BackendHarness, servers=20, seed=7, speed=300.0, accounts=3) as harness:
        yield harness


def test_a_wave_spanning_three_accounts_runs_one_job_in_each(xb):
    sb = xb.sandbox
    t1, t2 = sb.targets
    hub_ids = xb.servers(2)
    t1_ids, t2_ids = continuous(sb, t1.account_id, 2), continuous(sb, t2.account_id, 1)
    account_of = {**{s: t1.account_id for s in t1_ids}, **{s: t2.account_id for s in t2_ids}}
    roles = {t1.account_id: t1.role_arn, t2.account_id: t2.role_arn}
    wave2 = {"name": "mixed", "sourceServerIds": [hub_ids[1], *t1_ids, *t2_ids]}
    doc = xb.execution_input([
        {"name": "hub only", "sourceServerIds": [hub_ids[0]]},
        group_by_account(wave2, account_of, sb.account_id, roles),
    ])
    groups = doc["plan"]["waves"][1]["accounts"]
    assert [(g["accountId"], "roleArn" in g) for g in groups] == [
        (sb.account_id, False), (t1.account_id, True), (t2.account_id, True)]
    assert "accounts" not in doc["plan"]["waves"][0]  # a hub-only wave is what 1.1 sent
    validate_execution_input(doc)
    arn = xb.start(doc)
    info = xb.wait_done(arn, timeout=90)
    assert info.status == "SUCCEEDED", xb.history(arn)[-3:]
    record = xb.record(doc["executionId"])
    assert record.status.value == "COMPLETED"
    w1, w2 = record.waves
    assert w1.status.value == w2.status.value == "COMPLETED"
    assert (w2.server_count or 4, w2.servers_launched, w2.servers_failed) == (4, 4, 0)
    assert [j.account_id for j in w1.jobs] == [sb.account_id] and w1.job_id == w1.jobs[0].job_id
    by_account = {j.account_id: j.job_id for j in w2.jobs}
    assert set(by_account) == {sb.account_id, t1.account_id, t2.account_id}
    assert w2.job_id in by_account.values()  # older readers still find a job
    hub = sb.client("drs")
    for account, job_id in by_account.items():
        drs = hub if account == sb.account_id else as_role(sb, roles[account])
        job = drs.describe_jobs(filters={"jobIDs": [job_id]})["items"]
        assert len(job) == 1 and job[0]["status"] == "COMPLETED" and job[0]["arn"].split(":")[4] == account
        mine = {p["sourceServerID"] for p in job[0]["participatingServers"]}
        assert mine == {s for s in wave2["sourceServerIds"] if account_of.get(s, sb.account_id) == account}
        if account != sb.account_id:
            assert hub.describe_jobs(filters={"jobIDs": [job_id]})["items"] == []  # not in the hub


def test_a_role_the_state_machine_cannot_assume_fails_the_wave(xb):
    sb = xb.sandbox
    t1 = sb.targets[0]
    sid = continuous(sb, t1.account_id, 3)[2]
    bad = f"arn:aws:iam::{t1.account_id}:role/not-deployed"
    doc = xb.execution_input([group_by_account({"name": "w", "sourceServerIds": [sid]}, {sid: t1.account_id},
                                               sb.account_id, {t1.account_id: bad})])
    arn = xb.start(doc)
    xb.wait_done(arn, timeout=60)
    wave = xb.record(doc["executionId"]).waves[0]
    assert wave.status.value == "FAILED" and wave.error == "States.TaskFailed"
    assert bad in wave.cause and "AccessDenied" in wave.cause


def test_account_groups_must_match_the_wave():
    base = {"contractVersion": "1.2", "executionId": "x1", "failurePolicy": "CONTINUE", "executionType": "DRILL",
            "initiatedBy": "t", "pollIntervalSeconds": 1, "historyTable": "tbl",
            "plan": {"id": "p", "name": "p", "version": 1, "waves": [{
                "name": "w", "sourceServerIds": ["s-00000000000000001", "s-00000000000000002"], "pauseBefore": False,
                "timeoutSeconds": 60, "accounts": [
                    {"accountId": "111111111111", "sourceServerIds": ["s-00000000000000001"]},
                    {"accountId": "222222222222", "roleArn": "arn:aws:iam::333333333333:role/x",
                     "sourceServerIds": ["s-00000000000000003"]}]}]}}
    with pytest.raises(BadInput) as err:
        validate_execution_input(base)
    assert "exactly the wave's sourceServerIds" in err.value.message and "role of account 222222222222" in err.value.message
    base["contractVersion"] = "1.1"
    with pytest.raises(BadInput, match="needs contractVersion 1.2"):
        validate_execution_input(base)


def test_the_11_definition_is_an_older_release():
    """The definition main shipped before 1.2 (git: the last 1.1 state-machine.asl.json) is named."""
    import json
    import subprocess

    from drs_console.aws.definition import definition_hash, find_release, parse_releases
    from drs_console.resources import resource_path

    old = subprocess.run(["git", "show", "d4e999a:resources/backend/state-machine.asl.json"], capture_output=True,
                         text=True, cwd=resource_path("backend").parent.parent)
    if old.returncode != 0:
        pytest.skip("no git history here")
    releases = parse_releases(json.loads(resource_path("backend", "released-definitions.json").read_text()))
    release = find_release(releases, definition_hash(json.loads(old.stdout)))
    assert release is not None and release.contract == "1.1"


def test_the_state_machine_may_assume_exactly_the_target_roles(xb):
    sb = xb.sandbox
    iam = sb.client("iam")
    role_arn = sb.client("cloudformation").describe_stacks(StackName="drs-console")["Stacks"][0]["Outputs"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in role_arn}
    name = outputs["StateMachineRoleArn"].rsplit("/", 1)[-1]
    doc = iam.get_role_policy(RoleName=name, PolicyName="drs-target-accounts")["PolicyDocument"]
    if isinstance(doc, str):  # moto keeps a CloudFormation-made policy as the text of its dict
        import ast

        doc = ast.literal_eval(doc)
    statement = doc["Statement"][0]
    assert statement["Action"] == "sts:AssumeRole"
    assert sorted(statement["Resource"]) == sorted(t.role_arn for t in sb.targets)


def test_without_target_roles_there_is_no_assume_role_statement():
    from drs_console.aws.backend import render_template
    from drs_console.aws.cfn_template import Resolver, parse_template

    template = parse_template(render_template())
    props = template["Resources"]["StateMachineRole"]["Properties"]
    resolver = Resolver(params={"TargetRoleArns": ""}, pseudo={}, physical={}, attrs={},
                        conditions=template["Conditions"])
    names = [p["PolicyName"] for p in resolver.value(props)["Policies"]]
    assert names == ["drs-waves"]
    resolver = Resolver(params={"TargetRoleArns": "arn:aws:iam::210987654321:role/a,arn:aws:iam::310987654321:role/b"},
                        pseudo={}, physical={}, attrs={}, conditions=template["Conditions"])
    policies = resolver.value(props)["Policies"]
    assert policies[1]["PolicyDocument"]["Statement"][0]["Resource"] == [
        "arn:aws:iam::210987654321:role/a", "arn:aws:iam::310987654321:role/b"]
