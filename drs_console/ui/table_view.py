"""A QTableView with the console's defaults: sortable, row selection, copy of cells and rows."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView


class ConsoleTableView(QTableView):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(26)
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        copy = QAction("Copy rows", self)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self.copy_rows)
        self.addAction(copy)

    def _menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        index = self.indexAt(pos)
        if index.isValid():
            menu.addAction("Copy cell", lambda: self.copy_cell(index))
        menu.addAction("Copy rows", self.copy_rows)
        menu.popup(self.viewport().mapToGlobal(pos))

    def copy_cell(self, index=None) -> str:
        index = index if index is not None else self.currentIndex()
        text = str(index.data() or "") if index.isValid() else ""
        QGuiApplication.clipboard().setText(text)
        return text

    def copy_rows(self) -> str:
        """Copy the selected rows as tab-separated text with a header line."""
        model = self.model()
        rows = sorted({i.row() for i in self.selectionModel().selectedRows()})
        if not rows:
            return ""
        cols = [c for c in range(model.columnCount()) if not self.isColumnHidden(c)]
        header = "\t".join(str(model.headerData(c, Qt.Orientation.Horizontal)) for c in cols)
        lines = [header] + [
            "\t".join(str(model.index(r, c).data() or "") for c in cols) for r in rows
        ]
        text = "\n".join(lines)
        QGuiApplication.clipboard().setText(text)
        return text
