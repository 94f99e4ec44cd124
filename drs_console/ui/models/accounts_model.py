"""The Accounts table: one row per known account, with what its last test found."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from PySide6.QtCore import Qt

from ...domain.accounts import KnownAccount
from .keyed_table import SORT_ROLE, KeyedTableModel


class AccountColumn(IntEnum):
    ACCOUNT_ID = 0
    NAME = 1
    REACHED_WITH = 2
    STATUS = 3
    DETAIL = 4


@dataclass(frozen=True)
class AccountRow:
    account: KnownAccount
    status: str = "Not tested"  # Not tested | Testing… | PASS | FAIL
    detail: str = ""  # the identity reached, or the problem and what to do


class AccountsModel(KeyedTableModel[AccountRow]):
    Column = AccountColumn
    HEADERS = {
        AccountColumn.ACCOUNT_ID: "Account ID",
        AccountColumn.NAME: "Name",
        AccountColumn.REACHED_WITH: "Reached with",
        AccountColumn.STATUS: "Test",
        AccountColumn.DETAIL: "Identity or problem",
    }

    def key(self, item: AccountRow) -> str:
        return item.account.account_id

    def cell(self, r: AccountRow, column: AccountColumn, role: int):
        C = AccountColumn
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column is C.ACCOUNT_ID:
                return r.account.account_id
            if column is C.NAME:
                return r.account.name
            if column is C.REACHED_WITH:
                return r.account.reach_text()
            if column is C.STATUS:
                return r.status
            if column is C.DETAIL:
                return r.detail
        if role == SORT_ROLE:
            return (self.cell(r, column, Qt.ItemDataRole.DisplayRole) or "").casefold()
        return None
