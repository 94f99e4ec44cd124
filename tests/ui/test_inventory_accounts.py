"""The Inventory page across accounts: the hub's servers and each target account's, each row
saying its account, and the account filter (sandbox with a hub and two target accounts)."""

from __future__ import annotations

import asyncio

import pytest

from drs_console.ui.models.inventory_model import InventoryColumn
from drs_console.ui.models.keyed_table import ITEM_ROLE
from tests.ui.conftest import Console


@pytest.fixture
def console3(qtbot, aloop):
    c = Console(qtbot, {"accounts": 3, "servers": 20})
    yield c
    c.close()


def rows(page):
    return [page.proxy.index(r, 0).data(ITEM_ROLE) for r in range(page.proxy.rowCount())]


def test_inventory_lists_every_accounts_servers_and_filters_by_account(console3, aloop):
    c = console3
    aloop.run_until_complete(c.controller.connect(sandbox=True))
    aloop.run_until_complete(asyncio.wait_for(c.page.ready(), 30))
    page, sb = c.page, c.sandbox
    targets = sb.targets
    want = {sb.account_id: set(sb.drs.server_ids())}
    for t in targets:
        want[t.account_id] = set(sb.drs_for(t.account_id).server_ids())
    assert all(want.values()) and len(set().union(*want.values())) == sum(map(len, want.values()))  # distinct IDs
    assert page.proxy.rowCount() == 20 + 2 * targets[0].servers
    assert page.account_filter.isVisibleTo(page) and page.account_filter.count() == 4  # All + 3 accounts
    assert "3 accounts (connected: 123456789012)" in page.status.text()

    for t in targets:
        index = page.account_filter.findData(t.account_id)
        assert t.name in page.account_filter.itemText(index)
        page.account_filter.setCurrentIndex(index)
        shown = rows(page)
        assert {s.source_server_id for s in shown} == want[t.account_id]
        column = [page.proxy.index(r, InventoryColumn.ACCOUNT).data() for r in range(page.proxy.rowCount())]
        assert all(text.startswith(f"{t.name} ({t.account_id})") for text in column)
        assert all(s.name.startswith(f"{t.variant}-") for s in shown)  # their own names too
        assert f"{len(want[t.account_id])} of {page.proxy.sourceModel().rowCount()} servers" in page.status.text()

    page.account_filter.setCurrentIndex(page.account_filter.findData(sb.account_id))
    assert {s.source_server_id for s in rows(page)} == want[sb.account_id]
    page.account_filter.setCurrentIndex(0)
    assert page.proxy.rowCount() == sum(map(len, want.values()))
    # the Account column is shown right after the name
    header = page.table.horizontalHeader()
    assert header.visualIndex(InventoryColumn.ACCOUNT) == 1


def test_an_extended_server_shows_its_staging_account(console3, aloop):
    c = console3
    aloop.run_until_complete(c.controller.connect(sandbox=True))
    aloop.run_until_complete(asyncio.wait_for(c.page.ready(), 30))
    page = c.page
    extended = [r for r in range(page.model.rowCount()) if page.model.item_at(r).extended]
    assert extended, "the seed has extended source servers"
    row = extended[0]
    server = page.model.item_at(row)
    text = page.model.index(row, InventoryColumn.ACCOUNT).data()
    assert text.endswith(f"staging {server.staging_account_id}") and server.staging_account_id != server.drs_account_id


def test_an_unreachable_account_is_named_and_the_others_still_load(console3, aloop):
    c = console3
    aloop.run_until_complete(c.controller.connect(sandbox=True))
    aloop.run_until_complete(asyncio.wait_for(c.page.ready(), 30))
    broken = c.sandbox.targets[1]
    c.sandbox.drs_for(broken.account_id).initialized = False
    snap = aloop.run_until_complete(c.page.refresh())
    assert broken.account_id in snap.problems and "not initialized" in snap.problems[broken.account_id]
    assert not snap.in_account(broken.account_id)
    assert snap.in_account(c.sandbox.targets[0].account_id)
    assert "not initialized" in c.page.status.text()
    index = c.page.account_filter.findData(broken.account_id)
    assert "(not read)" in c.page.account_filter.itemText(index)
