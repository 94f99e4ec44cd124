"""The native engine's command-line surface: --engine choices, the step commands' arguments."""

from __future__ import annotations

import pytest

from drs_console.cli.main import build_parser


def parse(*argv):
    return build_parser().parse_args(list(argv))


def test_engine_choices_on_run_preflight_status_and_history():
    assert parse("run", "p.json", "--engine", "native").engine == "native"
    assert parse("run", "p.json").engine is None  # chosen at run time: the backend when one is deployed
    assert parse("preflight", "p.json", "--engine", "native").engine == "native"
    for command in ("status", "cancel", "resume", "cleanup", "report"):
        assert parse(command, "rpe-1", "--engine", "stepfunctions").engine == "stepfunctions"
    assert parse("history", "list").engine == "all" and parse("history", "prune", "--engine", "native").engine == "native"


@pytest.mark.parametrize("argv", [
    ("run", "p.json", "--engine", "lambda"),
    ("retry-step", "rpe-1", "two"),
    ("skip-step", "rpe-1"),
    ("plan", "import-native"),  # an ARN or --all
    ("plan", "import-native", "arn:aws:drs:us-east-1:123456789012:recovery-plan/rp-1", "--all"),
])
def test_bad_arguments_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        parse(*argv)
    assert exited.value.code == 2 and "usage:" in capsys.readouterr().err


def test_publish_and_step_commands_parse():
    args = parse("plan", "publish", "payments", "--dry-run", "--drop-pauses", "--json")
    assert args.dry_run and args.drop_pauses and args.json and args.file == "payments"
    args = parse("retry-step", "rpe-1", "2")
    assert args.step == 2 and args.execution_id == "rpe-1"
    assert parse("plan", "import-native", "--all").all
