"""The main window: connection bar on top, page navigation on the left, pages in a stack."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .. import __version__
from ..buildinfo import build_info
from .connection import ConnectionController
from .connection_bar import ConnectionBar
from .errors import ErrorReporter
from .pages.base import Page
from .tasks import TaskRunner


class MainWindow(QMainWindow):
    def __init__(
        self,
        controller: ConnectionController,
        runner: TaskRunner,
        reporter: ErrorReporter,
        *,
        restore_geometry: bool = True,
    ):
        super().__init__()
        self.controller = controller
        self.runner = runner
        self.reporter = reporter
        self.pages: dict[str, Page] = {}
        self._close_confirmed = False
        self.setWindowTitle("DRS Console[*]")
        self.resize(1280, 760)

        self.connection_bar = ConnectionBar(controller, runner)
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
        self.statusBar().addPermanentWidget(QLabel(f"v{__version__}"))
        runner.busy_changed.connect(self.busy.setVisible)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)

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

    def add_page(self, page: Page) -> None:
        self.pages[page.key] = page
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
        for page in self.pages.values():
            page.shutdown()
        super().closeEvent(event)
