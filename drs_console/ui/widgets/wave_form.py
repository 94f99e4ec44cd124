"""The plan editor's form for the selected wave: its name, pause, timeout, impact level, the wait
before it, and its tag selector (with a preview line). Widgets only: the editor wires each to an
undoable ``SetWaveOption`` and fills them from the plan (``show``)."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QSpinBox, QWidget

from ...domain.plan import Wave

MAX_DELAY_MINUTES = 24 * 60


class WaveForm(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.wave_name = QLineEdit()
        self.pause_before = QCheckBox("Pause before this wave (wait for Resume)")
        self.timeout = QSpinBox()
        self.timeout.setRange(1, 24 * 60)
        self.timeout.setSuffix(" min")
        self.critical = QCheckBox("Critical (a failed server fails the step)")
        self.critical.setObjectName("waveCritical")
        self.critical.setToolTip("The servers' default impact level on the DRS native engine: a failed CRITICAL "
                                 "server fails the step, an OPTIONAL one is reported and the step goes on")
        self.delay = QSpinBox()
        self.delay.setObjectName("waveDelay")
        self.delay.setRange(0, MAX_DELAY_MINUTES)
        self.delay.setSpecialValueText("none")
        self.delay.setSuffix(" min")
        self.delay.setToolTip("A timed wait before the wave starts (the DRS native plan's WAIT steps; the Step "
                              "Functions backend does not wait: use a pause there)")
        self.selector = QLineEdit()
        self.selector.setPlaceholderText("optional tag selector, e.g. Application=payments AND Tier=web")
        self.selector_preview = QLabel("")
        self.selector_preview.setWordWrap(True)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Wave name", self.wave_name)
        row = QHBoxLayout()
        row.addWidget(self.pause_before)
        row.addWidget(QLabel("Timeout"))
        row.addWidget(self.timeout)
        row.addStretch(1)
        form.addRow("", row)
        native = QHBoxLayout()
        native.addWidget(self.critical)
        native.addWidget(QLabel("Wait before"))
        native.addWidget(self.delay)
        native.addStretch(1)
        form.addRow("DRS native", native)
        form.addRow("Tag selector", self.selector)
        form.addRow("", self.selector_preview)

    def editors(self) -> tuple[QWidget, ...]:
        return (self.wave_name, self.pause_before, self.timeout, self.critical, self.delay, self.selector)

    def show_wave(self, wave: Wave) -> None:
        if self.wave_name.text() != wave.name:
            self.wave_name.setText(wave.name)
        self.pause_before.setChecked(wave.pause_before)
        self.timeout.setValue(wave.timeout_minutes)
        self.critical.setChecked(wave.critical)
        self.delay.setValue(wave.delay_minutes)
        if self.selector.text() != (wave.selector or ""):
            self.selector.setText(wave.selector or "")
