"""The Plans page's DRS native plan actions against the sandbox (its DRS simulator serves the native
recovery-plan API): "Publish as DRS native plan…" shows the mapping, what does not map and why,
then publishes; "Import DRS native plans…" lists the account's native plans and imports the chosen
ones into the library, linked. Both through the aws code the CLI's plan publish/import-native use."""

from __future__ import annotations

import pytest

from drs_console.domain.native_mapping import TAG_NATIVE_ARN, TAG_PLAN_ID
from drs_console.domain.plan import Plan, ServerRef, Wave
from drs_console.sandbox import Sandbox
from drs_console.store.plans import PlanLibrary
from drs_console.store.settings import Settings
from drs_console.ui.connection import ConnectionController
from drs_console.ui.errors import ErrorReporter
from drs_console.ui.inventory_state import InventoryState
from drs_console.ui.pages.plans import PlansPage
from drs_console.ui.tasks import TaskRunner


class Env:
    def __init__(self, qtbot, aloop, tmp_path):
        self.sandbox: Sandbox | None = None
        reporter = ErrorReporter()
        reporter.interactive = False
        self.runner = TaskRunner(reporter.report)

        def factory():
            self.sandbox = Sandbox(manual_clock=True)
            return self.sandbox

        self.controller = ConnectionController(Settings(), sandbox_factory=factory, persist=False)
        self.library = PlanLibrary(tmp_path / "plans")
        self.library.folder.mkdir(parents=True)
        self.page = PlansPage(self.controller, self.runner, InventoryState(), self.library)
        qtbot.addWidget(self.page)
        self.aloop = aloop
        aloop.run_until_complete(self.controller.connect(sandbox=True))
        self.drs = self.sandbox.client("drs")

    def healthy(self, n: int) -> list[str]:
        items = self.drs.describe_source_servers(filters={})["items"]
        ids = [i["sourceServerID"] for i in items if i["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS"]
        return ids[:n]

    def plan(self, waves, *, pause: bool = False) -> Plan:
        ident = self.controller.identity
        plan = Plan.new("Native from the GUI", target_account_id=ident.account_id, target_region=ident.region)
        for i, ids in enumerate(waves):
            plan.waves.append(Wave(name=f"W{i + 1}", servers=[ServerRef(s) for s in ids], pause_before=pause and i == 1))
        path = self.library.save(plan)
        self.page.refresh_library()
        self.page.select_path(path)
        return plan

    def close(self):
        self.runner.cancel_all()
        self.controller.close()


@pytest.fixture
def env(qtbot, aloop, tmp_path):
    e = Env(qtbot, aloop, tmp_path)
    yield e
    e.close()


def test_publish_shows_what_does_not_map_and_why_then_publishes_without_the_pause(env):
    a, b = env.healthy(2)
    plan = env.plan([[a], [b]], pause=True)
    dialog = env.page.publish_native()
    env.aloop.run_until_complete(dialog.task)
    assert "Cannot publish" in dialog.summary.text() and "pause-before" in dialog.summary.text()
    assert "not an approval" in dialog.summary.text()
    assert not dialog.publish_button.isEnabled() and dialog.start_publish() is None
    assert env.drs.list_recovery_plans()["recoveryPlans"] == []  # nothing was created

    dialog.drop_pauses.setChecked(True)
    env.aloop.run_until_complete(dialog.task)
    assert dialog.publish_button.isEnabled() and "2 steps, 2 servers" in dialog.summary.text()
    assert "W1" in dialog.details.toPlainText() and "W2" in dialog.details.toPlainText()
    published: list[str] = []
    dialog.published.connect(published.append)
    dialog.start_publish()
    env.aloop.run_until_complete(dialog.task)
    (native,) = env.drs.list_recovery_plans()["recoveryPlans"]
    assert published == [native["recoveryPlanArn"]] and "Created" in dialog.summary.text()
    tags = env.drs.get_recovery_plan(recoveryPlanArn=native["recoveryPlanArn"])["recoveryPlan"]["tags"]
    assert tags[TAG_PLAN_ID] == plan.id
    steps = env.drs.list_recovery_plan_steps(recoveryPlanArn=native["recoveryPlanArn"])["recoveryPlanSteps"]
    assert sorted(s["stepName"] for s in steps) == ["W1", "W2"]

    dialog.start_publish()  # the same version again changes nothing
    env.aloop.run_until_complete(dialog.task)
    assert "Unchanged" in dialog.summary.text() and len(env.drs.list_recovery_plans()["recoveryPlans"]) == 1


def test_import_lists_the_native_plans_and_imports_the_chosen_one_linked(env):
    a, b, c = env.healthy(3)
    arns = []
    for name, ids in (("ERP native", [a, b]), ("CRM native", [c])):
        arn = env.drs.create_recovery_plan(name=name)["recoveryPlan"]["recoveryPlanArn"]
        servers = [{"serverArn": env.sandbox.drs.server(s)["arn"]} for s in ids]
        env.drs.create_recovery_plan_step(recoveryPlanArn=arn, stepName="Databases",
                                          configuration={"serverStepConfiguration": {"servers": servers}})
        arns.append(arn)
    dialog = env.page.import_native()
    env.aloop.run_until_complete(dialog.task)
    assert dialog.list.count() == 2 and "2 DRS native plans" in dialog.status.text()
    assert not dialog.import_button.isEnabled()  # nothing chosen yet
    dialog.choose([arns[0]])
    assert dialog.import_button.isEnabled()
    dialog.start_import()
    env.aloop.run_until_complete(dialog.task)
    (path,) = dialog.paths
    imported = env.library.open(path).plan
    assert imported.name == "ERP native" and imported.tags[TAG_NATIVE_ARN] == arns[0]
    assert [w.server_ids() for w in imported.waves] == [[a, b]]
    names = [env.page.model.item_at(r).name for r in range(env.page.model.rowCount())]
    assert "ERP native" in names and "CRM native" not in names  # the library shows it, only the chosen one
