"""Misdeployed backends built with boto3 against the sandbox endpoint (never through doctor's own
code), checked with the real CLI: the finding, its severity, and that the remedy doctor prints
(`backend deploy`, or `doctor --fix --yes`) brings doctor back to PASS.

One sandbox for the whole module: each case breaks the shared stack, then repairs it; cases that
need a stack of their own use distinct stack names. What moto cannot represent is said per case:
its IAM is not enforced (a role without drs:StartRecovery still runs), it has no
SimulatePrincipalPolicy (doctor reads the policy documents instead) and no drift detection, and
its CloudFormation cannot roll an update back (the rollback state is set on moto's stack object).
"""

from __future__ import annotations

import io
import json
import re
import shlex
import subprocess
import uuid
from pathlib import Path

import pytest
from conftest import wait_for

from drs_console.aws.backend import build_execution_input, load_definition, render_template
from drs_console.aws.definition import definition_hash
from drs_console.aws.session import AwsConnection, ConnectionParams
from drs_console.cli.context import CliContext
from drs_console.cli.main import build_parser, run_command
from drs_console.domain import contract as c
from drs_console.sandbox.sandbox import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY

pytestmark = pytest.mark.e2e

STACK = "drs-console"
ROOT = Path(__file__).resolve().parents[2]


def cli(backend, *argv, region: str | None = None, plain: bool = False):
    """The real CLI in-process, on the module's connection (its clients are made once); ``plain``:
    a connection made from the command line's --endpoint-url, not flagged as the sandbox."""
    out, err = io.StringIO(), io.StringIO()
    ctx = CliContext(out=out, err=err)
    if plain:
        args = build_parser().parse_args(list(argv))
        ctx = CliContext(region=args.region, endpoint_url=args.endpoint_url, out=out, err=err)
    elif region:
        params = backend.sandbox.connection_params()
        ctx._connection = AwsConnection(ConnectionParams(
            region=region, endpoint_url=params.endpoint_url,
            static_credentials=(SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY)))
        ctx._closers.append(ctx._connection.close)
    else:
        ctx._connection = backend.conn
    code = run_command(build_parser().parse_args(list(argv)), ctx)
    ctx.close()
    return code, out.getvalue(), err.getvalue()


def doctor(backend, *argv, region: str | None = None):
    code, out, err = cli(backend, "doctor", "--json", "--probe-timeout", "20", *argv, region=region)
    assert out, err
    doc = json.loads(out)
    return code, doc, {f["check"]: f for f in doc["findings"]}


def assert_healthy(backend, *argv, region: str | None = None) -> None:
    """Every check PASSes; only 'permissions' may WARN (the sandbox cannot simulate IAM)."""
    code, doc, f = doctor(backend, *argv, region=region)
    bad = {k: v["message"] for k, v in f.items() if v["level"] != "PASS" and k != "permissions"}
    assert not bad, bad
    assert code == 0


def deploy(backend, *argv, region: str | None = None):
    code, out, err = cli(backend, "backend", "deploy", "--json", *argv, region=region)
    return code, (json.loads(out) if out else {}), err


def sm_arn(backend) -> str:
    return backend.location.state_machine_arn


def deployed_definition(backend) -> dict:
    sfn = backend.sandbox.client("stepfunctions")
    return json.loads(sfn.describe_state_machine(stateMachineArn=sm_arn(backend))["definition"])


def put_definition(backend, definition: dict) -> None:
    backend.sandbox.client("stepfunctions").update_state_machine(
        stateMachineArn=sm_arn(backend), definition=json.dumps(definition)
    )


def states_of(definition: dict) -> dict:
    """Every state by name, the Map's nested states included."""
    out = {}

    def walk(states):
        for name, st in states.items():
            out[name] = st
            for key in ("ItemProcessor", "Iterator"):
                if key in st:
                    walk(st[key]["States"])

    walk(definition["States"])
    return out


def role_name(backend) -> str:
    cfn = backend.sandbox.client("cloudformation")
    res = cfn.describe_stack_resource(StackName=STACK, LogicalResourceId="StateMachineRole")
    return res["StackResourceDetail"]["PhysicalResourceId"]


def test_healthy_backend_passes_and_probe_proves_the_path(backend):
    code, doc, f = doctor(backend)
    assert code == 0
    assert "dynamodb:getItem" in f["probe"]["message"] and "describeJobs" in f["probe"]["message"]
    assert not {k: v for k, v in f.items() if v["level"] != "PASS" and k != "permissions"}


