"""The main window: connection bar on top, page navigation on the left, pages in a stack.

Paint first: ``MainWindow()`` without a controller is the window's shell, cheap to build (Qt only:
no boto3, no asyncio, no page module): the connection bar's fields, the navigation with every
page's title, the start page's empty state. The app shows it, and only then imports and builds
the rest: ``attach()`` puts the real connection bar in the placeholder's place and ``add_page()``
each real page in its placeholder's, so nothing moves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from .connection import ConnectionController
    from .errors import ErrorReporter
    from .pages.base import Page
    from .tasks import TaskRunner

# The pages, in navigation order (ConsoleApp adds them in this order; tests/ui/test_app_wiring.py
# checks they agree).
PAGE_TITLES: tuple[tuple[str, str], ...] = (
    ("inventory", "Inventory"),
    ("plans", "Plans"),
    ("executions", "Executions"),
    ("history", "History"),
    ("backend", "Backend"),
    ("accounts", "Accounts"),
)


class MainWindow(QMainWindow):
    first_painted = Signal()

    def __init__(
        self,
        controller: ConnectionController | None = None,
        runner: TaskRunner | None = None,
        reporter: ErrorReporter | None = None,
        *,
        restore_geometry: bool = True,
        placeholders: bool | None = None,
    ):
        super().__init__()
        self.controller = controller
        self.runner = runner
        self.reporter = reporter
        self.pages: dict[str, Page] = {}
        self._placeholders: dict[str, QWidget] = {}
        self._close_confirmed = False
        self.painted = False
        self.setWindowTitle("DRS Console[*]")
        self.resize(1280, 760)

        self.connection_bar: QWidget = _ConnectionBarPlaceholder()
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(150)
        self.nav.setStyleSheet("QListWidget#nav::item { padding: 8px 10px; }")
        self.stack = QStackedWidget()

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.connection_bar)
        outer.addLayout(body, 1)
        self.setCentralWidget(central)

        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setVisible(False)
        self.statusBar().addPermanentWidget(self.busy)
        self.version_label = QLabel("")
        self.statusBar().addPermanentWidget(self.version_label)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self._outer = outer

        about = QAction("About DRS Console", self)
        about.triggered.connect(self.show_about)
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        menu = self.menuBar().addMenu("&File")
        menu.addAction(quit_action)
        self.menuBar().addMenu("&Help").addAction(about)

        if restore_geometry:
            geometry = QSettings().value("main/geometry")
            if geometry is not None:
                self.restoreGeometry(geometry)
        if placeholders if placeholders is not None else controller is None:
            for key, title in PAGE_TITLES:
                self._add_placeholder(key, title)
        self.installEventFilter(self)
        if controller is not None:
            self.attach(controller, runner, reporter)

    # -- paint first ---------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self and not self.painted and event.type() == QEvent.Type.Paint:
            self.painted = True
            self.removeEventFilter(self)
            self.first_painted.emit()
        return False

    def _add_placeholder(self, key: str, title: str) -> None:
        widget = _StartPagePlaceholder() if not self._placeholders else QWidget()
        self._placeholders[key] = widget
        self.stack.addWidget(widget)
        item = QListWidgetItem(title)
        item.setData(Qt.ItemDataRole.UserRole, key)
        self.nav.addItem(item)
        if self.nav.currentRow() < 0:
            self.nav.setCurrentRow(0)

    def attach(self, controller: ConnectionController, runner: TaskRunner, reporter: ErrorReporter) -> None:
        """The real connection bar in the placeholder's place, the busy indicator, the version."""
        from .. import __version__
        from .connection_bar import ConnectionBar

        self.controller, self.runner, self.reporter = controller, runner, reporter
        bar = ConnectionBar(controller, runner)
        old, self.connection_bar = self.connection_bar, bar
        self._outer.replaceWidget(old, bar)
        old.hide()
        old.deleteLater()
        runner.busy_changed.connect(self.busy.setVisible)
        self.version_label.setText(f"v{__version__}")

    def add_page(self, page: Page) -> None:
        self.pages[page.key] = page
        placeholder = self._placeholders.pop(page.key, None)
        if placeholder is not None:  # in its placeholder's place: same row, same stack index
            index = self.stack.indexOf(placeholder)
            current = self.stack.currentIndex()
            self.stack.insertWidget(index, page)
            self.stack.removeWidget(placeholder)
            placeholder.hide()
            placeholder.deleteLater()
            self.stack.setCurrentIndex(current)
            return
        self.stack.addWidget(page)
        item = QListWidgetItem(page.title)
        item.setData(Qt.ItemDataRole.UserRole, page.key)
        self.nav.addItem(item)
        if self.nav.currentRow() < 0:
            self.nav.setCurrentRow(0)

    def show_page(self, key: str) -> Page:
        page = self.pages[key]
        self.nav.setCurrentRow(list(self.pages).index(key))
        return page

    def _confirmed_close(self) -> None:
        self._close_confirmed = True
        self.close()

    def show_about(self) -> None:
        from ..buildinfo import build_info

        box = QMessageBox(self)
        box.setWindowTitle("About DRS Console")
        info = build_info()
        box.setText(f"DRS Console {info.version}")
        box.setInformativeText(
            "Operator console for AWS Elastic Disaster Recovery.\n\n"
            f"Commit: {info.commit}\nBuilt: {info.build_date}"
        )
        box.open()

    def set_document(self, name: str, unsaved: bool) -> None:
        """The open plan in the title, with the unsaved marker following its undo stack."""
        self.setWindowTitle(f"{name}[*] — DRS Console" if name else "DRS Console[*]")
        self.setWindowModified(unsaved)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self._close_confirmed:
            for page in self.pages.values():
                if page.has_unsaved():
                    event.ignore()
                    page.ask_unsaved(self._confirmed_close)
                    return
        QSettings().setValue("main/geometry", self.saveGeometry())
        for widget in self._placeholders.values():
            widget.deleteLater()
        for page in self.pages.values():
            page.shutdown()
        super().closeEvent(event)


class _ConnectionBarPlaceholder(QWidget):
    """The connection bar's fields, laid out as ConnectionBar lays them out, until it is built."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("ConnectionBar")
        profile, region = QComboBox(), QComboBox()
        profile.setMinimumWidth(160)
        region.setMinimumWidth(130)
        region.setEditable(True)
        endpoint = QLineEdit()
        endpoint.setPlaceholderText("endpoint URL (optional)")
        button = QPushButton("Connect")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(QLabel("Profile"))
        layout.addWidget(profile)
        layout.addWidget(QLabel("Region"))
        layout.addWidget(region)
        layout.addWidget(endpoint, 1)
        layout.addWidget(QCheckBox("Sandbox"))
        layout.addWidget(button)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Not connected"), 2)
        for child in (profile, region, endpoint, button):
            child.setEnabled(False)


class _StartPagePlaceholder(QWidget):
    """The start page's empty state until the page is built."""

    def __init__(self) -> None:
        super().__init__()
        label = QLabel("Not connected. Choose a profile and region, or tick Sandbox, then Connect.")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(label, 1)
