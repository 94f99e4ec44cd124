"""The connection bar: profile, region, endpoint, Sandbox, Connect, and who/where you are."""

from __future__ import annotations

import os

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)
from qasync import asyncSlot

from ..aws.session import Identity, default_region_for, drs_regions, list_profiles
from ..domain.endpoint import validate_endpoint_url
from ..domain.errors import ConsoleError
from .connection import ConnectionController
from .tasks import TaskRunner
from .widgets.elided_label import ElidedLabel

NO_PROFILE = "(default credentials)"


class ConnectionBar(QWidget):
    def __init__(self, controller: ConnectionController, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.runner = runner
        self.setObjectName("ConnectionBar")

        self.profile = QComboBox()
        self.profile.setObjectName("profile")
        self.profile.setMinimumWidth(160)
        self.profile.setToolTip("AWS profile from your AWS config and credentials files (SSO profiles too)")
        self.region = QComboBox()
        self.region.setObjectName("region")
        self.region.setEditable(True)
        self.region.setMinimumWidth(130)
        self.endpoint = QLineEdit()
        self.endpoint.setObjectName("endpoint")
        self.endpoint.setPlaceholderText("Endpoint URL")
        self.endpoint.setToolTip(
            "Optional endpoint URL (LocalStack, a VPC endpoint), with http:// or https://,"
            " e.g. http://127.0.0.1:4566"
        )
        self.endpoint.setMinimumWidth(120)
        self._endpoint_tip = self.endpoint.toolTip()
        self.endpoint.setClearButtonEnabled(True)
        self.sandbox = QCheckBox("Sandbox")
        self.sandbox.setToolTip("Simulated AWS in this process: no account, nothing real is touched")
        self.connect_button = QPushButton("Connect")
        self.connect_button.setDefault(True)
        self.identity_label = ElidedLabel("Not connected")
        self.identity_label.setObjectName("identity")
        self.account_badge = QLabel("")
        self.account_badge.setObjectName("accountBadge")
        self.account_badge.setVisible(False)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(QLabel("Profile"))
        layout.addWidget(self.profile)
        layout.addWidget(QLabel("Region"))
        layout.addWidget(self.region)
        layout.addWidget(self.endpoint, 1)
        layout.addWidget(self.sandbox)
        layout.addWidget(self.connect_button)
        layout.addSpacing(12)
        layout.addWidget(self.account_badge)
        layout.addWidget(self.identity_label, 2)

        self._fill_choices()
        self.sandbox.toggled.connect(self._sandbox_toggled)
        self.profile.currentIndexChanged.connect(self._profile_changed)
        self.endpoint.editingFinished.connect(self._endpoint_edited)
        self.endpoint.textChanged.connect(lambda _t: self._mark_endpoint(None))
        self.connect_button.clicked.connect(self.on_connect_clicked)
        controller.connecting.connect(self._on_connecting)
        controller.connected.connect(self._on_connected)
        controller.failed.connect(self._on_failed)
        controller.disconnected.connect(self._on_disconnected)

    # -- choices -------------------------------------------------------------------------------
    def _fill_choices(self) -> None:
        s = self.controller.settings
        self.profile.addItem(NO_PROFILE, None)
        for name in list_profiles():
            self.profile.addItem(name, name)
        wanted = os.environ.get("AWS_PROFILE") or s.profile
        if wanted:
            idx = self.profile.findData(wanted)
            if idx < 0:  # a profile named in the environment but not in the files: still offer it
                self.profile.addItem(wanted, wanted)
                idx = self.profile.count() - 1
            self.profile.setCurrentIndex(idx)
        self.region.addItems(drs_regions())
        region = s.region or os.environ.get("AWS_REGION") or default_region_for(wanted) or "us-east-1"
        self.region.setCurrentText(region)
        self._typed_region = region
        self.endpoint.setText(s.endpoint_url or "")
        self.sandbox.setChecked(s.sandbox)
        self._sandbox_toggled(s.sandbox)
        self._show_profile_problem()

    def missing_profile_text(self) -> str:
        """'' when the chosen profile exists; else one line naming it and the profiles there are."""
        name = self.profile.currentData()
        if self.sandbox.isChecked() or not name:
            return ""
        profiles = list_profiles()  # read again: the user may have just added it
        if name in profiles:
            return ""
        source = " (from AWS_PROFILE)" if os.environ.get("AWS_PROFILE") == name else ""
        if profiles:
            known = f"profiles there: {', '.join(profiles)}"
        else:
            known = "no profiles there yet: run 'aws configure' or tick Sandbox"
        return f"Not connected: the AWS profile {name!r}{source} is not in your AWS config; {known}"

    def _show_profile_problem(self) -> bool:
        text = self.missing_profile_text()
        if text:
            self.identity_label.setText(text)
            self.identity_label.setToolTip(text)
        return bool(text)

    def _profile_changed(self) -> None:
        region = default_region_for(self.profile.currentData())
        if region:
            self.region.setCurrentText(region)
        if not self._show_profile_problem() and not self.controller.is_connected:
            self.identity_label.setText("Not connected")
            self.identity_label.setToolTip("")

    def _sandbox_toggled(self, on: bool) -> None:
        for w in (self.profile, self.region, self.endpoint):
            w.setEnabled(not on)
        # The Region field never contradicts the badge: with Sandbox it shows the sandbox's region,
        # and the region the user typed comes back when Sandbox is unticked.
        if on:
            self._typed_region = self.region.currentText()
            self.region.setCurrentText(self.controller.sandbox_region)
        elif hasattr(self, "_typed_region"):
            self.region.setCurrentText(self._typed_region)

    # -- the endpoint URL ----------------------------------------------------------------------
    def check_endpoint(self) -> str:
        """The endpoint as typed, checked; marks the field and raises ConsoleError when it is bad."""
        if not self.endpoint.text().strip():
            self._mark_endpoint(None)
            return ""  # none: AWS's own endpoints
        try:
            url = validate_endpoint_url(self.endpoint.text())
        except ConsoleError as exc:
            self._mark_endpoint(exc)
            raise
        self._mark_endpoint(None)
        return url

    def _endpoint_edited(self) -> None:
        try:
            self.check_endpoint()
        except ConsoleError:
            pass  # marked in the field; Connect reports it

    def _mark_endpoint(self, exc: ConsoleError | None) -> None:
        if exc is None:
            if self.endpoint.property("invalid"):
                self.endpoint.setProperty("invalid", False)
                self.endpoint.setStyleSheet("")
                self.endpoint.setToolTip(self._endpoint_tip)
            return
        self.endpoint.setProperty("invalid", True)
        self.endpoint.setStyleSheet("QLineEdit#endpoint { border: 1px solid #d93025; }")
        self.endpoint.setToolTip(exc.one_line())

    # -- connecting ----------------------------------------------------------------------------
    @asyncSlot()
    async def on_connect_clicked(self) -> None:
        await self.connect_now()

    async def connect_now(self) -> Identity | None:
        """Connect with what the bar shows; errors go to the reporter, and the bar stays usable."""
        task = self.runner.start(self._connect(), name="connect")
        try:
            return await task
        except Exception:  # reported by the runner
            return None

    async def _connect(self) -> Identity:
        sandbox = self.sandbox.isChecked()
        endpoint = "" if sandbox else self.check_endpoint()  # a bad URL is refused before connecting
        return await self.controller.connect(
            profile=self.profile.currentData(),
            region=self.region.currentText().strip(),
            endpoint_url=endpoint,
            sandbox=sandbox,
        )

    def _on_connecting(self, what: str) -> None:
        self.connect_button.setEnabled(False)
        self.identity_label.setText(f"Connecting to {what}…")
        self.account_badge.setVisible(False)

    def _on_connected(self, ident: Identity) -> None:
        self.connect_button.setEnabled(True)
        self.connect_button.setText("Reconnect")
        color = "#e37400" if ident.sandbox else "#0b57d0"
        label = "SANDBOX " if ident.sandbox else ""
        self.account_badge.setText(f" {label}Account {ident.account_id} · {ident.region} ")
        self.account_badge.setStyleSheet(
            f"QLabel#accountBadge {{ background: {color}; color: white; font-weight: bold;"
            " border-radius: 4px; padding: 3px 6px; }"
        )
        self.account_badge.setVisible(True)
        if ident.sandbox:
            self.region.setCurrentText(ident.region)
        self.identity_label.setText(ident.arn)
        self.identity_label.setToolTip(ident.arn)

    def _on_failed(self, exc: BaseException) -> None:
        self.connect_button.setEnabled(True)
        self.account_badge.setVisible(False)
        if not self._show_profile_problem():
            self.identity_label.setText("Not connected")
            self.identity_label.setToolTip(exc.one_line() if isinstance(exc, ConsoleError) else "")

    def _on_disconnected(self) -> None:
        self.account_badge.setVisible(False)
        self.identity_label.setText("Not connected")
        self.connect_button.setText("Connect")