def test_placeholder_lambda_replacing_start_recovery(backend):
    """The case the product exists for: marker and probe intact, StartRecovery a placeholder Lambda."""
    iam, lam = backend.sandbox.client("iam"), backend.sandbox.client("lambda")
    role = iam.create_role(RoleName=f"fn-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def placeholder(event, context):\n    raise Exception('Unknown action')\n")
    fn = lam.create_function(FunctionName="drs-placeholder", Runtime="python3.12", Role=role,
                             Handler="handler.placeholder", Code={"ZipFile": buf.getvalue()})
    definition = deployed_definition(backend)
    st = states_of(definition)["StartRecovery"]
    st["Resource"] = "arn:aws:states:::lambda:invoke"
    st["Parameters"] = {"FunctionName": fn["FunctionArn"], "Payload.$": "$"}
    put_definition(backend, definition)

    code, doc, f = doctor(backend)
    assert code == 1 and doc["result"] == "FAIL"
    assert f["contract"]["level"] == "PASS"  # it still claims the contract...
    assert f["definition"]["level"] == "FAIL"  # ...but it is not what this console ships
    assert "StartRecovery.Resource: aws-sdk:drs:startRecovery -> lambda:invoke" in f["definition"]["details"]
    assert f["tasks"]["level"] == "FAIL" and "StartRecovery" in f["tasks"]["message"]
    lam_f = f["lambda:StartRecovery"]
    assert lam_f["level"] == "FAIL" and "handler.placeholder" in lam_f["message"] and fn["CodeSha256"] in lam_f["message"]
    assert f["probe"]["level"] == "FAIL" and "not run" in f["probe"]["message"] and "StartRecovery" in f["probe"]["message"]
    assert "backend deploy --stack-name drs-console" in f["definition"]["remedy"]

    code, result, err = deploy(backend)
    assert code == 0, err
    assert any("State machine" in r for r in result["repairs"])
    assert_healthy(backend)


def test_task_free_placeholder_that_answers_the_probe_is_repaired_by_fix(backend):
    placeholder = {
        "Comment": "placeholder. " + c.CONTRACT_MARKER,
        "StartAt": "IsProbe",
        "States": {
            "IsProbe": {"Type": "Choice", "Choices": [{"Variable": "$.probe", "IsPresent": True, "Next": "ProbeAnswer"}],
                        "Default": "PlaceholderFunction"},
            "ProbeAnswer": {"Type": "Pass", "Result": {"contractVersion": c.CONTRACT_VERSION, "probe": True}, "End": True},
            "PlaceholderFunction": {"Type": "Fail", "Error": "Unknown action: initialize", "Cause": "placeholder"},
        },
    }
    put_definition(backend, placeholder)
    sfn = backend.sandbox.client("stepfunctions")
    runs = [sfn.start_execution(stateMachineArn=sm_arn(backend), name=f"placeholder-run-{i}", input="{}")[
        "executionArn"] for i in range(2)]
    _wait_ended(sfn, runs)
    code, doc, f = doctor(backend)
    assert f["definition"]["level"] == "FAIL" and "removed" in f["definition"]["message"]
    probe = f["probe"]
    assert probe["level"] == "FAIL" and "no Task at all" in probe["message"], probe
    ex = f["executions"]
    assert ex["level"] == "FAIL" and "Unknown action: initialize" in ex["message"] and "PlaceholderFunction" in ex[
        "message"]

    code, out, err = cli(backend, "doctor", "--fix", "--yes", "--probe-timeout", "20")
    assert "repaired: State machine" in out, out
    assert "Checking again:" in out
    assert code == 0, out
    assert_healthy(backend)  # the runs of the placeholder failed before this deployment: not counted
    code, doc, f = doctor(backend)
    assert "2 runs that failed before the last deployment" in f["executions"]["message"]


def test_out_of_band_is_drill_edit_and_removed_retries(backend):
    definition = deployed_definition(backend)
    states = states_of(definition)
    states["IsDrill"]["Result"]["isDrill"] = False
    del states["StartRecovery"]["Retry"]
    put_definition(backend, definition)
    code, doc, f = doctor(backend)
    d = f["definition"]
    assert d["level"] == "FAIL" and d["fix"] == "deploy"
    assert "IsDrill.Result.isDrill: true -> false" in d["details"]
    assert any(line.startswith("StartRecovery.Retry: ") and line.endswith("-> (removed)") for line in d["details"])
    assert deploy(backend)[0] == 0
    assert_healthy(backend)


