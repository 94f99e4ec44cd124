"""Every destructive confirmation defaults to the safe button: Enter or Escape never destroys."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from drs_console.domain.status import ExecutionStatus as S
from drs_console.domain.status import LaunchStatus
from drs_console.ui.models.execution_models import CheckRow
from tests.ui.execution_fakes import T0, server, update, view, wave
from tests.ui.test_executions_page import h, open_dialog  # noqa: F401 - the fixture
from tests.ui.test_plan_editor import inventory, library, page, two_wave_plan  # noqa: F401 - fixtures


def assert_safe_default(box: QMessageBox, safe: str) -> None:
    assert box.isVisible()
    assert box.defaultButton() is not None and box.defaultButton().text() == safe
    assert box.buttonRole(box.defaultButton()) == QMessageBox.ButtonRole.RejectRole
    assert box.escapeButton() is box.defaultButton()
    destructive = [b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole]
    assert destructive and not destructive[0].isDefault()
    QTest.keyClick(box, Qt.Key.Key_Return)  # Enter picks the safe choice
    assert not box.isVisible()


def test_cancel_and_terminate_default_to_keeping(h):  # noqa: F811
    h.connect()
    eid = "exec-active"
    h.push(eid, update(view(eid, S.PAUSED, waves=(wave(0, S.PAUSED, pause=True),))))
    assert_safe_default(h.page.ask_cancel(), "Keep running")
    done = view(eid, S.COMPLETED, ended=T0.replace(hour=3), waves=(
        wave(0, S.COMPLETED, job="j1", start=T0, end=T0, launched=1,
             servers=[server(1, launch=LaunchStatus.LAUNCHED, instance="i-0ec2000000000001", state="RUNNING")]),))
    h.push(eid, update(done))
    assert_safe_default(h.page.ask_terminate(), "Keep them")
    h.aloop.run_until_complete(__import__("asyncio").sleep(0.05))
    assert h.engine.cancelled == [] and h.engine.terminated == []


def test_cleaning_up_leftovers_defaults_to_cancel(h):  # noqa: F811
    h.engine.checks = [CheckRow("0:leftovers", "WARN", "Leftover drill instances", "2 instances", action="cleanup")]
    dialog = open_dialog(h)
    assert_safe_default(dialog.ask_cleanup(), "Cancel")
    assert h.engine.cleanups == 0


def test_deleting_a_plan_asks_and_defaults_to_keeping_it(page, library):  # noqa: F811
    _plan, path = two_wave_plan(library)
    page.refresh_library()
    page.select_path(path)
    assert_safe_default(page.ask_delete(), "Keep it")
    assert path.exists()
    box = page.ask_delete()
    next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole).click()
    assert not path.exists()
