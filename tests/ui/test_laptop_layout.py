"""The desktop on a laptop screen: at 1280x760 the servers table's mission columns are on screen
without scrolling, the Backend page's deployment statuses and the plan editor's problem locations
are whole, the panes are sized by content, and the user's splitter positions and the columns
chosen in the header's menu are kept."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QMenu

from drs_console.aws.backend import StackEvent
from drs_console.domain.plan import Plan
from drs_console.domain.status import ExecutionStatus as S
from drs_console.domain.status import LaunchStatus
from drs_console.domain.validation import Code, Location, Problem, Severity
from drs_console.store.settings import Settings, load_settings
from drs_console.ui.app import ConsoleApp
from drs_console.ui.models.backend_models import EventColumn as StackEventColumn
from drs_console.ui.models.execution_models import EventColumn, ServerColumn
from drs_console.ui.models.plan_models import ProblemColumn
from tests.ui.execution_fakes import T0, event, server, view, wave

MISSION = (ServerColumn.LAUNCH, ServerColumn.RECOVERY_INSTANCE_ID, ServerColumn.EC2_STATE, ServerColumn.FAILURE)


def drill(eid="exec-1"):
    launched = [server(n, launch=LaunchStatus.LAUNCHED, instance=f"i-0ec20000000000{n:02d}", state="RUNNING")
                for n in (1, 2)]
    failed = [server(3, launch=LaunchStatus.FAILED, reason="LAUNCH_FAILED: insufficient capacity in us-east-1a")]
    return view(eid, S.RUNNING, waves=(
        wave(0, S.COMPLETED, job="drsjob-2649433b4fb2fab18", start=T0, end=T0, servers=launched, launched=2),
        wave(1, S.STARTED, job="drsjob-7de4891a3bf8a2b95", start=T0, servers=failed, failed=1),
        wave(2, None, servers=[server(4), server(5)]),
    ))


@pytest.fixture(params=[(1280, 760), (1600, 1000)], ids=["1280x760", "1600x1000"])
def monitor(request, qtbot, aloop):
    console = ConsoleApp(Settings(), persist_settings=False, restore_geometry=False)
    qtbot.addWidget(console.window)
    console.window.resize(*request.param)
    console.window.show()
    page = console.window.show_page("executions")
    page.detail_stack.setCurrentWidget(page.detail)
    page.detail.show_view(drill(), events=(event(5, "LAUNCH_START", 1, detail="target instance i-0ec2000000000001"),))
    qtbot.waitExposed(console.window)
    yield page
    console.shutdown()


def inside(table, column, row=0) -> bool:
    rect = table.visualRect(table.model().index(row, column))
    viewport = QRect(0, 0, table.viewport().width(), table.viewport().height())
    return rect.isValid() and rect.width() >= 40 and viewport.contains(rect.topLeft()) and \
        rect.right() <= viewport.right() + 1


def test_the_mission_columns_are_visible_without_scrolling(monitor):
    table = monitor.detail.server_table
    assert table.horizontalScrollBar().value() == 0
    for column in MISSION:
        assert not table.isColumnHidden(column)
        assert inside(table, column), f"{table.model().headerData(column, Qt.Orientation.Horizontal)} is cut or off screen"
    log = monitor.detail.event_table
    for column in (EventColumn.EVENT, EventColumn.SERVER, EventColumn.DETAIL):
        assert inside(log, column), f"job log {log.model().headerData(column, Qt.Orientation.Horizontal)} is off screen"


def test_the_list_shows_six_executions_and_every_wave_row(monitor, qtbot):
    monitor.model.merge([view(f"exec-{n}", S.COMPLETED, started=T0.replace(hour=n), ended=T0.replace(hour=n))
                         for n in range(10)])
    monitor.fit_list()
    rows = monitor.table.viewport().height() / monitor.table.verticalHeader().defaultSectionSize()
    assert rows >= 6, f"the executions list shows only {rows:.1f} rows"
    waves = monitor.detail.wave_table
    last = waves.visualRect(waves.model().index(2, 0))
    assert last.bottom() <= waves.viewport().height(), "the third wave is cut"
    assert monitor.detail.bottom.sizes()[0] > monitor.detail.body.sizes()[0]  # the servers get the height


def test_opening_another_execution_scrolls_its_tables_home(monitor, qtbot):
    table = monitor.detail.server_table
    table.set_column_shown(ServerColumn.SOURCE_INSTANCE_ID, True)
    table.set_column_shown(ServerColumn.EC2_INSTANCE_ID, True)
    table.setColumnWidth(ServerColumn.NAME, 600)
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() > 0, timeout=30000)
    table.horizontalScrollBar().setValue(table.horizontalScrollBar().maximum())
    assert table.horizontalScrollBar().value() > 0
    monitor.detail.show_view(drill("exec-2"))
    assert table.horizontalScrollBar().value() == 0


def test_splitter_positions_and_hidden_columns_are_remembered_per_user(qtbot, aloop):
    console = ConsoleApp(Settings(), persist_settings=True, restore_geometry=False)
    qtbot.addWidget(console.window)
    page = console.executions
    try:
        page.split.splitterMoved.emit(200, 1)  # as when the user drags it
        sizes = page.split.sizes()
        page.detail.server_table.set_column_shown(ServerColumn.SOURCE_ACCOUNT_ID, True)
        console.controller.ui_layout.save()
    finally:
        console.shutdown()
    saved = load_settings()
    assert saved.splitters["executions.list"] == sizes
    assert ServerColumn.SOURCE_ACCOUNT_ID not in saved.hidden_columns["executions.servers"]
    again = ConsoleApp(saved, persist_settings=True, restore_geometry=False)
    qtbot.addWidget(again.window)
    try:
        assert not again.executions.detail.server_table.isColumnHidden(ServerColumn.SOURCE_ACCOUNT_ID)
        assert again.controller.ui_layout.user_sized("executions.list")
    finally:
        again.shutdown()


def shown_whole(table, column, rows) -> list[str]:
    """What of this column is cut or off screen: its header and each row's value."""
    model, header = table.model(), table.horizontalHeader()
    title = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
    cut = []
    left, width = header.sectionViewportPosition(column), header.sectionSize(column)
    if left < 0 or left + width > table.viewport().width() + 1 or \
            header.fontMetrics().horizontalAdvance(title) + 8 > width:
        cut.append(f"header {title!r}")
    for row in range(rows):
        index = model.index(row, column)
        if not inside(table, column, row) or table.is_elided(index):
            cut.append(str(index.data()))
    return cut


