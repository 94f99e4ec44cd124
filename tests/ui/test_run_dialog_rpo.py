"""The Run dialog shows the plan's worst recovery point (its RPO now) from the preflight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drs_console.domain.preflight import Check, Level, PreflightReport, RecoveryPoint, ResolvedWave
from drs_console.ui.execution_engine import PreflightResult, check_row
from tests.ui.execution_fakes import FakeEngine
from tests.ui.test_executions_page import Harness, sample_plan, until

DEAD, OK = "s-0000000000000dead", "s-00000000000000ok1"


class RpoEngine(FakeEngine):
    async def preflight(self, plan, *, override_target=False, drill=True):
        self.preflights.append({"override": override_target, "drill": drill})
        now = datetime.now(UTC)
        checks = (Check("recovery-point", Level.WARN, f"{DEAD}: DISCONNECTED, recovers to ..."),)
        report = PreflightReport(
            plan.id, plan.name, "123456789012", "us-east-1", drill, checks,
            (ResolvedWave(0, "W1", (DEAD, OK)),), checked_at=now,
            recovery_points={DEAD: RecoveryPoint(DEAD, "pit-00000000000000001", now - timedelta(minutes=41)),
                             OK: RecoveryPoint(OK, "pit-00000000000000002", now - timedelta(minutes=3))})
        return PreflightResult(tuple(check_row(c, n) for n, c in enumerate(checks)), report)


@pytest.fixture
def h(qtbot, aloop):
    harness = Harness(qtbot, aloop, [])
    harness.engine = RpoEngine([])
    harness.page.engine = harness.engine
    yield harness
    harness.close()


def test_the_run_dialog_shows_the_rpo_now(h):
    h.connect()
    dialog = h.page.open_run_dialog(sample_plan())
    dialog.recovery_radio.setChecked(True)
    until(h.aloop, lambda: dialog.result_ is not None and dialog.preflight_task is None
          and h.engine.preflights and not h.engine.preflights[-1]["drill"], what="the recovery preflight")
    text = dialog.rpo_label.text()
    assert dialog.rpo_label.isVisible() and "RPO now: 41 min" in text and DEAD in text and "UTC" in text
