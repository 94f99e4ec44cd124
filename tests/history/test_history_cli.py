"""`drs-console history list|prune` against the sandbox's seeded history."""

from __future__ import annotations

import io
import json

import pytest

from drs_console.aws.session import AwsConnection
from drs_console.cli.context import CliContext
from drs_console.cli.main import build_parser, run_command


@pytest.fixture
def cli(history_sandbox):
    history_sandbox.reseed(40)

    def run(*argv, stdin=None, monkeypatch=None):
        args = build_parser().parse_args(list(argv))
        out, err = io.StringIO(), io.StringIO()
        ctx = CliContext(out=out, err=err, _connection=AwsConnection(history_sandbox.sandbox.connection_params()))
        rc = run_command(args, ctx)
        return rc, out.getvalue(), err.getvalue()

    return run


class FakeTty(io.StringIO):
    def isatty(self):
        return True


def test_list_every_execution_as_json_and_filtered(cli, history_sandbox):
    rc, out, _err = cli("history", "list", "--json")
    data = json.loads(out)
    assert rc == 0 and data["count"] == 40 and data["historyTable"] == history_sandbox.table
    assert {e["executionId"] for e in data["executions"]} == set(history_sandbox.seed.execution_ids)
    rc, out, _ = cli("history", "list", "--status", "active", "--json")
    active = {e["status"] for e in json.loads(out)["executions"]}
    assert rc == 0 and active and active <= {"RUNNING", "PAUSED", "PENDING", "CANCELLING"}
    rc, out, _ = cli("history", "list", "--status", "failed", "--status", "timeout", "--since", "365d", "--json")
    assert rc == 0 and {e["status"] for e in json.loads(out)["executions"]} == {"FAILED", "TIMEOUT"}
    rc, out, _ = cli("history", "list", "--history-table", history_sandbox.table)
    assert rc == 0 and out.splitlines()[0].startswith("STARTED (UTC)") and "40 executions in" in out


def test_bad_input_exits_2(cli, capsys):
    for argv in (("history", "list", "--status", "bogus"), ("history", "list", "--since", "soon")):
        rc, _out, err = cli(*argv)
        assert rc == 2 and err.startswith("drs-console: ")
    with pytest.raises(SystemExit) as info:  # refused by the argument type (tests/cli/test_argument_ranges.py)
        cli("history", "prune", "--older-than", "-1", "--yes")
    assert info.value.code == 2 and "drs-console history" in capsys.readouterr().err


def test_unknown_table_or_stack_exits_3(cli):
    rc, _out, err = cli("history", "list", "--history-table", "nope")
    assert rc == 3 and "does not exist" in err
    rc, _out, err = cli("history", "prune", "--stack", "no-such-stack", "--yes")
    assert rc == 3 and "--history-table" in err


def test_dry_run_only_previews(cli, history_sandbox):
    before = len(history_sandbox.items())
    rc, out, _ = cli("history", "prune", "--dry-run", "--json")
    data = json.loads(out)
    assert rc == 0 and data["dryRun"] and data["result"] is None
    p = data["preview"]
    assert p["preservedLiveJobs"] == len(history_sandbox.seed.cancelled_with_live_jobs)
    assert p["wouldDelete"] == sum(p["wouldDeleteByStatus"].values()) > 0
    assert len(history_sandbox.items()) == before


def test_prune_refuses_without_yes_when_stdin_is_not_a_terminal(cli, history_sandbox, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    before = len(history_sandbox.items())
    rc, out, err = cli("history", "prune")
    assert rc == 2 and "pass --yes" in err and "Would delete" in out
    assert len(history_sandbox.items()) == before


def test_prune_asks_on_a_terminal(cli, history_sandbox, monkeypatch):
    monkeypatch.setattr("sys.stdin", FakeTty("n\n"))
    before = len(history_sandbox.items())
    rc, out, _ = cli("history", "prune", "--older-than", "7")
    assert rc == 0 and "[y/N]" in out and "Nothing deleted." in out and len(history_sandbox.items()) == before
    monkeypatch.setattr("sys.stdin", FakeTty("y\n"))
    rc, out, _ = cli("history", "prune", "--older-than", "7")
    assert rc == 0 and "Deleted " in out and len(history_sandbox.items()) < before


def test_prune_yes_json_reports_every_count(cli, history_sandbox):
    rc, out, _ = cli("history", "prune", "--yes", "--json")
    data = json.loads(out)
    r, p = data["result"], data["preview"]
    assert rc == 0 and r["deleted"] == p["wouldDelete"] and r["failed"] == []
    assert r["skippedLiveJobs"] == len(history_sandbox.seed.cancelled_with_live_jobs)
    assert r["preservedActive"] == p["preservedActive"] > 0
    for key in ("skippedNowActive", "skippedChanged", "notFound", "notAttempted", "writeCalls"):
        assert key in r
    heads = [i for i in history_sandbox.items() if i["SK"] == "EXECUTION"]
    assert len(heads) == r["skippedLiveJobs"] + r["preservedActive"]
