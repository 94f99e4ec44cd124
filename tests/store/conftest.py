"""Shared fixtures of the store tests."""

from __future__ import annotations

import pytest

from drs_console.store.plans import PlanLibrary


@pytest.fixture
def library(tmp_path, monkeypatch) -> PlanLibrary:
    """An empty plan library (its folder made) under the test's own app home."""
    monkeypatch.setenv("DRS_CONSOLE_HOME", str(tmp_path / "home"))
    lib = PlanLibrary()
    lib.folder.mkdir(parents=True)
    return lib
