"""A QTableView with the console's defaults: sortable, row selection, copy of cells and rows,
IDs elided in the middle with the whole value in a tooltip, columns fitted to their content and a
column chooser (the header's context menu)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolTip,
)

from .layout_memory import LayoutMemory

MEASURED_ROWS = 60  # a column fitted to its content is measured on at most this many rows


class MiddleElideDelegate(QStyledItemDelegate):
    """Cuts a cell's text in the middle (a resource or a location keeps its start and its end)."""

    def initStyleOption(self, option, index) -> None:  # noqa: N802 - Qt override
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class ConsoleTableView(QTableView):
    columns_changed = Signal()  # the user showed or hid a column

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)  # tables of IDs elide in the middle
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(26)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setTextElideMode(Qt.TextElideMode.ElideRight)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        header.viewport().installEventFilter(self)  # a cut header shows its whole title as a tooltip
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        copy = QAction("Copy rows", self)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self.copy_rows)
        self.addAction(copy)
        self._layout_key = ""
        self._memory: LayoutMemory | None = None
        self._fit: tuple[tuple[int, ...], int, int, int] | None = None  # see fit_to_viewport
        self._fitting = False
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._refit)
        header.sectionResized.connect(self._section_resized)
        self.columns_changed.connect(self._fit_timer.start)

    def elide_ids(self) -> None:
        """Cut text in the middle: an ID keeps its start and end (for tables mostly of IDs)."""
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)

    def elide_middle(self, *columns: int) -> None:
        """Cut these columns' text in the middle (the view's other columns keep its mode)."""
        delegate = MiddleElideDelegate(self)
        for col in columns:
            self.setItemDelegateForColumn(col, delegate)

    # -- columns -------------------------------------------------------------------------------
    def content_width(self, col: int) -> int:
        """What column ``col`` needs to show its header and the rows in view whole."""
        header = self.horizontalHeader()
        title = str(self.model().headerData(col, Qt.Orientation.Horizontal) or "")
        indicator = 18 if self.isSortingEnabled() else 0
        # a little more than the rows' size hint, so that is_elided (the tooltips) agrees it fits
        return max(header.fontMetrics().horizontalAdvance(title) + 16 + indicator, self.rows_width(col) + 4)

    def sample_rows(self) -> range:
        """The rows a column is measured on: those in view (the first ones while the table is not
        shown), at most MEASURED_ROWS. Qt's own measure (``sizeHintForColumn``) reads up to 1,000
        rows through the model's Python ``data``: ~100 ms for a 1,000-server table."""
        count = self.model().rowCount() if self.model() is not None else 0
        top = max(0, self.rowAt(0)) if self.isVisible() else 0
        bottom = self.rowAt(self.viewport().height() - 1) if self.isVisible() else -1
        if bottom < 0:
            bottom = count - 1
        return range(top, min(bottom + 1, top + MEASURED_ROWS, count))

    def rows_width(self, col: int) -> int:
        """The width the sampled rows (``sample_rows``) of column ``col`` need, as their delegate
        draws them: what ``sizeHintForColumn`` says for those rows, without reading the others."""
        model = self.model()
        if model is None:
            return 0
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        delegate = self.itemDelegateForColumn(col) or self.itemDelegate()
        width = 0
        for row in self.sample_rows():
            index = model.index(row, col)
            width = max(width, delegate.sizeHint(option, index).width())
        return width + (1 if self.showGrid() else 0)

    def fit_to_viewport(self, fitted: Iterable[int], elastic: int, *, elastic_min: int = 80,
                        rest_min: int = 60) -> None:
        """Size the table to its viewport, by content, now and whenever it resizes or its rows change:
        the ``fitted`` columns (those that must never be cut, e.g. a status) get their whole content,
        ``elastic`` its content but only what the viewport leaves once the last column has
        ``rest_min`` pixels (cut in the middle, the whole value in a tooltip, never under
        ``elastic_min``), the last column the rest. A column the user drags stops the fitting."""
        self._fit = (tuple(fitted), elastic, elastic_min, rest_min)
        self.elide_middle(elastic)
        model = self.model()
        for sig in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.dataChanged, model.layoutChanged):
            sig.connect(self._fit_timer.start)
        self._refit()

    def _refit(self) -> None:
        if self._fit is None or self.model() is None:
            return
        fitted, elastic, elastic_min, rest_min = self._fit
        count = self.model().columnCount()
        last = max((c for c in range(count) if not self.isColumnHidden(c)), default=-1)
        self._fitting = True
        try:
            widths = {c: self.content_width(c) for c in fitted if not self.isColumnHidden(c) and c != last}
            for col, width in widths.items():
                self.setColumnWidth(col, width)
            others = sum(self.columnWidth(c) for c in range(count)
                         if c not in (elastic, last) and not self.isColumnHidden(c))
            # a stretched last section that does not get its default size keeps that size (and
            # the table scrolls): leave it at least that much
            room = self.viewport().width() - others - max(rest_min, self.horizontalHeader().defaultSectionSize())
            if not self.isColumnHidden(elastic) and elastic != last:
                self.setColumnWidth(elastic, max(elastic_min, min(self.content_width(elastic), room)))
        finally:
            self._fitting = False

    def _section_resized(self, col: int, _old: int, _new: int) -> None:
        if self._fit is not None and not self._fitting and self.horizontalHeader().underMouse() and \
                QGuiApplication.mouseButtons() & Qt.MouseButton.LeftButton:
            self._fit = None  # the user sizes the columns from now on

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._fit is not None:
            self._fit_timer.start()

    def fit_columns(self, limits: Mapping[int, tuple[int, int]]) -> None:
        """Size each listed column to its header and the rows' content, within (min, max) pixels.

        Only the rows in view are measured (``sample_rows``), so this stays cheap on long tables."""
        header = self.horizontalHeader()
        for col, (low, high) in limits.items():
            if self.isColumnHidden(col):
                continue
            title = str(self.model().headerData(col, Qt.Orientation.Horizontal) or "")
            wanted = max(header.fontMetrics().horizontalAdvance(title) + 16, self.rows_width(col))
            self.setColumnWidth(col, max(low, min(high, wanted)))

    def remember_columns(self, key: str, memory: LayoutMemory, *, hidden_by_default: Iterable[int] = ()) -> None:
        """Hide the user's hidden columns of this table (or the defaults), and remember changes."""
        self._layout_key, self._memory = key, memory
        saved = memory.hidden_columns(key)
        hidden = set(saved if saved is not None else hidden_by_default)
        for col in range(self.model().columnCount() if self.model() else 0):
            self.setColumnHidden(col, col in hidden)

    def column_actions(self) -> list[QAction]:
        """One checkable action per column (what the header's menu shows)."""
        model = self.model()
        actions = []
        visible = [c for c in range(model.columnCount()) if not self.isColumnHidden(c)]
        for col in range(model.columnCount()):
            action = QAction(str(model.headerData(col, Qt.Orientation.Horizontal)), self)
            action.setCheckable(True)
            action.setChecked(not self.isColumnHidden(col))
            action.setEnabled(not (visible == [col]))  # never hide the last one
            action.toggled.connect(lambda on, c=col: self.set_column_shown(c, on))
            actions.append(action)
        return actions

    def set_column_shown(self, col: int, shown: bool) -> None:
        self.setColumnHidden(col, not shown)
        if shown and self.columnWidth(col) < 30:
            self.resizeColumnToContents(col)
        if self._memory is not None and self._layout_key:
            hidden = [c for c in range(self.model().columnCount()) if self.isColumnHidden(c)]
            self._memory.remember_hidden(self._layout_key, hidden)
        self.columns_changed.emit()

    def _column_menu(self, pos: QPoint) -> QMenu:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one menu per right-click, not kept
        menu.setTitle("Columns")
        for action in self.column_actions():
            action.setParent(menu)
            menu.addAction(action)
        menu.popup(self.horizontalHeader().mapToGlobal(pos))
        return menu

    # -- tooltips ------------------------------------------------------------------------------
    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        header = self.horizontalHeader()
        if event.type() == QEvent.Type.ToolTip and watched is header.viewport() and self.model() is not None:
            col = header.logicalIndexAt(event.pos())
            title = str(self.model().headerData(col, Qt.Orientation.Horizontal) or "") if col >= 0 else ""
            if title:
                QToolTip.showText(event.globalPos(), title, header.viewport())
                return True
        return super().eventFilter(watched, event)

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """A cell whose text does not fit shows it whole in a tooltip (when its model has none)."""
        if event.type() == QEvent.Type.ToolTip:
            index = self.indexAt(event.pos())
            if index.isValid() and index.data(Qt.ItemDataRole.ToolTipRole) in (None, ""):
                text = index.data(Qt.ItemDataRole.DisplayRole)
                if text not in (None, "") and self.is_elided(index):
                    QToolTip.showText(event.globalPos(), str(text), self.viewport(), self.visualRect(index))
                    return True
        return super().viewportEvent(event)

    def is_elided(self, index) -> bool:
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        return self.fontMetrics().horizontalAdvance(text) + 8 > self.visualRect(index).width()

    # -- copying -------------------------------------------------------------------------------
    def _menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        index = self.indexAt(pos)
        if index.isValid():
            menu.addAction("Copy cell", lambda: self.copy_cell(index))
        menu.addAction("Copy rows", self.copy_rows)
        columns = menu.addMenu("Columns")
        for action in self.column_actions():
            action.setParent(columns)
            columns.addAction(action)
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
