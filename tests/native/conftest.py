"""The DRS native engine end to end: the harness's sandbox (the DRS simulator serves the native
recovery-plan API; the backend is deployed too, for the views side by side) and the CLI on it."""

from __future__ import annotations

import json

import pytest

from tests.runs.conftest import SPEED, Harness, cli_caller, deployed_sandbox, sim  # noqa: F401 - sim: the shared simulator fixture


@pytest.fixture(scope="module")
def harness():
    """The runs harness on the default sandbox (60 servers, seed 7: the sample plan's servers are
    there), with the backend deployed; one per module (moto is process-global)."""
    with deployed_sandbox(Harness, servers=60, seed=7, speed=SPEED) as h:
        yield h


@pytest.fixture
def cli(harness, monkeypatch):  # noqa: F811
    return cli_caller(harness, monkeypatch)


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip().startswith("{")]


@pytest.fixture
def drs(harness):  # noqa: F811
    """A plain boto3 DRS client on the sandbox (to cross-check what the console says)."""
    return harness.sandbox.client("drs")
