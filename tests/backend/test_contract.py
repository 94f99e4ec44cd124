"""Contract files: schema validation, cfn-lint, definition invariants (no sandbox needed)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from drs_console.aws.backend import (
    build_execution_input,
    execution_input_errors,
    load_definition,
    probe_input,
    render_template,
    resources_dir,
    validate_execution_input,
)
from drs_console.domain import contract as c
from drs_console.domain.errors import BadInput
from drs_console.domain.status import ExecutionStatus

SERVERS = ["s-0123456789abcdef0", "s-0123456789abcdef1"]


def good_input(**kw):
    return build_execution_input(
        plan_id="p",
        plan_name="Plan",
        plan_version=2,
        waves=[{"name": "W1", "sourceServerIds": SERVERS, "pauseBefore": True, "timeoutSeconds": 600}],
        history_table="drs-console-history",
        initiated_by="arn:aws:iam::123456789012:user/me",
        **kw,
    )


def test_valid_input_passes_and_probe_is_valid():
    validate_execution_input(good_input())
    validate_execution_input(probe_input())
    assert probe_input() == c.PROBE_INPUT


@pytest.mark.parametrize(
    "mutate, needle",
    [
        (lambda d: d.update(contractVersion="2.0"), "contractVersion"),
        (lambda d: d.update(failurePolicy="YOLO"), "failurePolicy"),
        (lambda d: d.update(pollIntervalSeconds=0), "pollIntervalSeconds"),
        (lambda d: d["plan"]["waves"][0].update(sourceServerIds=["i-123"]), "sourceServerIds/0"),
        (lambda d: d["plan"]["waves"][0].update(sourceServerIds=[f"s-{i:017d}" for i in range(201)]), "sourceServerIds"),
        (lambda d: d["plan"].update(waves=[]), "plan/waves"),
        (lambda d: d.pop("historyTable"), "historyTable"),
    ],
)
def test_invalid_inputs_are_rejected_with_their_path(mutate, needle):
    doc = good_input()
    mutate(doc)
    errors = execution_input_errors(doc)
    assert errors and any(needle in e for e in errors), errors
    with pytest.raises(BadInput):
        validate_execution_input(doc)


def _pit_input():
    snaps = [{"sourceServerID": sid, "recoverySnapshotID": f"pit-{i:017d}", "recoverySnapshotTime": "2026-12-01T07:50:12Z"}
             for i, sid in enumerate(SERVERS)]
    return build_execution_input(
        plan_id="p", plan_name="Plan", plan_version=2, history_table="drs-console-history", initiated_by="me",
        waves=[{"name": "W1", "sourceServerIds": SERVERS, "pointInTime": "2026-12-01T08:00:00Z", "servers": snaps}],
        point_in_time="2026-12-01T08:00:00Z")


def test_contract_1_1_point_in_time_input_and_1_0_inputs_stay_valid():
    doc = _pit_input()
    assert doc["contractVersion"] == "1.2" and doc["pointInTime"] == "2026-12-01T08:00:00Z"
    validate_execution_input(doc)
    old = good_input()
    old["contractVersion"] = "1.0"  # what a 1.0 console sends
    validate_execution_input(old)
    assert "servers" not in good_input()["plan"]["waves"][0] and "pointInTime" not in good_input()


@pytest.mark.parametrize("mutate, needle", [
    (lambda d: d["plan"]["waves"][0]["servers"][0].update(recoverySnapshotID="pit-short"), "recoverySnapshotID"),
    (lambda d: d["plan"]["waves"][0]["servers"][0].pop("recoverySnapshotID"), "recoverySnapshotID"),
    (lambda d: d["plan"]["waves"][0]["servers"].reverse(), "same order"),
    (lambda d: d.update(pointInTime="2026-12-01 08:00"), "pointInTime"),
    (lambda d: d.update(contractVersion="1.0"), "needs contractVersion 1.1"),
])
def test_bad_point_in_time_inputs_are_rejected(mutate, needle):
    doc = _pit_input()
    mutate(doc)
    errors = execution_input_errors(doc)
    assert any(needle in e for e in errors), errors


def test_poll_interval_of_one_second_is_allowed():
    validate_execution_input(good_input(poll_interval_seconds=1))


def test_definition_declares_contract_and_uses_no_lambda():
    definition = load_definition()
    assert c.contract_version_of(definition) == c.CONTRACT_VERSION
    resources = [r for _, r in c.task_resources(definition)]
    assert resources and not any("lambda" in r for r in resources)
    assert all(r.startswith("arn:aws:states:::") for r in resources)
    assert "arn:aws:states:::aws-sdk:drs:startRecovery" in resources
    assert "arn:aws:states:::aws-sdk:drs:describeJobs" in resources
    assert "arn:aws:states:::aws-sdk:dynamodb:updateItem.waitForTaskToken" in resources
    # no JSONata: moto and the contract use JSONPath
    assert "QueryLanguage" not in json.dumps(definition)


def test_definition_writes_only_contract_statuses():
    text = (resources_dir() / "state-machine.asl.json").read_text()
    definition = json.loads(text)
    written = set()

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in (":s", ":paused", ":running", ":failed") and isinstance(v, dict) and "S" in v:
                    written.add(v["S"])
                if k == "status" and isinstance(v, dict) and "S" in v:
                    written.add(v["S"])
                if k == "Result" and isinstance(v, str):
                    written.add(v)
                if k == "Result" and isinstance(v, dict) and "status" in v:
                    written.add(v["status"])
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(definition)
    # exactly the vocabulary's spelling (parse() would also accept "running")
    assert written and written <= {s.value for s in ExecutionStatus}, written - {s.value for s in ExecutionStatus}


def test_render_inlines_definition():
    body = render_template()
    assert "DefinitionS3Location: " not in body
    assert "DefinitionString" in body
    assert c.CONTRACT_MARKER in body


def test_rendered_template_stays_under_cloudformations_body_limit():
    """CloudFormation takes a TemplateBody of at most 51,200 bytes; the inlined definition is most of it."""
    assert len(render_template().encode("utf-8")) < 51_200


def test_start_recovery_takes_the_snapshots_a_wave_names():
    """1.1: a wave with ``servers`` launches each from its recoverySnapshotID; without, as in 1.0.
    1.2: per account group (a wave without groups is one group: the wave itself)."""
    waves = load_definition()["States"]["Waves"]["ItemProcessor"]["States"]
    assert waves["TakeLeases"]["Next"] == "Groups"
    assert waves["HubGroup"]["Parameters"] == {"g.$": "States.Array($.wave)"}
    assert waves["Jobs"]["ItemsPath"] == "$.groups.g"
    states = waves["Jobs"]["ItemProcessor"]["States"]
    choice = states["SnapshotsNamed"]
    assert choice["Choices"] == [{"Variable": "$.group.servers", "IsPresent": True, "Next": "SnapshotSourceServers"}]
    assert choice["Default"] == "BuildSourceServers"
    named = states["SnapshotSourceServers"]
    assert named["ItemsPath"] == "$.group.servers" and named["ResultPath"] == "$.sourceServers"
    assert named["ItemSelector"] == {"SourceServerID.$": "$$.Map.Item.Value.sourceServerID",
                                     "RecoverySnapshotID.$": "$$.Map.Item.Value.recoverySnapshotID"}
    assert states["BuildSourceServers"]["ItemSelector"] == {"SourceServerID.$": "$$.Map.Item.Value"}
    assert named["Next"] == states["BuildSourceServers"]["Next"] == "Cross"
    assert states["StartRecoveryAs"]["Credentials"] == {"RoleArn.$": "$.group.roleArn"}
    assert states["DescribeJobAs"]["Credentials"] == {"RoleArn.$": "$.group.roleArn"}
    assert "Credentials" not in states["StartRecovery"] and "Credentials" not in states["DescribeJob"]


def test_a_point_in_time_wave_spanning_accounts_names_each_groups_snapshots():
    """1.2 + 1.1: each account group of a point-in-time wave carries its servers' snapshots (the
    wave's own, in the group's order); the state machine launches the group from them, in its
    account (StartRecoveryAs takes the same SourceServers as the hub's StartRecovery)."""
    import copy

    hub, target = "123456789012", "210987654321"
    role = f"arn:aws:iam::{target}:role/drs-console-target"
    snaps = [{"sourceServerID": s, "recoverySnapshotID": "pit-" + s[2:], "recoverySnapshotTime": "2026-12-01T07:55:00Z"}
             for s in SERVERS]
    wave = {"name": "W1", "sourceServerIds": SERVERS, "pauseBefore": False, "timeoutSeconds": 600,
            "pointInTime": "2026-12-01T08:00:00Z", "servers": snaps,
            "accounts": [{"accountId": hub, "sourceServerIds": SERVERS[:1], "servers": snaps[:1]},
                         {"accountId": target, "roleArn": role, "sourceServerIds": SERVERS[1:], "servers": snaps[1:]}]}
    doc = json.loads(json.dumps(good_input(point_in_time="2026-12-01T08:00:00Z")))
    doc["plan"]["waves"] = json.loads(json.dumps([wave]))  # as sent: no object shared by wave and group
    assert execution_input_errors(doc) == []
    missing = copy.deepcopy(doc)
    del missing["plan"]["waves"][0]["accounts"][1]["servers"]
    assert any("servers must be given in every group" in e for e in execution_input_errors(missing))
    other = copy.deepcopy(doc)
    other["plan"]["waves"][0]["accounts"][1]["servers"][0]["recoverySnapshotID"] = "pit-" + "9" * 17
    assert any("the one the wave's servers name" in e for e in execution_input_errors(other))
    extra = copy.deepcopy(doc)
    extra["plan"]["waves"][0]["accounts"][1]["servers"][0]["note"] = "x"  # the group's server is the 1.1 shape
    assert any("note" in e for e in execution_input_errors(extra))
    states = load_definition()["States"]["Waves"]["ItemProcessor"]["States"]["Jobs"]["ItemProcessor"]["States"]
    assert states["StartRecoveryAs"]["Parameters"]["SourceServers.$"] == "$.sourceServers"
    assert states["StartRecovery"]["Parameters"]["SourceServers.$"] == "$.sourceServers"


@pytest.mark.skipif(shutil.which("cfn-lint") is None, reason="cfn-lint not installed")
def test_cfn_lint_passes_on_template_and_rendered_template(tmp_path):
    raw = subprocess.run(["cfn-lint", str(resources_dir() / "template.yaml")], capture_output=True, text=True)
    assert raw.returncode == 0, raw.stdout + raw.stderr
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(render_template())
    out = subprocess.run(["cfn-lint", str(rendered)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_keys_and_record_parsing():
    assert c.execution_pk("x") == "EXEC#x"
    assert c.wave_sk(0) == "WAVE#0001" and c.wave_sk(41) == "WAVE#0042"
    rec = c.ExecutionRecord.from_items(
        [
            {"PK": "EXEC#x", "SK": "WAVE#0002", "waveIndex": 1, "status": "PENDING", "waveName": "b"},
            {"PK": "EXEC#x", "SK": "EXECUTION", "executionId": "x", "status": "RUNNING", "waveCount": 2},
            {"PK": "EXEC#x", "SK": "WAVE#0001", "waveIndex": 0, "status": "COMPLETED", "jobId": "drsjob-1"},
        ]
    )
    assert rec.status is ExecutionStatus.RUNNING and not rec.is_terminal
    assert [w.index for w in rec.waves] == [0, 1] and rec.waves[0].job_id == "drsjob-1"
    assert c.ExecutionRecord.from_items([]) is None
    assert c.contract_version_of({"Comment": "x drs-console-contract:1.0. y"}) == "1.0"
    assert c.contract_version_of({"Comment": "nothing"}) is None
