"""The CLI as a Unix tool, against one sandbox for the module: quiet when the reader of its output
goes away, counted nouns that agree, history filters/CSV/prune by ID, and the sandbox answering
what moto cannot as AWS does."""

from __future__ import annotations

import csv
import io
import json
import logging
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from drs_console.cli.main import EXIT_PIPE, main
from drs_console.domain import history as h
from drs_console.domain.plan import Plan, ServerRef, Wave
from drs_console.domain.status import ACTIVE_STATUSES
from drs_console.store.plan_io import write_plan_file

ROOT = Path(__file__).resolve().parents[2]


class ClosedPipe(io.StringIO):
    """stdout whose reader went away (`drs-console ... | head -1` after head exited)."""

    def write(self, _text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# -- BrokenPipe ----------------------------------------------------------------------------------
def test_piped_into_a_reader_that_closes_early_no_traceback_and_exit_141(tmp_path):
    """`drs-console --sandbox history list --json | head -1`, made deterministic: the reader closes
    the pipe before the CLI writes anything."""
    err_path = tmp_path / "stderr.txt"
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "drs_console", "--sandbox", "history", "list", "--json"],
            stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT,
        )
        proc.stdout.close()  # the reader went away
        rc = proc.wait(timeout=120)
    stderr = err_path.read_text(errors="replace")
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr and "Exception ignored" not in stderr
    assert rc == EXIT_PIPE


@pytest.mark.parametrize("argv", [("inventory",), ("history", "list", "--json"), ("status", "{eid}")])
def test_a_reader_that_goes_away_ends_the_command_quietly(cli, cli_sandbox, argv):
    argv = [a.format(eid=cli_sandbox.seed.execution_ids[0]) for a in argv]
    ran = cli(*argv, out=ClosedPipe())
    assert ran.rc == EXIT_PIPE == 141
    assert ran.err == ""


# -- counted nouns -------------------------------------------------------------------------------
def test_preflight_of_one_wave_of_one_server_says_it_in_the_singular(cli, cli_sandbox, tmp_path):
    sid = sorted(cli_sandbox.sandbox.drs.server_ids())[-1]
    plan = Plan.new("Single", target_account_id=cli_sandbox.sandbox.account_id, target_region="us-east-1")
    plan.add_wave(None, Wave(name="DB", servers=[ServerRef(sid)]))
    path = tmp_path / "single.json"
    write_plan_file(path, plan, backup=False)
    ran = cli("preflight", str(path))
    assert "The plan is valid (1 wave)." in ran.out
    assert "wave 1 'DB': 1 server" in ran.out
    assert "1 waves" not in ran.out and "1 servers" not in ran.out


# -- history list ------------------------------------------------------------------------------
def test_since_error_is_a_sentence(cli):
    ran = cli("history", "list", "--since", "soon")
    assert ran.rc == 2
    assert "nor a date (2024-05-01). See 'drs-console history list --help'." in ran.err


def test_type_is_accepted_in_any_case(cli):
    ran = cli("history", "list", "--type", "drill", "--json")
    doc = json.loads(ran.out)
    assert ran.rc == 0 and doc["count"] > 0
    assert {e["executionType"] for e in doc["executions"]} == {"DRILL"}


def test_a_filtered_list_counts_the_rows_it_shows(cli, cli_sandbox):
    total = json.loads(cli("history", "list", "--json").out)["count"]
    ran = cli("history", "list", "--status", "active")
    rows = ran.out.strip().splitlines()[1:-2]  # header ... blank line, footer
    assert 0 < len(rows) < total
    assert ran.out.strip().splitlines()[-1] == f"{len(rows)} of {total} executions in {cli_sandbox.table}"


def test_until_keeps_what_started_before_it(cli):
    every = json.loads(cli("history", "list", "--json").out)["executions"]
    earliest = datetime.now(UTC) - timedelta(days=2)  # "2d" ago, as the command reads it: between the two
    ran = cli("history", "list", "--until", "2d", "--json")
    latest = datetime.now(UTC) - timedelta(days=2)
    doc = json.loads(ran.out)
    started = {e["executionId"]: datetime.fromisoformat(e["startedAt"]) for e in every if e["startedAt"]}
    at_the_limit = {e for e, at in started.items() if earliest < at <= latest}  # either way is right
    expected = [e["executionId"] for e in every if e["executionId"] in started and started[e["executionId"]] <= earliest]
    assert ran.rc == 0 and 0 < doc["count"] < len(every)
    listed = [e["executionId"] for e in doc["executions"]]
    assert [e for e in listed if e not in at_the_limit] == expected and set(listed) <= set(expected) | at_the_limit
    bad = cli("history", "list", "--since", "1d", "--until", "3d")
    assert bad.rc == 2 and "--since 1d is after --until 3d." in bad.err


