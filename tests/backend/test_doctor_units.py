"""Doctor's comparisons as pure functions: definition diff, foreign Tasks, policy documents, templates."""

from __future__ import annotations

import copy
import json

from drs_console.aws import definition as d
from drs_console.aws.backend import load_definition, render_template
from drs_console.aws.cfn_template import parse_template
from drs_console.aws.deployment import same_policy
from drs_console.aws.doctor.findings import DoctorFinding
from drs_console.aws.doctor.role_checks import allowed_by_documents


def test_canonical_hash_ignores_key_order_and_whitespace():
    bundled = load_definition()
    shuffled = json.loads(json.dumps(bundled, indent=7, sort_keys=True))
    assert d.definition_hash(shuffled) == d.definition_hash(bundled)
    changed = copy.deepcopy(bundled)
    changed["Comment"] += " "
    assert d.definition_hash(changed) != d.definition_hash(bundled)


def test_diff_names_states_and_fields_nested_states_included():
    bundled = load_definition()
    deployed = copy.deepcopy(bundled)
    states = deployed["States"]
    states["Extra"] = {"Type": "Pass", "End": True}
    inner = next(s for s in states.values() if "ItemProcessor" in s)["ItemProcessor"]["States"]
    inner = inner["Jobs"]["ItemProcessor"]["States"]  # 1.2: one job per account group
    inner["StartRecovery"]["Resource"] = "arn:aws:states:::lambda:invoke"
    diff = d.diff_definitions(bundled, deployed)
    assert diff.added == ("Extra",) and not diff.removed
    assert diff.lines()[1] == "StartRecovery.Resource: aws-sdk:drs:startRecovery -> lambda:invoke"
    assert d.diff_definitions(bundled, copy.deepcopy(bundled)).empty


def test_foreign_tasks_lambda_dynamic_and_unknown_integrations():
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Parameters": {"FunctionName.$": "$.fn"}, "Next": "B"},
        "B": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "Next": "C"},
        "C": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Next": "D"},
        "D": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "End": True},
    }}
    found = {t.state: why for t, why in d.foreign_tasks(definition, d.CONTRACT_INTEGRATIONS)}
    assert set(found) == {"A", "B", "C"}
    assert "dynamic" in found["A"] and "Lambda function arn:aws:lambda" in found["B"] and "sns:publish" in found["C"]
    assert d.required_actions(definition)["dynamodb:PutItem"] == ["D"]
    assert "lambda:InvokeFunction@arn:aws:lambda:us-east-1:1:function:f" in d.required_actions(definition)


def test_bundled_definition_has_no_foreign_task():
    assert d.foreign_tasks(load_definition(), d.CONTRACT_INTEGRATIONS) == []


def test_policy_documents_cover_actions_with_wildcards():
    doc = {"Statement": [
        {"Effect": "Allow", "Action": ["drs:Describe*"], "Resource": "*"},
        {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "arn:aws:dynamodb:*:*:table/h"},
        {"Effect": "Deny", "Action": "*", "Resource": "*"},
    ]}
    assert allowed_by_documents([doc], "drs:DescribeJobs", "*")
    assert not allowed_by_documents([doc], "drs:StartRecovery", "*")
    assert allowed_by_documents([doc], "dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:1:table/h")
    assert not allowed_by_documents([doc], "dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:1:table/other")
    assert same_policy({"Action": ["a"], "B": 1}, {"B": 1, "Action": "a"})


def test_rendered_template_parses_with_intrinsics_and_the_inlined_definition():
    template = parse_template(render_template())
    sm = template["Resources"]["StateMachine"]["Properties"]
    assert json.loads(sm["DefinitionString"]) == load_definition()
    assert sm["RoleArn"] == {"Fn::GetAtt": ["StateMachineRole", "Arn"]}
    assert {"DefinitionHash", "RepairToken"} <= set(template["Parameters"])


def test_findings_table_tooltip_lists_the_details(qtbot):
    from drs_console.ui.models.backend_models import FindingColumn, FindingsModel

    model = FindingsModel()
    model.set_items([DoctorFinding("definition", "FAIL", "differs", "deploy", ("IsDrill.Result.isDrill: true -> false",))])
    tip = model.index(0, FindingColumn.MESSAGE).data(0x03)  # Qt.ToolTipRole
    assert "IsDrill.Result.isDrill: true -> false" in tip and tip.startswith("differs")
