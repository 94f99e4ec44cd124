"""Fixtures for sandbox tests. Copy ``sandbox`` (manual clock: nothing moves until you call
``sandbox.clock.advance(seconds)``) into your own conftest to test against a simulated DRS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.config import Config

from drs_console.sandbox import Sandbox

from .shapes import RawCapture

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
def raw_drs(sandbox: Sandbox) -> Iterator[RawCapture]:
    """Every raw DRS response the ``drs`` clients of a test receive; at the end of the test each one
    must be exactly what botocore's model allows (its output shape, or its error's shape), with no
    timestamp after the sandbox's now."""
    capture = RawCapture(clock=sandbox.clock.now)
    yield capture
    problems = capture.problems()
    assert not problems, "DRS responses that break the service model:\n" + "\n".join(problems[:40])


@pytest.fixture
def drs(sandbox: Sandbox, raw_drs: RawCapture):
    """A boto3 DRS client for the sandbox, without retries; its responses are shape-checked."""
    return raw_drs.attach(sandbox.client("drs", config=NO_RETRIES))


@pytest.fixture
def drs_unvalidated(sandbox: Sandbox, raw_drs: RawCapture):
    """A DRS client that skips botocore's client-side validation (as Step Functions' does)."""
    return raw_drs.attach(sandbox.client(
        "drs", config=Config(retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=False)
    ))