def test_csv_export_writes_the_listed_rows_as_the_desktop_does(cli, cli_sandbox, tmp_path):
    listed = json.loads(cli("history", "list", "--status", "finished", "--json").out)
    target = tmp_path / "history.csv"
    ran = cli("history", "list", "--status", "finished", "--csv", str(target))
    assert ran.rc == 0
    assert ran.out.strip() == f"Wrote {listed['count']} executions of {cli_sandbox.table} to {target}."
    written = target.read_bytes().decode("utf-8")
    rows = list(csv.reader(io.StringIO(written, newline="")))
    assert tuple(rows[0]) == h.CSV_HEADER
    assert [r[-1] for r in rows[1:]] == [e["executionId"] for e in listed["executions"]]
    to_stdout = cli("history", "list", "--status", "finished", "--csv", "-")
    assert to_stdout.out == written
    denied = cli("history", "list", "--csv", str(tmp_path))
    assert denied.rc == 2 and denied.err.startswith(f"drs-console: Cannot write {tmp_path}")


# -- history prune -----------------------------------------------------------------------------
def test_an_older_than_prune_counts_every_running_execution_as_preserved(cli, cli_sandbox):
    active = [e for e, s in cli_sandbox.seed.status_of.items() if s in {a.value for a in ACTIVE_STATUSES}]
    ran = cli("history", "prune", "--older-than", "1.5", "--dry-run", "--json")
    preview = json.loads(ran.out)["preview"]
    assert ran.rc == 0 and active
    assert preview["preservedActive"] == len(active)
    text = cli("history", "prune", "--older-than", "1.5", "--dry-run").out
    assert f"Preserved: {len(active)} active execution{'s' if len(active) != 1 else ''}." in text


def test_prune_by_id_deletes_only_those_and_keeps_an_active_one(cli, cli_sandbox):
    seed = cli_sandbox.seed
    done = seed.ids_with("COMPLETED")[0]
    running = next(e for e, s in seed.status_of.items() if s in {a.value for a in ACTIVE_STATUSES})
    unknown = cli("history", "prune", "--id", done, "no-such-execution", "--yes")
    assert unknown.rc == 2 and "No execution no-such-execution in the history table" in unknown.err
    ran = cli("history", "prune", "--id", done, running, "--yes", "--json")
    doc = json.loads(ran.out)
    assert ran.rc == 0
    assert doc["preview"]["scope"] == "the 2 selected executions"
    assert doc["result"]["deleted"] == 1 and doc["preview"]["preservedActive"] == 1
    left = {e["executionId"] for e in json.loads(cli("history", "list", "--json").out)["executions"]}
    assert done not in left and running in left


# -- sandbox: what moto cannot answer ----------------------------------------------------------
def test_unimplemented_operations_get_aws_errors_and_one_log_line(cli_sandbox, caplog):
    caplog.set_level(logging.WARNING)
    sb = cli_sandbox.sandbox
    with pytest.raises(ClientError) as quotas:
        sb.client("service-quotas").list_service_quotas(ServiceCode="drs")
    assert quotas.value.response["Error"]["Code"] == "UnknownOperationException"
    assert quotas.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as iam:
        sb.client("iam").simulate_principal_policy(PolicySourceArn="arn:aws:iam::123456789012:user/x",
                                                   ActionNames=["drs:StartRecovery"])
    assert iam.value.response["Error"]["Code"] == "InvalidAction"
    with pytest.raises(ClientError) as mars:
        boto3.client("drs", region_name="mars-1", endpoint_url=sb.endpoint_url, aws_access_key_id="x",
                     aws_secret_access_key="x").describe_jobs()
    assert mars.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert "'mars-1'" in mars.value.response["Error"]["Message"]
    lines = [r.getMessage() for r in caplog.records]
    assert not [r for r in caplog.records if r.name.startswith("werkzeug")]
    assert len([m for m in lines if "ListServiceQuotas is not implemented" in m]) == 1
    assert len([m for m in lines if "SimulatePrincipalPolicy is not implemented" in m]) == 1
    assert not [r for r in caplog.records if r.exc_info]


def test_serve_refuses_a_region_that_does_not_exist(capsys):
    assert main(["sandbox", "serve", "--region", "mars-1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("drs-console: The region 'mars-1' is not a region where Elastic Disaster Recovery")
    assert len(err.strip().splitlines()) == 1


def test_a_run_start_reads_the_optional_probe_without_an_error(cli_sandbox, caplog):
    caplog.set_level(logging.ERROR)
    sfn = cli_sandbox.sandbox.client("stepfunctions")

    def finished(arn):
        desc = sfn.describe_execution(executionArn=arn)
        return desc if desc["status"] != "RUNNING" else None

    run = sfn.start_execution(stateMachineArn=cli_sandbox.state_machine_arn, name="not-a-probe",
                              input=json.dumps({"contractVersion": "0.9"}))
    assert wait_for(lambda: finished(run["executionArn"]))["status"] == "FAILED"
    history = sfn.get_execution_history(executionArn=run["executionArn"])["events"]
    assert any(e.get("executionFailedEventDetails", {}).get("error") == "DrsConsole.ContractVersionMismatch"
               for e in history)
    probe = sfn.start_execution(stateMachineArn=cli_sandbox.state_machine_arn, name="probe",
                                input=(ROOT / "resources" / "backend" / "probe-input.json").read_text())
    done = wait_for(lambda: finished(probe["executionArn"]))
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"contractVersion": "1.2", "probe": True}
    assert not [r for r in caplog.records if "NoSuchJsonPath" in r.getMessage()]