@pytest.fixture
def laptop(qtbot, aloop):
    console = ConsoleApp(Settings(), persist_settings=False, restore_geometry=False)
    qtbot.addWidget(console.window)
    console.window.resize(1280, 760)
    console.window.show()
    qtbot.waitExposed(console.window)
    yield console
    console.shutdown()


def test_deployment_events_show_the_status_whole_and_cut_the_resource_in_the_middle(laptop, qtbot):
    page = laptop.window.show_page("backend")
    statuses = ("REVIEW_IN_PROGRESS", "CREATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "CREATE_COMPLETE")
    page.events.set_items([
        StackEvent(T0, "StateMachineExecutionRoleWithALongLogicalId", "AWS::StepFunctions::StateMachine", status,
                   reason="Resource creation Initiated", event_id=f"e{n}")
        for n, status in enumerate(statuses)])
    table = page.events_view
    C = StackEventColumn
    qtbot.waitUntil(lambda: not shown_whole(table, C.STATUS, len(statuses)), timeout=30000)
    for column in (C.TIME, C.STATUS):
        assert shown_whole(table, column, len(statuses)) == []
    assert table.horizontalScrollBar().maximum() == 0  # nothing off to the right
    resource = table.model().index(0, C.RESOURCE)
    assert table.is_elided(resource) and inside(table, C.RESOURCE)  # cut, in view, whole in its tooltip
    delegate = table.itemDelegateForColumn(C.RESOURCE)
    assert delegate is not None and table.itemDelegateForColumn(C.STATUS) is None


def test_the_problems_table_shows_where_whole(laptop, qtbot):
    page = laptop.window.show_page("plans")
    editor = page._show_editor(Plan(name="Payments"), None, False, "")
    where = Location(wave_index=1, wave_name="Application tier", server_id="s-8d2a860269077055e")
    problem = Problem(Severity.WARNING, Code.REPLICATION_SYNCING,
                      "replication is INITIAL_SYNC, not yet continuous; the recovery point may be old or missing", where)
    editor._validate_timer.stop()
    editor.problem_model.set_items([problem])
    table = editor.problem_view
    qtbot.waitUntil(lambda: not shown_whole(table, ProblemColumn.LOCATION, 1), timeout=30000)
    assert shown_whole(table, ProblemColumn.SEVERITY, 1) == []
    assert table.horizontalScrollBar().maximum() == 0


def test_the_header_menu_hides_and_shows_a_column_and_the_choice_is_remembered(qtbot, aloop):
    def open_monitor(settings):
        console = ConsoleApp(settings, persist_settings=True, restore_geometry=False)
        qtbot.addWidget(console.window)
        console.window.resize(1280, 760)
        console.window.show()
        page = console.window.show_page("executions")
        page.detail_stack.setCurrentWidget(page.detail)
        page.detail.show_view(drill())
        qtbot.waitExposed(console.window)
        return console, page.detail.server_table

    def click_in_header_menu(table, title) -> bool:
        """Right-click the header, click the column's entry; True if it was ticked before."""
        header = table.horizontalHeader()
        header.customContextMenuRequested.emit(QPoint(header.sectionViewportPosition(ServerColumn.NAME) + 5, 5))
        qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=30000)
        menu = QApplication.activePopupWidget()
        action = next(a for a in menu.actions() if a.text() == title)
        ticked = action.isChecked()
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
        qtbot.waitUntil(lambda: QApplication.activePopupWidget() is None, timeout=30000)
        return ticked

    column = ServerColumn.EC2_STATE
    console, table = open_monitor(Settings())
    title = table.model().headerData(column, Qt.Orientation.Horizontal)
    try:
        assert click_in_header_menu(table, title) is True and table.isColumnHidden(column)
        console.controller.ui_layout.save()
    finally:
        console.shutdown()
    saved = load_settings()
    assert column in saved.hidden_columns["executions.servers"]
    again, table = open_monitor(saved)  # the next session keeps it hidden, and unticked in the menu
    try:
        assert table.isColumnHidden(column)
        assert click_in_header_menu(table, title) is False and not table.isColumnHidden(column)
        assert inside(table, column)
        again.controller.ui_layout.save()
    finally:
        again.shutdown()
    assert column not in load_settings().hidden_columns["executions.servers"]
