"""Big live updates do not stall the window: a 1,000-server update repaints only the cells that
changed, is applied in slices over several event-loop turns (each within its row budget), a newer
update supersedes one still being applied, and sorting and selection survive it. Columns fitted
to their content are measured on the rows in view, not on all 1,000."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QItemSelectionModel, Qt

from drs_console.domain.status import ExecutionStatus as S
from drs_console.domain.status import LaunchStatus
from drs_console.ui.models.execution_models import ServerColumn, ServerFilterProxy, ServerModel
from drs_console.ui.models.keyed_table import ITEM_ROLE
from drs_console.ui.models.sliced import SlicedUpdater
from drs_console.ui.pages.executions import ExecutionDetail
from drs_console.ui.table_view import MEASURED_ROWS, ConsoleTableView
from tests.ui.execution_fakes import server, view, wave

N = 1000


def _servers(launch_of=lambda n: LaunchStatus.PENDING, **kw):
    return [server(n, launch=launch_of(n), **kw) for n in range(N)]


def _waves(servers, per=100):
    return [wave(i, S.STARTED, servers=servers[i * per:(i + 1) * per]) for i in range(len(servers) // per)]


def _changes(model):
    """Every dataChanged range as (first row, last row, first column, last column)."""
    seen: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(lambda tl, br, _roles=(): seen.append((tl.row(), br.row(), tl.column(), br.column())))
    return seen


def _cells(ranges) -> int:
    return sum((r1 - r0 + 1) * (c1 - c0 + 1) for r0, r1, c0, c1 in ranges)


def test_a_thousand_server_update_signals_only_the_cells_that_changed(qtbot):
    model = ServerModel()
    model.set_waves(_waves(_servers()))
    seen = _changes(model)
    launched = {7, 8, 9, 250, 251, 600, 601, 602, 603, 999}  # ten servers launched, nothing else changed
    model.set_waves(_waves(_servers(lambda n: LaunchStatus.LAUNCHED if n in launched else LaunchStatus.PENDING)))
    assert _cells(seen) == len(launched)  # ten cells repainted, not ten rows of eleven columns
    assert all(c0 == c1 == ServerColumn.LAUNCH for _r0, _r1, c0, c1 in seen)
    assert sorted(r for r0, r1, _c0, _c1 in seen for r in range(r0, r1 + 1)) == sorted(launched)
    assert len(seen) == 4  # adjacent rows with the same changed cell make one range: 7-9, 250-251, 600-603, 999
    assert [model.index(r, ServerColumn.LAUNCH).data() for r in (7, 10, 999)] == ["LAUNCHED", "PENDING", "LAUNCHED"]


def test_a_server_that_launched_repaints_its_launch_instance_and_state_cells_only(qtbot):
    model = ServerModel()
    model.set_waves(_waves(_servers()))
    seen = _changes(model)
    after = _servers()
    after[3] = server(3, launch=LaunchStatus.LAUNCHED, instance="i-0ec2000000000003", state="RUNNING")
    model.set_waves(_waves(after))
    assert seen == [(3, 3, ServerColumn.LAUNCH, ServerColumn.EC2_STATE)]


def test_each_slice_of_a_big_update_stays_within_its_row_budget(qtbot):
    model = ServerModel()
    model.set_waves(_waves(_servers()))
    seen = _changes(model)
    inserted: list[int] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append(last - first + 1))
    every_row_changed = _servers(lambda n: LaunchStatus.LAUNCHED) + [server(N + n) for n in range(250)]
    per_slice = []
    for _touched in model.set_items_in_steps(ServerModel.rows_of(_waves(every_row_changed, per=125)), rows=100):
        per_slice.append(_cells(seen) + sum(inserted))  # rows changed or added in this slice
        seen.clear()
        inserted.clear()
    assert max(per_slice) <= 100
    assert sum(per_slice) >= N + 250  # 1,000 changed (their wave's name too), 250 new
    assert model.rowCount() == N + 250


def test_a_big_update_is_applied_over_several_loop_turns(qtbot):
    model = ServerModel()
    model.set_waves(_waves(_servers()))
    updater = SlicedUpdater(model, rows_per_turn=100)
    updater.submit(ServerModel.rows_of(_waves(_servers(lambda n: LaunchStatus.LAUNCHED))))
    launched = sum(1 for r in range(N) if model.index(r, ServerColumn.LAUNCH).data() == "LAUNCHED")
    assert launched <= 100 and updater.pending  # the first slice now; the window paints before the next
    qtbot.waitUntil(lambda: not updater.pending, timeout=30000)
    assert all(model.index(r, ServerColumn.LAUNCH).data() == "LAUNCHED" for r in range(N))


def test_an_update_superseded_by_a_newer_one_is_never_applied_after_it(qtbot):
    model = ServerModel()
    model.set_waves(_waves(_servers()))
    updater = SlicedUpdater(model, rows_per_turn=100)
    applied: list[str] = []
    updater.applied.connect(lambda: applied.append("done"))
    updater.submit(ServerModel.rows_of(_waves(_servers(lambda n: LaunchStatus.IN_PROGRESS))))
    newer = False
    stale: list[int] = []

    def watch(tl, br, _roles=()):
        for r in range(tl.row(), br.row() + 1):
            if newer and model.index(r, ServerColumn.LAUNCH).data() == "IN_PROGRESS":
                stale.append(r)

    model.dataChanged.connect(watch)
    newer = True
    updater.submit(ServerModel.rows_of(_waves(_servers(lambda n: LaunchStatus.LAUNCHED))))
    qtbot.waitUntil(lambda: not updater.pending, timeout=30000)
    assert stale == []
    assert {model.index(r, ServerColumn.LAUNCH).data() for r in range(N)} == {"LAUNCHED"}
    assert applied == ["done"]  # the superseded update never completed


def test_sorting_and_selection_survive_a_sliced_update(qtbot):
    model = ServerModel()
    proxy = ServerFilterProxy()
    proxy.setSourceModel(model)
    table = ConsoleTableView()
    table.setModel(proxy)
    qtbot.addWidget(table)
    table.sortByColumn(ServerColumn.LAUNCH, Qt.SortOrder.AscendingOrder)
    model.set_waves(_waves(_servers()))
    row = next(r for r in range(proxy.rowCount()) if proxy.index(r, ServerColumn.NAME).data() == "pay-srv-500")
    table.selectionModel().select(proxy.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                                  | QItemSelectionModel.SelectionFlag.Rows)
    updater = SlicedUpdater(model, rows_per_turn=100)
    # every other server fails: each half moves to its place in the sorted column
    updater.submit(ServerModel.rows_of(_waves(_servers(
        lambda n: LaunchStatus.FAILED if n % 2 == 0 else LaunchStatus.PENDING))))
    qtbot.waitUntil(lambda: not updater.pending, timeout=30000)
    column = [proxy.index(r, ServerColumn.LAUNCH).data() for r in range(proxy.rowCount())]
    assert column == ["FAILED"] * (N // 2) + ["PENDING"] * (N // 2)
    selected = [i.data(ITEM_ROLE).server.name for i in table.selectionModel().selectedRows()]
    assert selected == ["pay-srv-500"]


def test_the_detail_shows_a_big_update_in_full_after_a_few_turns(qtbot):
    detail = ExecutionDetail()
    qtbot.addWidget(detail)
    detail.show_view(view("ex-1", S.STARTED, waves=_waves(_servers())))
    assert detail.server_model.rowCount() == N
    detail.show_view(view("ex-1", S.STARTED, waves=_waves(_servers(lambda n: LaunchStatus.LAUNCHED))))
    qtbot.waitUntil(lambda: not detail.servers.updater.pending, timeout=30000)
    assert {detail.server_model.index(r, ServerColumn.LAUNCH).data() for r in range(N)} == {"LAUNCHED"}
    assert detail.server_count.text() == f"{N} servers"


class _CountingServerModel(ServerModel):
    def __init__(self):
        super().__init__()
        self.rows_read: set[int] = set()

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        self.rows_read.add(index.row())
        return super().data(index, role)


def test_fitting_a_column_measures_the_rows_in_view_not_all_of_them(qtbot):
    model = _CountingServerModel()
    names = _servers()
    names[5] = replace(names[5], name="a-much-longer-server-name")
    model.set_waves(_waves(names))
    table = ConsoleTableView()
    table.setModel(model)
    qtbot.addWidget(table)
    table.resize(900, 400)
    table.show()
    qtbot.waitExposed(table)
    model.rows_read.clear()
    table.fit_columns({ServerColumn.NAME: (40, 400)})
    assert len(model.rows_read) <= MEASURED_ROWS  # not 1,000 rows through Python
    wide = table.fontMetrics().horizontalAdvance("a-much-longer-server-name")
    assert table.columnWidth(ServerColumn.NAME) >= wide  # the longest name in view is not cut


def test_new_events_on_top_of_a_5000_event_log_are_inserted_without_touching_the_others(qtbot):
    from drs_console.ui.models.execution_models import EventModel
    from tests.ui.execution_fakes import event

    model = EventModel()
    log = tuple(event(5000 - i, "LAUNCH_START", i % N) for i in range(5000))  # newest first, as the monitor hands it
    model.set_events(log)
    seen = _changes(model)
    inserted: list[int] = []
    removed: list[int] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append(last - first + 1))
    model.rowsRemoved.connect(lambda _p, first, last: removed.append(last - first + 1))
    model.modelReset.connect(lambda: removed.append(-1))
    keyed: list[int] = []
    rows_of = model._rows_of
    model._rows_of = lambda events: keyed.append(len(events)) or rows_of(events)
    model.set_events(tuple(event(6000 - i, "JOB_END", i) for i in range(70)) + log)
    assert sum(inserted) == 70 and removed == [] and seen == []
    assert keyed == [70]  # the 5,000 events already shown are not keyed and compared again
    assert model.rowCount() == 5070