def test_older_release_is_named(backend):
    """A definition equal to a released one (resources/backend/released-definitions.json) is named as
    that release, not as foreign. Release 0.1.0 is read from git history."""
    released = json.loads((ROOT / "resources/backend/released-definitions.json").read_text())["releases"][0]
    try:
        text = subprocess.run(["git", "log", "--format=%H", "--", "resources/backend/state-machine.asl.json"],
                              cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
        old = None
        for commit in text:
            body = subprocess.run(["git", "show", f"{commit}:resources/backend/state-machine.asl.json"], cwd=ROOT,
                                  capture_output=True, text=True, check=True).stdout
            if definition_hash(json.loads(body)) == released["sha256"]:
                old = json.loads(body)
                break
    except (OSError, subprocess.CalledProcessError):
        old = None
    if old is None:
        pytest.skip("release 0.1.0 of the definition is not in this checkout's git history")
    if definition_hash(load_definition()) == released["sha256"]:
        pytest.skip("the bundled definition is still release 0.1.0")
    put_definition(backend, old)
    code, doc, f = doctor(backend)
    assert "an older release of this backend, 0.1.0 (contract 1.0)" in f["definition"]["message"]
    # contract 1.0 is older than the console's 1.2: it cannot run point-in-time inputs, so FAIL (deploy fixes it)
    assert f["definition"]["level"] == ("WARN" if c.CONTRACT_VERSION == "1.0" else "FAIL")
    assert deploy(backend)[0] == 0
    assert_healthy(backend)


def test_older_contract_is_updated_by_deploy(backend):
    definition = deployed_definition(backend)
    definition["Comment"] = definition["Comment"].replace(c.CONTRACT_MARKER, "drs-console-contract:0.9")
    put_definition(backend, definition)
    code, doc, f = doctor(backend)
    contract = f["contract"]
    assert contract["level"] == "FAIL" and "0.9, older than this console's 1.2" in contract["message"]
    assert contract["fix"] == "deploy" and "backend deploy --stack-name drs-console" in contract["remedy"]
    assert any(line.startswith("(definition).Comment:") for line in f["definition"]["details"])
    assert "not run" in f["probe"]["message"]
    assert deploy(backend)[0] == 0
    assert_healthy(backend)


def test_state_machine_deleted_under_a_complete_stack(backend):
    backend.sandbox.client("stepfunctions").delete_state_machine(stateMachineArn=sm_arn(backend))
    code, doc, f = doctor(backend)
    res = f["resources"]
    assert res["level"] == "FAIL" and f"StateMachine ({sm_arn(backend)})" in res["message"], res
    code, result, err = deploy(backend)
    assert code == 0, (result, err)
    assert any("created again under the ARN the stack records" in r for r in result["repairs"])
    assert_healthy(backend)


def test_role_deleted(backend):
    iam = backend.sandbox.client("iam")
    name = role_name(backend)
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    iam.delete_role(RoleName=name)
    code, doc, f = doctor(backend)
    assert code == 1
    assert f["resources"]["level"] == "FAIL" and "StateMachineRole" in f["resources"]["message"]
    assert f["role"]["level"] == "FAIL" and "does not exist" in f["role"]["message"]
    code, result, err = deploy(backend)
    assert code == 0, err
    assert any("created again" in r for r in result["repairs"])
    assert_healthy(backend)


def test_role_without_start_recovery(backend):
    """moto does not enforce IAM: the state machine would still run; doctor reads the policy."""
    iam = backend.sandbox.client("iam")
    name = role_name(backend)
    doc = iam.get_role_policy(RoleName=name, PolicyName="drs-waves")["PolicyDocument"]
    if isinstance(doc, str):
        import ast

        doc = ast.literal_eval(doc)
    for st in doc["Statement"]:
        if isinstance(st.get("Action"), list) and "drs:StartRecovery" in st["Action"]:
            st["Action"].remove("drs:StartRecovery")
    iam.put_role_policy(RoleName=name, PolicyName="drs-waves", PolicyDocument=json.dumps(doc))
    code, doc_, f = doctor(backend)
    perm = f["role-permissions"]
    assert perm["level"] == "FAIL" and "drs:StartRecovery" in perm["message"]
    assert "conditions and Deny statements were not evaluated" in perm["message"]
    assert f["role"]["level"] == "FAIL"
    assert deploy(backend)[0] == 0
    assert_healthy(backend)


def test_role_with_a_policy_the_template_does_not_grant(backend):
    iam = backend.sandbox.client("iam")
    name = role_name(backend)
    iam.put_role_policy(RoleName=name, PolicyName="extra", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}]}))
    code, doc, f = doctor(backend)
    role = f["role"]
    command = f"aws iam delete-role-policy --role-name {name} --policy-name extra"
    assert role["level"] == "WARN" and "inline policy extra" in role["message"] and command in role["remedy"]
    iam.delete_role_policy(RoleName=name, PolicyName="extra")  # what the remedy says
    assert_healthy(backend)


