"""The open execution's header: plan, type and status badges, target, elapsed, live age, progress,
the failed execution's error, the action buttons and the banner (stream state, job progress)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ....domain.execution import Engine, ExecutionView, StreamState
from ....domain.fields import POINT_IN_TIME_LABEL, point_in_time_text, stamp
from ....domain.status import ExecutionStatus
from ....domain.text import printable
from ....domain.wording import noun
from ...execution_engine import ExecutionEngine
from ...models.execution_models import full_time_text, seconds_text, status_text
from ...theme import BLUE, RED, banner_colors, color_for
from .sizing import DRILL_COLOR, RECOVERY_COLOR, badge_css

#: the action buttons, in their order on the second line (key -> label); the page connects them
BUTTONS = (
    ("retry", "Retry step"),  # a DRS native execution's failed step (shown for native executions only)
    ("skip", "Skip step…"),
    ("resume", "Resume"),
    ("cancel", "Cancel…"),
    ("terminate", "Terminate instances…"),
    ("export", "Export report…"),
    ("close", "Close"),
)


class ExecutionHeader(QWidget):
    """Shows an ExecutionView's header fields; holds no state of its own (the detail passes it in)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plan_label = QLabel("")
        self.plan_label.setObjectName("planName")
        font = self.plan_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.45)
        font.setBold(True)
        self.plan_label.setFont(font)
        self.type_badge = QLabel("")
        self.type_badge.setObjectName("typeBadge")
        self.status_badge = QLabel("")
        self.status_badge.setObjectName("statusBadge")
        self.target_label = QLabel("")
        self.target_label.setObjectName("targetLabel")
        self.live_label = QLabel("")
        self.live_label.setObjectName("liveLabel")
        self.started_label = QLabel("")
        self.elapsed_label = QLabel("")
        self.elapsed_label.setObjectName("elapsed")
        big = self.elapsed_label.font()
        big.setBold(True)
        big.setPointSizeF(big.pointSizeF() * 1.2)
        self.elapsed_label.setFont(big)
        self.initiated_label = QLabel("")
        # a point-in-time run: the requested time (each server's snapshot is in the servers table)
        self.point_in_time_label = QLabel("")
        self.point_in_time_label.setObjectName("pointInTimeLabel")
        self.point_in_time_label.setMinimumWidth(1)  # never widens the window: cut short beside a long plan name
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("progressLabel")
        self.error_label = QLabel("")  # a failed execution's error and cause, in the header itself
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet(f"color: {RED.name()};")
        self.error_label.setVisible(False)
        # the engine: "DRS native plan <name>", and what it cannot do (no pause/resume)
        self.engine_label = QLabel("")
        self.engine_label.setObjectName("engineLabel")
        self.engine_label.setVisible(False)

        self.buttons: dict[str, QPushButton] = {}
        for key, label in BUTTONS:
            button = QPushButton(label)
            button.setObjectName(f"{key}Button")
            self.buttons[key] = button
        self.buttons["resume"].setStyleSheet("QPushButton:enabled { font-weight: bold; }")

        top = QHBoxLayout()
        top.addWidget(self.plan_label)
        top.addWidget(self.type_badge)
        top.addWidget(self.status_badge)
        top.addSpacing(8)
        top.addWidget(self.target_label)
        top.addSpacing(8)
        top.addWidget(self.elapsed_label)
        top.addSpacing(12)
        top.addWidget(self.point_in_time_label)  # the first line has the room; the second is full of buttons
        top.addStretch(1)
        top.addWidget(self.live_label)
        second = QHBoxLayout()
        for w in (self.started_label, self.progress_label, self.initiated_label):
            second.addWidget(w)
            second.addSpacing(12)
        second.addStretch(1)
        for key, _label in BUTTONS:
            second.addWidget(self.buttons[key])
        self.initiated_label.setMaximumWidth(260)

        # banner (stream state, job progress) -----------------------------------------------------
        self.banner = QFrame()
        self.banner.setObjectName("streamBanner")
        self.banner_label = QLabel("")
        self.banner_label.setWordWrap(True)
        self.banner_button = QPushButton("Re-authenticate")
        self.banner_button.setObjectName("reauthButton")
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(8, 4, 8, 4)
        banner_layout.addWidget(self.banner_label, 1)
        banner_layout.addWidget(self.banner_button)
        self.banner.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(second)
        layout.addWidget(self.engine_label)  # its own line: a native execution's header is as wide as any
        layout.addWidget(self.error_label)
        layout.addWidget(self.banner)

    # -- fields --------------------------------------------------------------------------------
    def clear(self) -> None:
        for label in (self.plan_label, self.type_badge, self.status_badge, self.target_label, self.live_label,
                      self.started_label, self.point_in_time_label, self.elapsed_label, self.initiated_label,
                      self.progress_label, self.error_label):
            label.setText("")
        self.engine_label.setText("")
        self.engine_label.setVisible(False)
        self.error_label.setVisible(False)
        self.type_badge.setStyleSheet("")
        self.status_badge.setStyleSheet("")

    def show_view(self, v: ExecutionView) -> None:
        self.plan_label.setText(printable(v.plan_name or v.plan_id or v.execution_id))
        kind = v.execution_type.value
        self.type_badge.setText(kind)
        self.type_badge.setStyleSheet(badge_css(DRILL_COLOR if v.is_drill else RECOVERY_COLOR))
        self.type_badge.setToolTip(
            "A drill: recovery instances are launched for testing and can be terminated afterwards."
            if v.is_drill else "A REAL RECOVERY: production failover."
        )
        status = status_text(v.status)
        self.status_badge.setText(status)
        self.status_badge.setStyleSheet(badge_css(color_for(status)))
        self.status_badge.setToolTip(f"{v.error}: {v.cause}".strip(": ") if (v.error or v.cause) else status)
        where = " · ".join(x for x in (f"account {v.account_id}" if v.account_id else "", v.region) if x)
        self.target_label.setText(where)
        self.target_label.setStyleSheet(
            "" if v.is_drill else f"color: {RECOVERY_COLOR.name()}; font-weight: bold;"
        )
        self.started_label.setText(
            f"started {stamp(v.started_at)}" if v.started_at else "not started"
        )
        self.started_label.setToolTip(full_time_text(v.started_at))
        self.point_in_time_label.setText(
            f"{POINT_IN_TIME_LABEL.lower()}: <b>{point_in_time_text(v.point_in_time)}</b>" if v.point_in_time else "")
        self.point_in_time_label.setToolTip(
            f"{POINT_IN_TIME_LABEL}: {point_in_time_text(v.point_in_time)}. Every server recovers to its newest "
            "recovery snapshot taken at or before this time (its snapshot: the servers table's Recovery point and "
            "Recovery snapshot ID)." if v.point_in_time else "")
        by = v.initiated_by.rsplit("/", 1)[-1] if v.initiated_by.startswith("arn:") else v.initiated_by
        self.initiated_label.setText(f"by {by}" if by else "")
        self.initiated_label.setToolTip(v.initiated_by)
        self.plan_label.setToolTip(f"Execution {v.execution_id}\n{v.execution_arn}".strip())
        self.show_engine(v)
        waves, servers = v.wave_tally, v.server_tally  # the same derivation as History and the report
        text = f"waves {waves.text()}" if waves.total else "no waves"
        if servers.total:
            text += f" · {servers.launched}/{servers.total} {noun(servers.total, 'server')} launched"
        if servers.failed:
            text += f" · <span style='color:{RED.name()}'><b>{servers.failed} failed</b></span>"
        self.progress_label.setText(text)
        self.progress_label.setToolTip(waves.detail())
        error = ": ".join(x for x in (v.error, v.cause) if x)
        self.error_label.setText(f"{status_text(v.status)}: {error}" if error else "")
        self.error_label.setToolTip(error)
        self.error_label.setVisible(bool(error))

    def show_engine(self, v: ExecutionView) -> None:
        """A DRS native execution: the engine and the plan it ran, what the engine cannot do."""
        native = v.engine is Engine.NATIVE
        self.engine_label.setVisible(native)
        if not native:
            self.engine_label.setText("")
            return
        cannot = ExecutionEngine.cannot(v.engine)
        self.engine_label.setText(f"DRS native plan <b>{printable(v.plan_name or v.plan_id)}</b>"
                                  + (" · <span style='color:gray'>no pause/resume</span>" if cannot else ""))
        self.engine_label.setToolTip("\n".join([f"Engine: DRS native recovery plan {v.recovery_plan_arn}".strip(),
                                                 *([f"Native status: {v.native_status}"] if v.native_status else []),
                                                 *(c[0].upper() + c[1:] for c in cannot)]))

    def show_elapsed(self, v: ExecutionView, now: datetime) -> None:
        elapsed = seconds_text(v.elapsed_seconds(now))
        self.elapsed_label.setText(f"elapsed {elapsed}" if elapsed else "")
        self.elapsed_label.setToolTip("elapsed since the execution started" + ("" if not v.is_terminal else " (final)"))

    def show_live(self, v: ExecutionView | None, state: StreamState, last_update_at: datetime | None,
                  now: datetime) -> None:
        if v is None or last_update_at is None:
            self.live_label.setText("")
            return
        age = int((now - last_update_at).total_seconds())
        if state is StreamState.ENDED or v.is_terminal:
            self.live_label.setText("<span style='color:gray'>final</span>")
        elif state is StreamState.LIVE:
            self.live_label.setText(f"<span style='color:#1e8e3e'>● live</span> · updated {max(0, age)} s ago")
        else:
            self.live_label.setText(f"<span style='color:#e37400'>● stale</span> · last update {max(0, age)} s ago")

    def show_buttons(self, v: ExecutionView | None) -> None:
        active = v is not None and not v.is_terminal
        native = v is not None and v.engine is Engine.NATIVE
        self.buttons["resume"].setVisible(not native)  # a native plan never pauses (the engine label says so)
        self.buttons["retry"].setVisible(native)
        self.buttons["skip"].setVisible(native)
        if not native:
            self.buttons["retry"].setEnabled(False)
            self.buttons["skip"].setEnabled(False)
        self.buttons["resume"].setEnabled(v is not None and v.status is ExecutionStatus.PAUSED)
        self.buttons["cancel"].setEnabled(active and v.status is not ExecutionStatus.CANCELLING)
        launched = v is not None and any(
            s.recovery_instance_id and s.ec2_instance_state not in ("TERMINATED", "SHUTTING_DOWN")
            for w in v.waves for s in w.servers
        )
        self.buttons["terminate"].setVisible(v is not None and v.is_drill)
        self.buttons["terminate"].setEnabled(v is not None and v.is_drill and v.is_terminal and launched)
        self.buttons["export"].setEnabled(v is not None)

    # -- the banner ----------------------------------------------------------------------------
    def show_state(self, state: StreamState, message: str) -> None:
        if state is StreamState.RECONNECTING:
            self.show_banner(
                "#fef7e0", "#e37400",
                "Reconnecting to AWS… the state below is the last one received"
                + (f" ({message})" if message else "") + ".",
                button=False,
            )
        elif state is StreamState.AUTH_PAUSED:
            self.banner_button.setText("Re-authenticate")
            self.show_banner(
                "#fce8e6", RED.name(),
                "Credentials expired — re-authenticate to resume live updates"
                + (f" ({message})" if message else "") + ". The execution keeps running in AWS.",
                button=True,
            )
        else:
            self.banner.setVisible(False)

    def show_stopped(self, text: str, *, button: str = "Retry") -> None:
        self.banner_button.setText(button)
        self.show_banner("#fce8e6", RED.name(), text, button=True)

    def show_banner(self, bg: str, border: str, text: str, *, button: bool) -> None:
        bg, border, ink = banner_colors(QColor(border))  # readable in light and dark mode
        self.banner.setStyleSheet(f"QFrame#streamBanner {{ background: {bg}; border: 1px solid {border}; }}"
                                  f" QFrame#streamBanner QLabel {{ color: {ink}; }}")
        self.banner_label.setText(text)
        self.banner_button.setVisible(button)
        self.banner.setVisible(True)

    def show_progress(self, text: str, state: StreamState) -> None:
        if text:
            self.show_banner("#e8f0fe", BLUE.name(), text, button=False)
        elif state is StreamState.LIVE or state is StreamState.ENDED:
            self.banner.setVisible(False)
