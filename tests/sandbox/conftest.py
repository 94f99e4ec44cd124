"""Fixtures for sandbox tests. Copy ``sandbox`` (manual clock: nothing moves until you call
``sandbox.clock.advance(seconds)``) into your own conftest to test against a simulated DRS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.config import Config

from drs_console.sandbox import Sandbox

NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A started Sandbox (60 servers, seed 7) with a manual clock; stopped afterwards."""
    sb = Sandbox(manual_clock=True)
    sb.start()
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def drs(sandbox: Sandbox):
    """A boto3 DRS client for the sandbox, without retries."""
    return sandbox.client("drs", config=NO_RETRIES)


@pytest.fixture
def drs_unvalidated(sandbox: Sandbox):
    """A DRS client that skips botocore's client-side validation (as Step Functions' does)."""
    return sandbox.client(
        "drs", config=Config(retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=False)
    )