def test_index_on_the_wrong_keys(backend):
    ddb = backend.sandbox.client("dynamodb")
    table = backend.location.history_table
    ddb.update_table(TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "ByStartTime"}}])
    code, doc, f = doctor(backend)
    assert f["history-table"]["level"] == "FAIL" and "ByStartTime is missing" in f["history-table"]["message"]
    ddb.update_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}, {"AttributeName": "SK", "AttributeType": "S"},
                              {"AttributeName": "GSI1SK", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "ByStartTime",
            "KeySchema": [{"AttributeName": "SK", "KeyType": "HASH"}, {"AttributeName": "GSI1SK", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}}],
    )
    code, doc, f = doctor(backend)
    ht = f["history-table"]
    assert ht["level"] == "FAIL" and "index ByStartTime has keys SK (S, HASH)" in ht["message"], ht
    code, result, err = deploy(backend)
    assert code == 0, err
    assert any("index was rebuilt" in r for r in result["repairs"])
    assert_healthy(backend)


def test_primary_key_of_the_wrong_type(backend):
    ddb = backend.sandbox.client("dynamodb")
    table = backend.location.history_table
    ddb.delete_table(TableName=table)
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "N"},
                                           {"AttributeName": "SK", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}])
    code, doc, f = doctor(backend)
    ht = f["history-table"]
    assert ht["level"] == "FAIL" and "PK (N, HASH)" in ht["message"]
    command = f"aws dynamodb delete-table --table-name {table} --region us-east-1"
    assert command in ht["remedy"]
    code, result, err = deploy(backend)  # the console cannot convert the items: it says what to do
    assert code == 1 and any(command in m for m in result["manual"])
    ddb.delete_table(TableName=table)  # what the remedy says, then deploy again
    code, result, err = deploy(backend)
    assert code == 0, (result, err)
    assert_healthy(backend)


def test_stack_in_update_rollback_complete(backend):
    """moto cannot roll an update back: the status is set on moto's stack object."""
    from moto.cloudformation.models import cloudformation_backends

    stacks = cloudformation_backends[backend.sandbox.account_id]["us-east-1"].stacks
    stack = next(s for s in stacks.values() if s.name == STACK and s.status != "DELETE_COMPLETE")
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
    code, doc, f = doctor(backend)
    st = f["stack"]
    assert st["level"] == "WARN" and "previous backend is still live" in st["message"]
    assert code == 0  # a WARN: the old backend still works
    assert deploy(backend)[0] == 0
    assert backend.sandbox.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == \
        "UPDATE_COMPLETE"
    assert_healthy(backend)


def _wait_ended(sfn, arns):
    wait_for(lambda: all(sfn.describe_execution(executionArn=a)["status"] != "RUNNING" for a in arns),
             timeout=30, what="the executions to end")


