"""The DRS native engine end to end: the harness's sandbox (the DRS simulator serves the native
recovery-plan API; the backend is deployed too, for the views side by side) and the CLI on it."""

from __future__ import annotations

import io
import json

import pytest

from drs_console.cli.context import CliContext
from drs_console.cli.main import build_parser, run_command
from tests.runs.conftest import SPEED, Harness, sim  # noqa: F401 - the shared simulator fixture


@pytest.fixture(scope="module")
def harness():
    """The runs harness on the default sandbox (60 servers, seed 7: the sample plan's servers are
    there), with the backend deployed; one per module (moto is process-global)."""
    from drs_console.sandbox import Sandbox
    from drs_console.sandbox.backend import deploy_reference_backend

    sandbox = Sandbox(servers=60, seed=7, speed=SPEED)
    sandbox.start()
    try:
        h = Harness(sandbox, deploy_reference_backend(sandbox))
        yield h
        h.conn.close()
    finally:
        sandbox.stop()


@pytest.fixture
def cli(harness, monkeypatch):  # noqa: F811
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "sandbox-access-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sandbox-secret")

    def call(*argv):
        ctx = CliContext(region=harness.sandbox.region, endpoint_url=harness.sandbox.endpoint_url,
                         out=io.StringIO(), err=io.StringIO())
        args = build_parser().parse_args(["--endpoint-url", harness.sandbox.endpoint_url, *argv])
        code = run_command(args, ctx)
        return code, ctx.out.getvalue(), ctx.err.getvalue()

    return call


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip().startswith("{")]


@pytest.fixture
def drs(harness):  # noqa: F811
    """A plain boto3 DRS client on the sandbox (to cross-check what the console says)."""
    return harness.sandbox.client("drs")
