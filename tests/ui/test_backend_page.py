"""The Backend page: the stack, its outputs, deploy with progress, and doctor's findings."""

from __future__ import annotations

import pytest

from drs_console.sandbox import Sandbox
from drs_console.store.settings import Settings
from drs_console.ui.connection import ConnectionController
from drs_console.ui.errors import ErrorReporter
from drs_console.ui.models.backend_models import FindingColumn
from drs_console.ui.pages.backend import BackendPage
from drs_console.ui.tasks import TaskRunner


@pytest.fixture
def backend_page(qtbot, aloop):
    reporter = ErrorReporter()
    reporter.interactive = False
    runner = TaskRunner(reporter.report)
    controller = ConnectionController(Settings(), sandbox_factory=lambda: Sandbox(backend=True), persist=False)
    page = BackendPage(controller, runner)
    qtbot.addWidget(page)
    yield page
    runner.cancel_all()
    controller.close()


def test_not_connected_disables_the_actions(backend_page):
    assert not backend_page.deploy_button.isEnabled() and not backend_page.doctor_button.isEnabled()
    assert backend_page.stack_status.text() == "Not connected."


def test_shows_the_deployed_stack_and_its_outputs(backend_page, aloop):
    aloop.run_until_complete(backend_page.controller.connect(sandbox=True))
    info = aloop.run_until_complete(backend_page.refresh())
    assert info is not None and info.is_usable
    assert "CREATE_COMPLETE" in backend_page.stack_status.text()
    keys = [backend_page.outputs.item_at(r)[0] for r in range(backend_page.outputs.rowCount())]
    assert keys == ["ContractVersion", "HistoryTableName", "StateMachineArn", "StateMachineRoleArn"]
    assert backend_page.deploy_button.isEnabled()


def test_a_missing_stack_says_how_to_deploy_it(backend_page, aloop):
    aloop.run_until_complete(backend_page.controller.connect(sandbox=True))
    backend_page.stack_name.setText("nope")
    assert aloop.run_until_complete(backend_page.refresh()) is None
    assert "No stack named 'nope'" in backend_page.stack_status.text()
    assert "Deploy" in backend_page.stack_status.text()
    assert backend_page.outputs.rowCount() == 0


def test_deploy_shows_progress_events_and_the_new_outputs(backend_page, aloop):
    aloop.run_until_complete(backend_page.controller.connect(sandbox=True))
    backend_page.stack_name.setText("drs-console-second")
    seen = []
    backend_page.events.rowsInserted.connect(lambda *_: seen.append(backend_page.events.rowCount()))
    result = aloop.run_until_complete(backend_page.deploy())
    assert result.ok
    assert seen, "deployment events were shown while deploying"
    assert "drs-console-second" in backend_page.stack_status.text()
    assert dict(backend_page.outputs.items())["ContractVersion"] == "1.2"
    assert backend_page.controller.settings.backend_stack_name == "drs-console-second"


def test_doctor_lists_every_check_with_what_to_do(backend_page, aloop):
    aloop.run_until_complete(backend_page.controller.connect(sandbox=True))
    findings = aloop.run_until_complete(backend_page.doctor())
    checks = [f.check for f in findings]
    for expected in ("identity", "drs", "stack", "contract", "definition", "probe", "history-table", "permissions"):
        assert expected in checks
    rows = backend_page.findings_model.rowCount()
    assert rows == len(findings)
    probe_row = checks.index("probe")
    assert backend_page.findings_model.index(probe_row, FindingColumn.LEVEL).data() == "PASS"
    assert "Overall:" in backend_page.doctor_summary.text()


def test_doctor_without_a_stack_fails_with_a_remedy(backend_page, aloop):
    aloop.run_until_complete(backend_page.controller.connect(sandbox=True))
    backend_page.stack_name.setText("missing-stack")
    findings = aloop.run_until_complete(backend_page.doctor())
    stack = next(f for f in findings if f.check == "stack")
    assert stack.level == "FAIL" and stack.remedy
    assert "FAIL" in backend_page.doctor_summary.text()


def test_a_refresh_of_the_old_name_finishing_last_does_not_paint_over_the_new_one(backend_page, aloop, monkeypatch):
    """The refresh that connecting starts reads the old stack name; if the operator types another
    name and refreshes, the old answer arriving last must not replace the new one."""
    import asyncio

    from drs_console.ui.pages import backend as backend_module

    aloop.run_until_complete(backend_page.controller.connect(sandbox=True))
    aloop.run_until_complete(backend_page.refresh())
    held = asyncio.Event()
    real_stack = backend_module.BackendService.stack

    async def stack(service, name):
        if name != "nope":
            await held.wait()  # the old name's answer comes back only after the new one
        return await real_stack(service, name)

    monkeypatch.setattr(backend_module.BackendService, "stack", stack)
    old = aloop.create_task(backend_page.refresh())
    aloop.run_until_complete(asyncio.sleep(0))
    backend_page.stack_name.setText("nope")
    assert aloop.run_until_complete(backend_page.refresh()) is None
    held.set()
    assert aloop.run_until_complete(old) is not None
    assert "No stack named 'nope'" in backend_page.stack_status.text()
    assert backend_page.outputs.rowCount() == 0
