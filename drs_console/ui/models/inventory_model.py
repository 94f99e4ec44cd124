"""The inventory table: one row per DRS source server."""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from ...domain.inventory import SourceServer, format_age, parse_iso_duration
from ...domain.status import ReplicationState
from .keyed_table import ITEM_ROLE, SORT_ROLE, KeyedTableModel


class InventoryColumn(IntEnum):
    NAME = 0
    SOURCE_SERVER_ID = 1
    SOURCE_INSTANCE_ID = 2
    SOURCE_ACCOUNT_ID = 3
    ORIGIN_REGION = 4
    REPLICATION = 5
    LAG = 6
    LAST_LAUNCH = 7
    TAGS = 8
    # after TAGS so that the columns users hid (saved by index) stay the same; shown second
    ACCOUNT = 9


class InventoryModel(KeyedTableModel[SourceServer]):
    Column = InventoryColumn
    HEADERS = {
        InventoryColumn.NAME: "Name",
        InventoryColumn.SOURCE_SERVER_ID: "Source server ID",
        InventoryColumn.SOURCE_INSTANCE_ID: "Source instance ID",
        InventoryColumn.SOURCE_ACCOUNT_ID: "Source account ID",
        InventoryColumn.ORIGIN_REGION: "Origin region",
        InventoryColumn.REPLICATION: "Replication",
        InventoryColumn.LAG: "Lag",
        InventoryColumn.LAST_LAUNCH: "Last launch",
        InventoryColumn.TAGS: "Tags",
        InventoryColumn.ACCOUNT: "Account",
    }

    def __init__(self, parent=None):
        super().__init__(parent)
        self.hub_account = ""  # the connected account: a server read without one is in it
        self.account_names: dict[str, str] = {}

    def set_accounts(self, hub_account: str, names: dict[str, str]) -> None:
        self.hub_account, self.account_names = hub_account, dict(names)

    def account_of(self, s: SourceServer) -> str:
        return s.drs_account_id or self.hub_account

    def key(self, item: SourceServer) -> str:
        return item.source_server_id

    def cell(self, s: SourceServer, column: InventoryColumn, role: int):
        C = InventoryColumn
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column is C.NAME:
                return s.name if role == Qt.ItemDataRole.DisplayRole else (s.fqdn or s.hostname or s.name)
            if column is C.SOURCE_SERVER_ID:
                return s.source_server_id
            if column is C.SOURCE_INSTANCE_ID:
                return s.instance_id
            if column is C.SOURCE_ACCOUNT_ID:
                return s.account_id
            if column is C.ORIGIN_REGION:
                return s.origin_region
            if column is C.REPLICATION:
                return s.replication_state.value
            if column is C.LAG:
                lag = parse_iso_duration(s.lag_duration)
                return format_age(lag) if lag is not None else ""
            if column is C.LAST_LAUNCH:
                return s.last_launch_result
            if column is C.TAGS:
                return s.tags_text()
            if column is C.ACCOUNT:
                account = self.account_of(s)
                name = self.account_names.get(account, "")
                if role == Qt.ItemDataRole.ToolTipRole:
                    lines = [f"Held in DRS by account {account}" + (f" ({name})" if name else "")
                             + (" (connected)" if account == self.hub_account else "")]
                    if s.extended:
                        lines.append(f"Extended: replicates through staging account {s.staging_account_id}")
                    if s.account_id:
                        lines.append(f"Source account {s.account_id}")
                    return "\n".join(lines)
                text = f"{name} ({account})" if name else account
                return f"{text} · staging {s.staging_account_id}" if s.extended else text
        if role == SORT_ROLE:
            if column is C.LAG:
                lag = parse_iso_duration(s.lag_duration)
                return lag.total_seconds() if lag is not None else -1.0
            return (self.cell(s, column, Qt.ItemDataRole.DisplayRole) or "").casefold()
        return None


class InventoryFilterProxy(QSortFilterProxyModel):
    """Free text across every column, plus a replication-state filter."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._text = ""
        self._states: frozenset[ReplicationState] | None = None
        self._account: str | None = None
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_states(self, states: frozenset[ReplicationState] | None) -> None:
        self.beginFilterChange()
        self._states = states
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_account(self, account_id: str | None) -> None:
        """Only the servers held by ``account_id`` in DRS (None: every account)."""
        self.beginFilterChange()
        self._account = account_id or None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        server: SourceServer = self.sourceModel().index(source_row, 0, source_parent).data(ITEM_ROLE)
        if server is None:
            return False
        if self._states is not None and server.replication_state not in self._states:
            return False
        if self._account is not None:
            model = self.sourceModel()
            account = model.account_of(server) if isinstance(model, InventoryModel) else server.drs_account_id
            if account != self._account:
                return False
        return not self._text or server.matches_text(self._text)
