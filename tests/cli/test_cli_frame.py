"""The CLI frame: JSON output, exit codes, one-line errors (never a traceback)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from drs_console.__main__ import main
from tests.fakes import aws_error_endpoint, closed_port


def test_inventory_json_against_the_sandbox(capsys):
    assert main(["--sandbox", "inventory", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["accountId"] == "123456789012" and doc["region"] == "us-east-1"
    hub = [s for s in doc["servers"] if s["accountId"] == "123456789012"]
    assert len(hub) == 60  # and the sandbox's two target accounts' servers besides
    assert len({s["accountId"] for s in doc["servers"]}) == 3 and len(doc["accounts"]) == 3
    first = doc["servers"][0]
    for key in ("name", "sourceServerID", "sourceInstanceID", "sourceAccountID", "replicationState", "tags"):
        assert first[key]


def test_inventory_table_against_the_sandbox(capsys):
    assert main(["--sandbox", "inventory"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:5] == ["NAME", "IN", "ACCOUNT", "SOURCE", "SERVER"]
    assert "84 source servers in accounts 123456789012, " in out and "(connected: 123456789012), us-east-1" in out


@pytest.mark.parametrize(
    "argv_extra, code, needle",
    [
        (["--region", "us-east-1"], 3, "No AWS credentials"),
        (["--region", "mars-north-1"], 2, "mars-north-1"),
        (["--profile", "nope", "--region", "us-east-1"], 3, "'nope'"),
    ],
)
def test_errors_are_one_line_with_an_exit_code(capsys, argv_extra, code, needle):
    assert main([*argv_extra, "inventory"]) == code
    err = capsys.readouterr().err
    assert needle in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_unreachable_and_access_denied_exit_3(capsys, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert main(["--region", "us-east-1", "--endpoint-url", f"http://127.0.0.1:{closed_port()}", "inventory"]) == 3
    assert "could not be reached" in capsys.readouterr().err
    with aws_error_endpoint() as url:
        assert main(["--region", "us-east-1", "--endpoint-url", url, "inventory"]) == 3
    assert "denied" in capsys.readouterr().err


def test_bad_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["inventory", "--bogus"])
    assert info.value.code == 2


def test_help_lists_commands_and_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "inventory" in out and "sandbox" in out and "exit codes" in out


def test_cli_never_imports_qt():
    code = (
        "import sys; from drs_console.__main__ import main; "
        "rc = main(['--sandbox', 'inventory', '--json']); "
        "assert not [m for m in sys.modules if m.startswith('PySide6') or m == 'qasync'], 'Qt imported'; "
        "sys.exit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["doctor"],
        ["backend", "status"],
        ["preflight", "plan.json"],
        ["run", "plan.json"],
        ["status", "exec-1"],
        ["resume", "exec-1"],
        ["cancel", "exec-1"],
        ["cleanup", "exec-1"],
        ["report", "exec-1"],
        ["history", "list"],
        ["history", "prune"],
    ],
)
def test_every_backend_command_takes_the_same_location_options(argv):
    from drs_console.cli.main import build_parser

    args = build_parser().parse_args([*argv, "--stack-name", "dr-prod", "--history-table", "dr-history"])
    assert (args.stack_name, args.history_table) == ("dr-prod", "dr-history")
    assert build_parser().parse_args(argv).stack_name == "drs-console"