def test_failed_probes_do_not_hide_failed_runs(backend):
    name = "drs-runs"
    code, out, err = cli(backend, "backend", "deploy", "--stack-name", name)
    assert code == 0, err
    outputs = {o["OutputKey"]: o["OutputValue"] for o in
               backend.sandbox.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]["Outputs"]}
    sfn = backend.sandbox.client("stepfunctions")
    arn = outputs["StateMachineArn"]
    arns = []
    for i in range(5):  # real runs from a console of another contract: they FAIL before any write
        doc = build_execution_input(plan_id="p", plan_name="P", plan_version=i + 1, history_table=outputs[
            "HistoryTableName"], waves=[{"name": "w", "sourceServerIds": backend.servers(1)}], initiated_by="t")
        doc["contractVersion"] = "0.9"
        arns.append(sfn.start_execution(stateMachineArn=arn, name=doc["executionId"], input=json.dumps(doc))["executionArn"])
    _wait_ended(sfn, arns)
    probes = [sfn.start_execution(stateMachineArn=arn, name=f"drs-console-probe-{i}", input=json.dumps(
        {"probe": True, "contractVersion": "1.0", "historyTable": "no-such-table"}))["executionArn"] for i in range(5)]
    _wait_ended(sfn, probes)
    ddb = backend.sandbox.client("dynamodb")
    for i, (status, error) in enumerate([("COMPLETED", ""), ("FAILED", "Drs.ValidationException")]):
        started = f"2026-01-01T00:0{i}:00Z"
        ddb.put_item(TableName=outputs["HistoryTableName"], Item={
            "PK": {"S": f"EXEC#rec-{i}"}, "SK": {"S": "EXECUTION"}, "GSI1PK": {"S": "EXECUTION"},
            "GSI1SK": {"S": f"{started}#rec-{i}"}, "executionId": {"S": f"rec-{i}"}, "status": {"S": status},
            "planName": {"S": "ERP"}, "startedAt": {"S": started}, "error": {"S": error},
            "cause": {"S": "Invalid source server" if error else ""}})
    code, doc, f = doctor(backend, "--stack-name", name)
    rec = f["history-records"]  # a record that failed although no execution says so
    assert rec["level"] == "WARN" and "1 of the newest 2" in rec["message"] and "Drs.ValidationException" in rec["message"]
    assert rec["details"] == ["rec-1 (ERP): FAILED: Drs.ValidationException: Invalid source server"]
    ex = f["executions"]
    assert ex["level"] == "FAIL", ex
    assert "All 5 of the newest 5 executions failed (5 FAILED)" in ex["message"]
    assert "DrsConsole.ContractVersionMismatch" in ex["message"]
    assert len(ex["details"]) == 5 and all("probe" not in line for line in ex["details"])


def test_timed_out_runs(backend):
    sfn = backend.sandbox.client("stepfunctions")
    arn = sfn.create_state_machine(
        name=f"slow-{uuid.uuid4().hex[:6]}", roleArn="arn:aws:iam::123456789012:role/x",
        definition=json.dumps({"StartAt": "Wait", "TimeoutSeconds": 1,
                               "States": {"Wait": {"Type": "Wait", "Seconds": 30, "End": True}}}),
    )["stateMachineArn"]
    arns = [sfn.start_execution(stateMachineArn=arn, name=f"run-{i}", input="{}")["executionArn"] for i in range(5)]
    _wait_ended(sfn, arns)
    code, doc, f = doctor(backend, "--state-machine-arn", arn, "--history-table", backend.location.history_table)
    ex = f["executions"]
    assert ex["level"] == "FAIL" and "5 TIMED_OUT" in ex["message"], ex
    assert f["contract"]["level"] == "FAIL"  # not ours either
    assert f["probe"]["level"] == "FAIL" and "not run" in f["probe"]["message"]


def test_newer_backend_is_never_downgraded_by_accident(backend):
    name = "drs-newer"
    definition = load_definition()
    definition["Comment"] = definition["Comment"].replace(c.CONTRACT_MARKER, "drs-console-contract:2.0")
    body = render_template(definition=definition,
                           template=(ROOT / "resources/backend/template.yaml").read_text()).replace(
        'Value: "1.2"\n', 'Value: "2.0"\n')
    cfn = backend.sandbox.client("cloudformation")
    cfn.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
    wait_for(lambda: cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE",
             timeout=30, what="the newer stack")
    code, doc, f = doctor(backend, "--stack-name", name)
    contract = f["contract"]
    assert contract["level"] == "FAIL" and "newer than this console" in contract["message"]
    assert "Update DRS Console" in contract["remedy"]
    assert not [k for k, v in f.items() if v.get("fix") == "deploy"]  # nothing recommends a downgrade
    code, out, err = cli(backend, "backend", "deploy", "--stack-name", name)
    assert code == 2 and "implements contract 2.0" in err and "--allow-downgrade" in err
    code, result, err = deploy(backend, "--stack-name", name, "--allow-downgrade")
    assert code == 0, err
    assert_healthy(backend, "--stack-name", name)


