"""The Run dialog's engine choice: our Step Functions backend, or the plan's DRS native plan.

Shows, for the native engine, what does not map (each with its reason, from
``domain.native_mapping``), whether the plan is published and whether it drifted; ``ready`` is
False while any of that blocks a start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QRadioButton, QVBoxLayout, QWidget

from ...domain.native_mapping import NativeMapping
from ...domain.point_in_time import resolution_lines
from ..theme import RED


@dataclass(frozen=True)
class NativeCheck:
    """What the native engine would run: the mapping, the published plan (if any) and its drift."""

    mapping: NativeMapping
    recovery_plan_arn: str = ""
    drift: tuple[str, ...] = field(default_factory=tuple)
    points: Any = None  # a point-in-time run: domain.native_point_in_time.PlanPoints

    def blocking(self) -> list[str]:
        out = [f"{p.what}: {p.message} {p.remedy}".strip() for p in self.mapping.refused]
        if self.points is not None:
            out += [f"{c.check}: {c.message} {c.remedy}".strip() for c in self.points.blocking()]
        if not self.recovery_plan_arn:
            out.append("not published: publish it first ('drs-console plan publish FILE').")
        if self.drift:
            out.append("the native plan drifted (" + "; ".join(self.drift) + "): publish it again.")
        return out


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class EngineChoice(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.backend_radio = QRadioButton("Step Functions backend")
        self.backend_radio.setObjectName("engineBackendRadio")
        self.native_radio = QRadioButton("DRS native plan")
        self.native_radio.setObjectName("engineNativeRadio")
        self.backend_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.backend_radio)
        group.addButton(self.native_radio)
        self.problems = QLabel("")
        self.problems.setObjectName("engineProblems")
        self.problems.setWordWrap(True)
        self.problems.setVisible(False)
        self.check: NativeCheck | None = None
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Engine:"))
        row.addWidget(self.backend_radio)
        row.addWidget(self.native_radio)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.problems)
        self.native_radio.toggled.connect(lambda _on: self._toggled())

    @property
    def native(self) -> bool:
        return self.native_radio.isChecked()

    @property
    def ready(self) -> bool:
        """The native engine can start: checked, and nothing blocks."""
        return self.check is not None and not self.check.blocking()

    def _toggled(self) -> None:
        if not self.native:
            self.problems.setVisible(False)
        self.changed.emit()

    def set_checking(self) -> None:
        self.check = None
        self.problems.setText("Checking the DRS native plan…")
        self.problems.setVisible(self.native)

    def set_check(self, check: NativeCheck | None, error: str = "") -> None:
        self.check = check
        if check is None:
            self.problems.setText(f"<span style='color:{RED.name()}'>{_esc(error)}</span>")
        else:
            blocks = check.blocking()
            lines = [f"<b style='color:{RED.name()}'>Cannot start on the DRS native engine:</b>"] if blocks else [
                f"DRS native plan {_esc(check.recovery_plan_arn)}: {len(check.mapping.steps)} steps, "
                f"{check.mapping.server_count} servers."]
            lines += [f"<span style='color:{RED.name()}'>• {_esc(b)}</span>" for b in blocks]
            lines += [f"• {_esc(p.what)}: {_esc(p.message)}" for p in check.mapping.warnings]
            if check.points is not None:  # the same WARNs and per-server table as the backend's preflight
                lines += [f"<span style='color:#b06000'>• {_esc(c.check)}: {_esc(c.message)}</span>"
                          for c in check.points.warnings()]
                lines += [_esc(line.strip()) for line in resolution_lines(check.points.resolutions)]
            self.problems.setText("<br>".join(lines))
        self.problems.setVisible(self.native)
