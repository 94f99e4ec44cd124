"""The job log and the server table sort in their models (the proxies only filter, so Qt never
calls back into Python per comparison): a user sees what a sorting proxy showed, new events come in
on top, and rows keep their selection when they move."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt

from drs_console.domain.status import ExecutionStatus as S
from drs_console.domain.status import LaunchStatus
from drs_console.ui.models.execution_models import (
    EventColumn,
    EventModel,
    ServerColumn,
    ServerFilterProxy,
    ServerModel,
    SourceSortedProxy,
)
from drs_console.ui.table_view import ConsoleTableView
from tests.ui.execution_fakes import event, server, wave


def _table(qtbot, model, proxy):
    proxy.setSourceModel(model)
    table = ConsoleTableView()
    table.setModel(proxy)
    qtbot.addWidget(table)
    return table


def _column(proxy, column) -> list[str]:
    return [proxy.index(r, column).data() for r in range(proxy.rowCount())]


def test_new_job_log_events_come_in_on_top_and_the_selected_event_stays_selected(qtbot):
    model = EventModel()
    proxy = SourceSortedProxy()
    table = _table(qtbot, model, proxy)
    table.sortByColumn(EventColumn.TIME, Qt.SortOrder.DescendingOrder)
    log = [event(0, "JOB_START"), event(10, "SNAPSHOT_START"), event(10, "SNAPSHOT_END"), event(20, "CONVERSION_START")]
    model.set_events(log)
    # newest first; the two at the same second in the order they were logged
    assert _column(proxy, EventColumn.EVENT) == ["CONVERSION_START", "SNAPSHOT_START", "SNAPSHOT_END", "JOB_START"]
    table.selectionModel().select(proxy.index(1, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                                  | QItemSelectionModel.SelectionFlag.Rows)
    model.set_events([*log, event(30, "CONVERSION_END"), event(40, "LAUNCH_START")])
    assert _column(proxy, EventColumn.EVENT)[:3] == ["LAUNCH_START", "CONVERSION_END", "CONVERSION_START"]
    selected = [i.row() for i in table.selectionModel().selectedRows()]
    assert [proxy.index(r, EventColumn.EVENT).data() for r in selected] == ["SNAPSHOT_START"]
    table.sortByColumn(EventColumn.EVENT, Qt.SortOrder.AscendingOrder)  # a click on the header
    assert _column(proxy, EventColumn.EVENT) == sorted(_column(proxy, EventColumn.EVENT))


def test_a_server_whose_launch_status_changes_moves_to_its_place_in_a_sorted_column(qtbot):
    model = ServerModel()
    proxy = ServerFilterProxy()
    table = _table(qtbot, model, proxy)
    table.sortByColumn(ServerColumn.LAUNCH, Qt.SortOrder.AscendingOrder)
    pending = [server(n, launch=LaunchStatus.PENDING) for n in (1, 2, 3)]
    model.set_waves([wave(0, S.STARTED, servers=pending)])
    assert _column(proxy, ServerColumn.NAME) == ["pay-srv-01", "pay-srv-02", "pay-srv-03"]
    model.set_waves([wave(0, S.STARTED, servers=[pending[0], server(2, launch=LaunchStatus.FAILED), pending[2]])])
    assert _column(proxy, ServerColumn.NAME) == ["pay-srv-02", "pay-srv-01", "pay-srv-03"]
    assert _column(proxy, ServerColumn.LAUNCH) == ["FAILED", "PENDING", "PENDING"]
    table.sortByColumn(ServerColumn.NAME, Qt.SortOrder.DescendingOrder)
    assert _column(proxy, ServerColumn.NAME) == ["pay-srv-03", "pay-srv-02", "pay-srv-01"]
    proxy.set_text("srv-02")
    assert _column(proxy, ServerColumn.NAME) == ["pay-srv-02"]

