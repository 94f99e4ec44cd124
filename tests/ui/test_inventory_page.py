"""The Inventory page against the sandbox: what an operator sees and can do."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from drs_console.domain.inventory import parse_iso_duration
from drs_console.domain.status import ReplicationState
from drs_console.ui.models.inventory_model import InventoryColumn
from drs_console.ui.models.keyed_table import ITEM_ROLE
from drs_console.ui.pages.inventory import InventoryPage
from tests.ui.conftest import Console


def connect_and_load(console, aloop):
    aloop.run_until_complete(console.controller.connect(sandbox=True))
    aloop.run_until_complete(asyncio.wait_for(console.page.ready(), 30))


def visible_column(page, column):
    proxy = page.proxy
    return [proxy.index(r, column).data() for r in range(proxy.rowCount())]


def test_connecting_loads_every_source_server(console, aloop):
    connect_and_load(console, aloop)
    expected = {s for s in console.sandbox.drs.server_ids()}
    shown = set(visible_column(console.page, InventoryColumn.SOURCE_SERVER_ID))
    assert shown == expected and len(shown) == 60
    # every column the issue names is filled from DRS
    row = console.page.model.item_at(0)
    assert row.instance_id.startswith("i-") and len(row.account_id) == 12 and row.origin_region
    assert "60 servers" in console.page.status.text()
    assert "account 123456789012" in console.page.status.text()


def test_filter_as_you_type_and_by_replication_state(console, aloop, qtbot):
    connect_and_load(console, aloop)
    page = console.page
    some = page.model.item_at(5)
    qtbot.keyClicks(page.search, some.source_server_id[:10])
    assert visible_column(page, InventoryColumn.SOURCE_SERVER_ID) == [some.source_server_id]
    assert "1 of 60 servers" in page.status.text()
    page.search.clear()
    page.state_filter.setCurrentText("Unhealthy")
    states = set(visible_column(page, InventoryColumn.REPLICATION))
    assert states and states <= {"STALLED", "DISCONNECTED", "STOPPED", "PAUSED"}
    page.state_filter.setCurrentText("All replication states")
    assert page.proxy.rowCount() == 60


def test_sort_by_lag_uses_durations_not_text(console, aloop):
    connect_and_load(console, aloop)
    page = console.page
    page.table.sortByColumn(InventoryColumn.LAG, Qt.SortOrder.DescendingOrder)
    servers = [page.proxy.index(r, 0).data(ITEM_ROLE) for r in range(page.proxy.rowCount())]
    seconds = [parse_iso_duration(s.lag_duration).total_seconds() for s in servers]
    assert seconds == sorted(seconds, reverse=True)
    assert seconds[0] > 3600 > seconds[-1]  # "4 h 52 min" sorts above "17 min", not by its text


def test_refresh_updates_rows_in_place_and_keeps_selection(console, aloop, qtbot):
    connect_and_load(console, aloop)
    page = console.page
    target = page.model.item_at(3)
    proxy_row = page.proxy.mapFromSource(page.model.index(3, 0)).row()
    page.table.selectRow(proxy_row)
    resets, changes = [], []
    page.model.modelReset.connect(lambda: resets.append(1))
    page.model.dataChanged.connect(lambda a, b: changes.append(a.row()))
    console.sandbox.drs.set_replication_state(target.source_server_id, "STALLED")
    aloop.run_until_complete(page.refresh())
    assert resets == []
    assert changes == [3]
    assert page.model.item_at(3).replication_state is ReplicationState.STALLED
    selected = page.table.selectionModel().selectedRows()
    assert [page.proxy.mapToSource(i).data() for i in selected] == [target.name]


def test_copy_rows_and_cells(console, aloop):
    connect_and_load(console, aloop)
    page = console.page
    page.table.selectRow(0)
    text = page.table.copy_rows()
    lines = text.splitlines()
    assert lines[0].startswith("Name\tSource server ID")
    assert len(lines) == 2
    assert QGuiApplication.clipboard().text() == text
    cell = page.table.copy_cell(page.proxy.index(0, InventoryColumn.SOURCE_SERVER_ID))
    assert cell.startswith("s-") and QGuiApplication.clipboard().text() == cell


def test_offline_shows_the_cached_inventory_with_its_age(console, aloop, qtbot):
    connect_and_load(console, aloop)
    offline = InventoryPage(console.controller.__class__(console.controller.settings, persist=False), console.runner)
    qtbot.addWidget(offline)
    assert offline.model.rowCount() == 60
    assert offline.offline
    assert "OFFLINE" in offline.status.text() and "ago" in offline.status.text()


def test_cancel_stops_a_refresh(console, aloop):
    aloop.run_until_complete(console.controller.connect(sandbox=True))
    page = console.page
    task = page.start_refresh()

    async def until_busy():  # cancel a refresh that is under way, not one that never started
        while page.progress.isHidden() and not task.done():
            await asyncio.sleep(0)

    aloop.run_until_complete(asyncio.wait_for(until_busy(), 10))
    assert not task.done() and not page.progress.isHidden() and not page.refresh_button.isEnabled()
    page.cancel_refresh()
    aloop.run_until_complete(asyncio.gather(task, return_exceptions=True))
    assert task.cancelled()
    # the page is not shown: isHidden() says whether the widgets were hidden again
    assert page.progress.isHidden() and page.cancel_button.isHidden() and page.refresh_button.isEnabled()


def test_throttled_inventory_is_retried_transparently(qtbot, aloop):
    c = Console(qtbot, {"throttle_rate": 0.3})
    try:
        connect_and_load(c, aloop)
        assert c.page.model.rowCount() == 60
        assert c.errors == []
    finally:
        c.close()