def test_stack_in_another_region(backend):
    code, out, err = cli(backend, "backend", "deploy", "--stack-name", "drs-west", region="us-west-2")
    assert code == 0, err
    code, doc, f = doctor(backend, "--stack-name", "drs-west")
    st = f["stack"]
    assert st["level"] == "FAIL" and "drs-west in us-west-2" in st["message"]
    assert "--region us-west-2 --stack-name drs-west" in st["remedy"]
    code, doc, f = doctor(backend, "--stack-name", "drs-west", region="us-west-2")
    assert f["stack"]["level"] == "PASS" and f["definition"]["level"] == "PASS"
    west_arn = "arn:aws:states:us-west-2:123456789012:stateMachine:drs-west-waves"
    code, doc, f = doctor(backend, "--state-machine-arn", west_arn, "--history-table", "drs-west-history")
    assert f["stack"]["level"] == "FAIL" and "is in us-west-2, not in us-east-1" in f["stack"]["message"]


def test_an_endpoint_without_policy_simulation_gives_one_clear_line(backend, monkeypatch):
    """Not flagged as the sandbox (a plain --endpoint-url): the endpoint does not implement
    SimulatePrincipalPolicy (an unknown action, or an HTML error page); doctor says so in one line
    and checks the role from its policy documents."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", SANDBOX_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SANDBOX_SECRET_KEY)
    code, out, err = cli(backend, "--endpoint-url", backend.sandbox.endpoint_url, "--region", "us-east-1",
                         "doctor", "--json", "--probe-timeout", "20", plain=True)
    f = {x["check"]: x for x in json.loads(out)["findings"]}
    perm = f["permissions"]
    assert perm["level"] == "WARN"
    assert perm["message"] == ("Your permissions were not checked: the IAM endpoint does not implement "
                               "SimulatePrincipalPolicy.")
    role = f["role-permissions"]
    assert role["level"] == "PASS" and "the IAM endpoint does not implement SimulatePrincipalPolicy" in role["message"]
    assert "<" not in json.dumps(f)


def test_stack_deployed_from_another_template(backend):
    """A stack whose template is not this console's (here: the role's policy lacks drs:TagResource),
    created with boto3; backend deploy brings it to this console's template."""
    name = "drs-oldtpl"
    body = render_template().replace("                  - drs:TagResource\n", "", 1)
    assert body != render_template()
    cfn = backend.sandbox.client("cloudformation")
    cfn.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
    wait_for(lambda: cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE",
             timeout=30, what="the stack")
    code, doc, f = doctor(backend, "--stack-name", name)
    tpl = f["template"]
    assert tpl["level"] == "FAIL" and "StateMachineRole: Policies would change" in tpl["details"], tpl
    assert tpl["fix"] == "deploy"
    code, result, err = deploy(backend, "--stack-name", name)
    assert code == 0, err
    assert_healthy(backend, "--stack-name", name)


def test_a_printed_remedy_runs_as_typed_against_the_same_endpoint(backend, monkeypatch):
    """Doctor, connected with --endpoint-url, prints a deploy line that carries --endpoint-url: typed
    as printed it deploys where doctor looked (not to the default AWS endpoints), and doctor passes."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", SANDBOX_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SANDBOX_SECRET_KEY)
    url, name = backend.sandbox.endpoint_url, "drs-remedy"
    base = ("--endpoint-url", url, "--region", "us-east-1")
    code, out, err = cli(backend, *base, "doctor", "--json", "--stack-name", name, "--probe-timeout", "20", plain=True)
    stack = {x["check"]: x for x in json.loads(out)["findings"]}["stack"]
    assert code == 1 and stack["level"] == "FAIL"
    line = re.search(r"'(drs-console [^']*backend deploy[^']*)'", stack["remedy"]).group(1)
    assert f"--endpoint-url {url}" in line and f"--stack-name {name}" in line
    code, out, err = cli(backend, *shlex.split(line)[1:], plain=True)
    assert code == 0, err
    code, out, err = cli(backend, *base, "doctor", "--json", "--stack-name", name, "--probe-timeout", "20", plain=True)
    bad = {x["check"]: x["message"] for x in json.loads(out)["findings"]
           if x["level"] != "PASS" and x["check"] != "permissions"}
    assert not bad, bad
