"""The Plans page's DRS native plan dialogs, through the same aws code as the CLI's `plan publish`
and `plan import-native` (``aws/engines/native_plans.py``):

* ``PublishNativeDialog``: the plan's mapping to a DRS native recovery plan (each step, and what
  does not map with its reason), then Publish (create, or update the native plan tagged with the
  plan's ID). Refused mappings keep Publish disabled; "Drop pauses" maps again without them.
* ``ImportNativeDialog``: the native plans of the connected account and region, checkable; Import
  creates a library plan from each chosen one, keeping the link (``drs-console:native-plan-arn``).

Both are non-modal (``open()``, never ``exec()``); every AWS call runs as a task on the
connection's bounded executor; ``load()``, ``publish()`` and ``import_chosen()`` are plain
coroutines tests await.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ..domain.errors import ConsoleError
from ..domain.native_mapping import TAG_PLAN_ID, TAG_PLAN_NAME
from ..domain.plan import Plan
from ..domain.text import printable
from ..domain.wording import plural
from ..store.plans import PlanLibrary
from .connection import ConnectionController
from .tasks import TaskRunner
from .theme import RED

log = logging.getLogger(__name__)


def _esc(text: str) -> str:
    return printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class PublishNativeDialog(QDialog):
    published = Signal(str)  # the native plan's ARN

    def __init__(self, plan: Plan, controller: ConnectionController, runner: TaskRunner,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.plan = plan
        self.controller = controller
        self.runner = runner
        self.mapping: Any = None  # domain.native_mapping.NativeMapping
        self.result_: Any = None  # aws.engines.native_plans.PublishResult
        self.task: asyncio.Task | None = None
        self.setObjectName("publishNativeDialog")
        self.setWindowTitle(printable(f"Publish as DRS native plan: {plan.name or '(unnamed plan)'}"))
        self.drop_pauses = QCheckBox("Drop the pauses before waves (a native WAIT is timed, not an approval)")
        self.drop_pauses.setObjectName("dropPauses")
        self.summary = QLabel("Mapping the plan…")
        self.summary.setObjectName("publishSummary")
        self.summary.setWordWrap(True)
        self.details = QPlainTextEdit()
        self.details.setObjectName("publishMapping")
        self.details.setReadOnly(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.publish_button = self.buttons.addButton("Publish", QDialogButtonBox.ButtonRole.ActionRole)
        self.publish_button.setObjectName("publishButton")
        self.publish_button.setEnabled(False)
        self.buttons.rejected.connect(self.reject)
        self.publish_button.clicked.connect(self.start_publish)
        self.drop_pauses.toggled.connect(lambda _on: self.start_load())
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.drop_pauses)
        layout.addWidget(self.details, 1)
        layout.addWidget(self.buttons)
        self.resize(820, 460)

    def _version(self) -> int:
        from ..aws.runs import plan_version

        return plan_version(self.plan)

    def start_load(self) -> asyncio.Task:
        self.task = self.runner.start(self.load(), name="native-mapping", on_error=self._failed)
        return self.task

    async def load(self) -> Any:
        """Map the plan against the live inventory and show every step and problem."""
        from ..aws.engines.native_plans import find_native_plan, linked_arn, mapping_for

        self.publish_button.setEnabled(False)
        conn = self.controller.connection
        if conn is None:
            self.summary.setText("Not connected: connect first to map the plan against DRS.")
            return None
        self.summary.setText("Mapping the plan…")
        drop = self.drop_pauses.isChecked()
        mapping = await mapping_for(conn, self.plan, plan_version=self._version(), drop_pauses=drop)
        native = await find_native_plan(_reader(conn), self.plan.id, linked_arn(self.plan))
        if drop != self.drop_pauses.isChecked():  # toggled meanwhile: its own load follows
            return mapping
        self.mapping = mapping
        self.details.setPlainText("\n".join(printable(line) for line in mapping.lines()))
        where = (f"updates {native['recoveryPlanArn']}" if native else f"creates a native plan in {conn.region}")
        if mapping.ok:
            self.summary.setText(_esc(f"{plural(len(mapping.steps), 'step')}, {plural(mapping.server_count, 'server')}"
                                      f": publishing {where}.")
                                 + "".join(f"<br>• {_esc(p.what)}: {_esc(p.message)}" for p in mapping.warnings))
        else:
            self.summary.setText(f"<b style='color:{RED.name()}'>Cannot publish: what does not map, and why:</b>"
                                 + "".join(f"<br><span style='color:{RED.name()}'>• {_esc(p.what)}: "
                                           f"{_esc(p.message)} {_esc(p.remedy)}</span>" for p in mapping.refused))
        self.publish_button.setEnabled(mapping.ok)
        return mapping

    def start_publish(self) -> asyncio.Task | None:
        if not self.publish_button.isEnabled():
            return None
        self.publish_button.setEnabled(False)
        self.task = self.runner.start(self.publish(), name="native-publish", on_error=self._failed)
        return self.task

    async def publish(self) -> Any:
        from ..aws.engines.native_plans import NotMappable, publish

        conn = self.controller.connection
        if conn is None:
            self.summary.setText("Not connected.")
            return None
        self.summary.setText("Publishing…")
        try:
            result = await publish(conn, self.plan, plan_version=self._version(),
                                   drop_pauses=self.drop_pauses.isChecked())
        except NotMappable as exc:  # the inventory changed since the mapping was shown
            self.mapping = exc.mapping
            self.details.setPlainText("\n".join(printable(line) for line in exc.mapping.lines()))
            self.summary.setText(f"<b style='color:{RED.name()}'>Cannot publish (nothing was created).</b>")
            return None
        self.result_ = result
        if not result.changed:
            text = f"Unchanged: {result.recovery_plan_arn} is already version {result.mapping.plan_version}."
        else:
            actions = [a for a in result.actions if not a.startswith("created arn:")]
            text = ("Created " if result.created else "Updated ") + result.recovery_plan_arn + (
                ": " + "; ".join(actions) if actions else ".")
        self.summary.setText(_esc(text))
        self.publish_button.setEnabled(True)  # publishing the same version again changes nothing
        self.published.emit(result.recovery_plan_arn)
        return result

    def _failed(self, exc: BaseException) -> bool:
        self.summary.setText(f"<span style='color:{RED.name()}'>"
                             f"{_esc(exc.one_line() if isinstance(exc, ConsoleError) else str(exc))}</span>")
        self.publish_button.setEnabled(self.mapping is not None and self.mapping.ok)
        return self.isVisible()


class ImportNativeDialog(QDialog):
    imported = Signal(list)  # [Path]: the library files written

    def __init__(self, controller: ConnectionController, runner: TaskRunner, library: PlanLibrary,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.runner = runner
        self.library = library
        self.task: asyncio.Task | None = None
        self.paths: list[Path] = []
        self.setObjectName("importNativeDialog")
        self.setWindowTitle("Import DRS native plans")
        self.status = QLabel("Reading the DRS native plans…")
        self.status.setObjectName("importStatus")
        self.status.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("nativePlans")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.ActionRole)
        self.import_button.setObjectName("importButton")
        self.import_button.setEnabled(False)
        self.buttons.rejected.connect(self.reject)
        self.import_button.clicked.connect(self.start_import)
        self.list.itemChanged.connect(lambda _i: self.import_button.setEnabled(bool(self.chosen())))
        layout = QVBoxLayout(self)
        intro = QLabel("Each chosen native plan becomes a wave plan in the library (its SERVER steps the waves, the "
                       "WAIT steps before a step that wave's wait); the plan keeps the link.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(760, 420)

    def start_load(self) -> asyncio.Task:
        self.task = self.runner.start(self.load(), name="native-plans", on_error=self._failed)
        return self.task

    async def load(self) -> list[dict[str, Any]]:
        from ..aws.engines.native_plans import list_native_plans

        conn = self.controller.connection
        if conn is None:
            self.status.setText("Not connected: connect first to list the DRS native plans.")
            return []
        plans = await list_native_plans(_reader(conn), tags=True)
        self.list.clear()
        for p in sorted(plans, key=lambda p: str(p.get("name") or "").casefold()):
            tags = p.get("tags") or {}
            owner = f" — published from {tags.get(TAG_PLAN_NAME) or tags.get(TAG_PLAN_ID)}" \
                if tags.get(TAG_PLAN_ID) else ""
            item = QListWidgetItem(printable(f"{p.get('name') or '(unnamed)'}{owner}  ({p['recoveryPlanArn']})"))
            item.setData(Qt.ItemDataRole.UserRole, str(p["recoveryPlanArn"]))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self.status.setText(f"{plural(len(plans), 'DRS native plan')} in {conn.region}."
                            if plans else f"No DRS native plans in {conn.region}.")
        self.import_button.setEnabled(bool(self.chosen()))
        return plans

    def chosen(self) -> list[str]:
        return [str(self.list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def choose(self, arns: list[str]) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in arns
                               else Qt.CheckState.Unchecked)

    def start_import(self) -> asyncio.Task | None:
        arns = self.chosen()
        if not arns:
            return None
        self.import_button.setEnabled(False)
        self.task = self.runner.start(self.import_chosen(arns), name="native-import", on_error=self._failed)
        return self.task

    async def import_chosen(self, arns: list[str]) -> list[Path]:
        from ..aws.engines.native_plans import import_native

        conn = self.controller.connection
        if conn is None:
            self.status.setText("Not connected.")
            return []
        self.status.setText(f"Importing {plural(len(arns), 'native plan')}…")
        imported = await import_native(conn, arns)
        paths = [self.library.save(item.plan) for _arn, item in imported]
        notes = [n for _arn, item in imported for n in item.notes]
        self.paths = paths
        self.status.setText(printable(f"Imported {plural(len(paths), 'plan')} into the library"
                                      + (": " + "; ".join(notes) if notes else ".")))
        self.import_button.setEnabled(bool(self.chosen()))
        self.imported.emit(paths)
        return paths

    def _failed(self, exc: BaseException) -> bool:
        self.status.setText(printable(exc.one_line() if isinstance(exc, ConsoleError) else str(exc)))
        self.import_button.setEnabled(bool(self.chosen()))
        return self.isVisible()


def _reader(conn):
    from ..aws.drs_batch import Reader

    return Reader(conn)
