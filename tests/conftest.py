"""Test-wide setup: offscreen Qt, no network, nothing written outside a temp folder."""

from __future__ import annotations

import asyncio
import os

import pytest
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"  # never probe the instance metadata service

# Property tests are deterministic by default (and always in CI): the same examples every run, no
# example database read or written. Counterexamples worth keeping become explicit @example()s.
# HYPOTHESIS_PROFILE=explore searches with fresh random examples (and a local database), outside CI.
hypothesis_settings.register_profile("deterministic", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("explore", derandomize=False)
_profile = os.environ.get("HYPOTHESIS_PROFILE", "deterministic")
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    _profile = "deterministic"
hypothesis_settings.load_profile(_profile)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """Each test gets its own app home and an empty AWS configuration (no real credentials)."""
    home = tmp_path / "home"
    monkeypatch.setenv("DRS_CONSOLE_HOME", str(home))
    aws = tmp_path / "aws"
    aws.mkdir()
    (aws / "config").write_text("")
    (aws / "credentials").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(aws / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(aws / "credentials"))
    for var in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(scope="session")
def _qasync_loop(qapp):
    """One qasync loop for the whole run. A closed qasync loop can leave Qt timers behind (a
    cancelled call_later still has its QTimer armed); if it fires after its owner is gone, Qt
    crashes. A single loop that lives as long as the QApplication has no such stragglers."""
    from qasync import QEventLoop

    loop = QEventLoop(qapp, already_running=False)
    yield loop
    loop.close()


@pytest.fixture
def aloop(_qasync_loop):
    """The qasync event loop on the test's QApplication. Drive coroutines with
    ``aloop.run_until_complete(...)``; tasks a test leaves running are cancelled after it."""
    loop = _qasync_loop
    asyncio.set_event_loop(loop)
    yield loop
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    asyncio.set_event_loop(None)
