"""Pick source servers from the inventory (multi-select, filter as you type, replication visible)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from ..domain.inventory import SourceServer, format_age
from ..domain.plan import ServerRef
from .inventory_state import InventoryState
from .models.inventory_model import InventoryColumn, InventoryFilterProxy, InventoryModel
from .models.keyed_table import ITEM_ROLE
from .table_view import ConsoleTableView
from .widgets.badge import BadgeDelegate


class InventoryPicker(QDialog):
    """Non-modal: shown with open(); ``chosen`` carries the selected servers as plan refs, each
    held by another account than the connected one recording that account (``accountId``)."""

    chosen = Signal(list)  # list[ServerRef]

    def __init__(self, state: InventoryState, target: str, exclude: set[str], parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Add servers to {target}")
        self.resize(900, 520)
        self.model = InventoryModel(self)
        self.proxy = InventoryFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        snap = state.snapshot
        self.hub_account = snap.account_id if snap else ""
        servers = [s for s in (snap.servers if snap else ()) if s.source_server_id not in exclude]
        self.model.set_items(servers)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter: name, ID, instance, account, tag…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_text)
        self.table = ConsoleTableView()
        self.table.setModel(self.proxy)
        self.table.setItemDelegateForColumn(InventoryColumn.REPLICATION, BadgeDelegate(self.table))
        self.table.sortByColumn(InventoryColumn.NAME, Qt.SortOrder.AscendingOrder)
        self.table.setColumnWidth(InventoryColumn.NAME, 160)
        self.table.setColumnWidth(InventoryColumn.SOURCE_SERVER_ID, 170)
        self.table.setColumnWidth(InventoryColumn.SOURCE_INSTANCE_ID, 170)
        self.table.setColumnWidth(InventoryColumn.REPLICATION, 125)
        self.table.doubleClicked.connect(lambda _i: self.accept())
        if snap is None:
            note = "No inventory yet: connect once (or refresh the Inventory page) to pick servers."
        else:
            age = "live" if state.fresh else f"cached {format_age(snap.age())} ago"
            note = f"{len(servers)} servers not yet in this plan · account {snap.account_id} · {snap.region} · {age}"
        self.note = QLabel(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.add_button = buttons.addButton("Add selected", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addWidget(buttons)

    def selected_servers(self) -> list[SourceServer]:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [self.proxy.index(r, 0).data(ITEM_ROLE) for r in rows]

    def chosen_refs(self) -> list[ServerRef]:
        """The selection as plan refs: a server another account holds records that account."""
        return [ServerRef.from_inventory(s, self.hub_account) for s in self.selected_servers()]

    def accept(self) -> None:
        refs = self.chosen_refs()
        super().accept()
        if refs:
            self.chosen.emit(refs)
