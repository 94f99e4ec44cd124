"""Tables of the Backend page: stack outputs, doctor findings, deployment events."""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush

from ...aws.backend import StackEvent
from ...domain.errors import Finding
from .. import theme
from .keyed_table import SORT_ROLE, KeyedTableModel


class OutputColumn(IntEnum):
    KEY = 0
    VALUE = 1


class OutputsModel(KeyedTableModel[tuple[str, str]]):
    Column = OutputColumn
    HEADERS = {OutputColumn.KEY: "Output", OutputColumn.VALUE: "Value"}

    def key(self, item: tuple[str, str]) -> str:
        return item[0]

    def cell(self, item: tuple[str, str], column: OutputColumn, role: int):
        if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE, Qt.ItemDataRole.ToolTipRole):
            return item[column]
        return None


class FindingColumn(IntEnum):
    LEVEL = 0
    CHECK = 1
    MESSAGE = 2
    REMEDY = 3


class FindingsModel(KeyedTableModel[Finding]):
    Column = FindingColumn
    HEADERS = {
        FindingColumn.LEVEL: "Result",
        FindingColumn.CHECK: "Check",
        FindingColumn.MESSAGE: "Finding",
        FindingColumn.REMEDY: "What to do",
    }

    def key(self, item: Finding) -> str:
        return item.check

    def cell(self, f: Finding, column: FindingColumn, role: int):
        if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE):
            return {
                FindingColumn.LEVEL: f.level,
                FindingColumn.CHECK: f.check,
                FindingColumn.MESSAGE: f.message,
                FindingColumn.REMEDY: f.remedy,
            }[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            details = getattr(f, "details", ()) or ()  # doctor's lines behind a finding: each difference
            lines = "\n".join(f"• {d}" for d in details[:30])
            more = f"\n… and {len(details) - 30} more (drs-console doctor --json)" if len(details) > 30 else ""
            return "\n".join(x for x in (f.message, lines + more, f.remedy) if x).strip()
        return None


class EventColumn(IntEnum):
    TIME = 0
    RESOURCE = 1
    STATUS = 2
    REASON = 3


class StackEventsModel(KeyedTableModel[StackEvent]):
    Column = EventColumn
    HEADERS = {
        EventColumn.TIME: "Time",
        EventColumn.RESOURCE: "Resource",
        EventColumn.STATUS: "Status",
        EventColumn.REASON: "Reason",
    }

    def key(self, item: StackEvent) -> str:
        return item.event_id or f"{item.timestamp}|{item.logical_id}|{item.status}"

    def cell(self, e: StackEvent, column: EventColumn, role: int):
        if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE):
            if column is EventColumn.TIME:
                return e.timestamp.astimezone().strftime("%H:%M:%S") if e.timestamp else ""
            if column is EventColumn.RESOURCE:
                return f"{e.logical_id} ({e.resource_type})"
            if column is EventColumn.STATUS:
                return e.status
            return e.reason
        if role == Qt.ItemDataRole.ForegroundRole and column is EventColumn.STATUS:
            if e.failed:
                return QBrush(theme.RED)
            if e.status.endswith("_COMPLETE"):
                return QBrush(theme.GREEN)
        return None
