"""The Run dialog's engine choice: the DRS native plan's mapping problems are shown and Start is
disabled when the plan cannot map (or is not published, or drifted); a native start goes through
the native engine, never the backend."""

from __future__ import annotations

import pytest

from drs_console.domain.inventory import SourceServer
from drs_console.domain.native_mapping import map_plan
from drs_console.ui.widgets.engine_choice import NativeCheck
from tests.ui.execution_fakes import FakeEngine
from tests.ui.test_executions_page import Harness, open_dialog, until

PLAN_ARN = "arn:aws:drs:us-east-1:123456789012:recovery-plan/rp-1"


class NativeFakeEngine(FakeEngine):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.pause = False
        self.published = True
        self.native_starts: list[dict] = []

    async def native_check(self, plan):
        plan = plan.copy()
        plan.waves[0].pause_before = self.pause
        inv = [SourceServer(s.source_server_id) for w in plan.waves for s in w.servers]
        mapping = map_plan(plan, account_id="123456789012", region="us-east-1", inventory=inv)
        return NativeCheck(mapping, PLAN_ARN if self.published else "")

    async def start_native(self, plan, *, drill, confirmation="", snapshots=None):
        self.native_starts.append({"drill": drill, "confirmation": confirmation})
        return "rpe-00000000000000001"


@pytest.fixture
def h(qtbot, aloop):
    harness = Harness(qtbot, aloop, [])
    harness.engine = NativeFakeEngine([])
    harness.page.engine = harness.engine
    yield harness
    harness.close()


def test_a_plan_that_cannot_map_shows_why_and_cannot_start_natively(h):
    h.engine.pause = True
    dialog = open_dialog(h)
    assert dialog.start_button.isEnabled()  # the backend can run it (a pause is an approval there)
    dialog.engine_choice.native_radio.setChecked(True)
    until(h.aloop, lambda: dialog.engine_choice.check is not None, what="the native check")
    text = dialog.engine_choice.problems.text()
    assert dialog.engine_choice.problems.isVisible() and "pause-before" in text and "not an approval" in text
    assert not dialog.start_button.isEnabled()
    dialog.engine_choice.backend_radio.setChecked(True)
    assert dialog.start_button.isEnabled() and not dialog.engine_choice.problems.isVisible()


def test_an_unpublished_plan_says_publish_it_first(h):
    h.engine.published = False
    dialog = open_dialog(h)
    dialog.engine_choice.native_radio.setChecked(True)
    until(h.aloop, lambda: dialog.engine_choice.check is not None, what="the native check")
    assert "publish it first" in dialog.engine_choice.problems.text() and not dialog.start_button.isEnabled()


def test_a_mappable_published_plan_starts_on_the_native_engine(h):
    dialog = open_dialog(h)
    got: list[str] = []
    dialog.started_native.connect(got.append)
    dialog.engine_choice.native_radio.setChecked(True)
    until(h.aloop, lambda: dialog.start_button.isEnabled() and dialog.engine_choice.check is not None,
          what="Start enabled for the native engine")
    assert PLAN_ARN in dialog.engine_choice.problems.text()
    dialog.start_run()
    until(h.aloop, lambda: got, what="the native start")
    assert got == ["rpe-00000000000000001"] and h.engine.native_starts == [{"drill": True, "confirmation": ""}]
    assert not h.engine.started  # never the backend's start


def test_a_native_recovery_needs_the_typed_name_too(h):
    dialog = open_dialog(h)
    dialog.engine_choice.native_radio.setChecked(True)
    dialog.recovery_radio.setChecked(True)
    until(h.aloop, lambda: dialog.engine_choice.check is not None and dialog.native_task is None
          or (dialog.native_task is not None and dialog.native_task.done()), what="the native check")
    assert not dialog.start_button.isEnabled()
    dialog.confirm_edit.setText(dialog.plan.name)
    assert dialog.start_button.isEnabled()
