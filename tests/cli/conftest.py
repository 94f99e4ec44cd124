"""CLI fixtures: one sandbox per module with the reference backend and a seeded history (a few
seconds), and a runner that calls the CLI in-process against it."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from drs_console.aws.session import AwsConnection
from drs_console.cli.context import CliContext
from drs_console.cli.main import build_parser, run_command
from drs_console.sandbox import Sandbox
from drs_console.sandbox.backend import deploy_reference_backend
from drs_console.sandbox.history_seed import HistorySeed, seed_history


@dataclass
class CliSandbox:
    sandbox: Sandbox
    table: str
    seed: HistorySeed
    state_machine_arn: str


@pytest.fixture(scope="module")
def cli_sandbox():
    sandbox = Sandbox(manual_clock=True, servers=24)
    sandbox.start()
    try:
        outputs = deploy_reference_backend(sandbox)
        table = outputs["HistoryTableName"]
        seed = seed_history(sandbox, 12, table)
        yield CliSandbox(sandbox, table, seed, outputs["StateMachineArn"])
    finally:
        sandbox.stop()


@dataclass
class Ran:
    rc: int
    out: str
    err: str


@pytest.fixture
def cli(cli_sandbox):
    """cli(*argv, out=None) -> Ran, through the CLI's parser and dispatch, on the module's sandbox."""

    def run(*argv: str, out: io.TextIOBase | None = None) -> Ran:
        args = build_parser().parse_args(list(argv))
        out = out if out is not None else io.StringIO()
        err = io.StringIO()
        ctx = CliContext(out=out, err=err, _connection=AwsConnection(cli_sandbox.sandbox.connection_params()))
        rc = run_command(args, ctx)
        return Ran(rc, out.getvalue() if isinstance(out, io.StringIO) else "", err.getvalue())

    return run
