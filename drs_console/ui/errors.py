"""One place where every error the user must see ends up: logged, then shown without blocking.

Dialogs are shown with ``open()``/``show()``, never ``exec()``, so no coroutine ever waits inside
a nested event loop.
"""

from __future__ import annotations

import logging
import shutil
import traceback

from PySide6.QtCore import QObject, QProcess, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from ..domain.errors import ConsoleError, ProblemKind

log = logging.getLogger(__name__)


class ErrorReporter(QObject):
    """Logs every error and shows a non-fatal dialog. ``shown`` lets tests see what the user saw."""

    shown = Signal(str, str)  # title, text
    sso_login_finished = Signal(bool)

    def __init__(self, parent_widget: QWidget | None = None):
        super().__init__(parent_widget)
        self._parent = parent_widget
        self._open: list[QMessageBox] = []
        self.last_title = ""
        self.last_text = ""
        self.interactive = True  # False in screenshot mode: log only

    def set_parent_widget(self, widget: QWidget) -> None:
        self._parent = widget

    def report(self, exc: BaseException) -> None:
        if isinstance(exc, ConsoleError):
            log.warning("%s: %s", exc.kind, exc.one_line())
            title = _TITLES.get(exc.kind, "AWS error")
            self._show(title, exc.message, exc.remedy, exc)
        else:
            log.error("unexpected error:\n%s", "".join(traceback.format_exception(exc)))
            self._show(
                "Unexpected error",
                f"Something went wrong: {exc}",
                "The details are in the log file. The console is still usable.",
                None,
            )

    def _show(self, title: str, message: str, remedy: str, exc: ConsoleError | None) -> None:
        self.last_title, self.last_text = title, f"{message}\n\n{remedy}".strip()
        self.shown.emit(title, self.last_text)
        if not self.interactive:
            return
        box = QMessageBox(self._parent)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(title)
        box.setText(message)
        if remedy:
            box.setInformativeText(remedy)
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        if exc is not None and exc.kind is ProblemKind.SSO_EXPIRED:
            self._add_sso_login(box, exc.profile)
        box.finished.connect(lambda _r, b=box: self._open.remove(b) if b in self._open else None)
        self._open.append(box)
        box.open()

    def _add_sso_login(self, box: QMessageBox, profile: str | None) -> None:
        command = ["aws", "sso", "login"] + (["--profile", profile] if profile else [])
        if shutil.which("aws") is None:
            box.setInformativeText(
                f"Run this in a terminal, then connect again:\n\n    {' '.join(command)}\n\n"
                "(The AWS CLI was not found on this machine's PATH.)"
            )
            return
        button = box.addButton("Run aws sso login", QMessageBox.ButtonRole.AcceptRole)
        button.clicked.connect(lambda: self.run_sso_login(command))

    def run_sso_login(self, command: list[str]) -> QProcess:
        """Start ``aws sso login`` without blocking; ``sso_login_finished`` says how it went."""
        proc = QProcess(self)
        proc.finished.connect(lambda code, _status: self.sso_login_finished.emit(code == 0))
        proc.start(command[0], command[1:])
        return proc

    def close_all(self) -> None:
        for box in list(self._open):
            box.close()


_TITLES = {
    ProblemKind.NO_CREDENTIALS: "No AWS credentials",
    ProblemKind.SSO_EXPIRED: "AWS session expired",
    ProblemKind.ACCESS_DENIED: "Access denied",
    ProblemKind.UNKNOWN_REGION: "Unknown region",
    ProblemKind.UNREACHABLE: "AWS unreachable",
    ProblemKind.THROTTLED: "AWS is throttling",
    ProblemKind.NOT_FOUND: "Not found",
    ProblemKind.DRS_NOT_INITIALIZED: "DRS not initialized",
    ProblemKind.BAD_INPUT: "Invalid input",
}
