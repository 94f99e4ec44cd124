"""Accounts page: the accounts the console reaches besides the connected one (a profile or a role
each), added, removed and tested here as with `drs-console accounts`."""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)
from qasync import asyncSlot

from ...aws.accounts import AccountCheck, check_account
from ...domain.accounts import KnownAccount, add_account, make_account, remove_account
from ...domain.errors import ConsoleError
from ..connection import ConnectionController
from ..models.accounts_model import AccountColumn, AccountRow, AccountsModel
from ..table_view import ConsoleTableView
from ..tasks import TaskRunner
from ..widgets.badge import BadgeDelegate
from .base import Page

log = logging.getLogger(__name__)

VIA_ROLE, VIA_PROFILE = "Assume a role", "AWS profile"


class AccountsPage(Page):
    key = "accounts"
    title = "Accounts"
    accounts_changed = Signal()  # an account was added or removed (the inventory reads them again)

    def __init__(self, controller: ConnectionController, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.runner = runner
        self._task: asyncio.Task | None = None
        self._loaded = asyncio.Event()
        self.results: dict[str, AccountCheck] = {}

        self.model = AccountsModel(self)
        self.table = ConsoleTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(AccountColumn.STATUS, BadgeDelegate(self.table))
        for col, width in ((AccountColumn.ACCOUNT_ID, 120), (AccountColumn.NAME, 140),
                           (AccountColumn.REACHED_WITH, 380), (AccountColumn.STATUS, 90)):
            self.table.setColumnWidth(col, width)
        self.table.horizontalHeader().setStretchLastSection(True)

        self.test_button = QPushButton("Test all")
        self.test_button.setToolTip("Assume each role or open each profile, read its identity, check DRS is initialized")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setEnabled(False)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.status = QLabel("")
        self.status.setObjectName("accountsStatus")
        self.status.setWordWrap(True)

        self.account_id = QLineEdit()
        self.account_id.setPlaceholderText("12-digit account ID")
        self.account_id.setMaxLength(12)
        self.name = QLineEdit()
        self.name.setPlaceholderText("optional, e.g. Payments prod")
        self.via = QComboBox()
        self.via.addItems([VIA_ROLE, VIA_PROFILE])
        self.value = QLineEdit()
        self.external_id = QLineEdit()
        self.external_id.setPlaceholderText("optional: the sts:ExternalId the role's trust requires")
        self.add_button = QPushButton("Add account")
        self.form_error = QLabel("")
        self.form_error.setObjectName("accountsFormError")
        self.form_error.setWordWrap(True)
        self.form_error.setStyleSheet("color: #c0392b;")
        form = QFormLayout()
        form.addRow("Account ID", self.account_id)
        form.addRow("Name", self.name)
        form.addRow("Reach it by", self.via)
        self.value_label = QLabel()
        form.addRow(self.value_label, self.value)
        self.external_label = QLabel("External ID")
        form.addRow(self.external_label, self.external_id)
        form.addRow("", self.add_button)
        form.addRow("", self.form_error)
        self.add_box = QGroupBox("Add an account")
        self.add_box.setLayout(form)

        bar = QHBoxLayout()
        bar.addWidget(self.intro, 1)
        bar.addWidget(self.remove_button)
        bar.addWidget(self.test_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.add_box)

        self.via.currentTextChanged.connect(self._via_changed)
        self.add_button.clicked.connect(self.add_from_form)
        self.remove_button.clicked.connect(self.remove_selected)
        self.test_button.clicked.connect(self.on_test_clicked)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        controller.connected.connect(lambda _ident: self.reload())
        controller.disconnected.connect(self.reload)
        self._via_changed()
        self.reload()

    # -- the list ------------------------------------------------------------------------------
    @property
    def sandbox_accounts(self) -> bool:
        """Connected to the sandbox: its own target accounts, which cannot be changed."""
        return bool(self.controller.settings.sandbox and self.controller.sandbox is not None)

    def accounts(self) -> list[KnownAccount]:
        return self.controller.known_accounts

    def reload(self) -> None:
        rows = []
        for account in self.accounts():
            check = self.results.get(account.account_id)
            rows.append(_row(account, check) if check is not None and check.account == account else AccountRow(account))
        self.model.set_items(rows)
        fixed = self.sandbox_accounts
        self.add_box.setEnabled(not fixed)
        self._selection_changed()
        hub = self.controller.identity
        where = (f"from account {hub.account_id} ({hub.arn})" if hub is not None else "once connected")
        if fixed:
            self.intro.setText(f"The sandbox's target accounts, reached {where} by assuming the role of "
                               "resources/backend/target-account.yaml in each. They are the sandbox's own.")
        else:
            self.intro.setText(f"Accounts the console reaches {where}: with an AWS profile or by assuming a role "
                               "(resources/backend/target-account.yaml makes one). The inventory lists their servers. "
                               "Only names and ARNs are stored, never a credential.")
        self.test_button.setEnabled(bool(rows))
        if not rows:
            self.status.setText("No other accounts yet." if not fixed else "The sandbox serves no target accounts.")
        self._loaded.set()

    def _selection_changed(self) -> None:
        self.remove_button.setEnabled(not self.sandbox_accounts and bool(self.table.selectionModel().selectedRows()))

    def _via_changed(self) -> None:
        role = self.via.currentText() == VIA_ROLE
        self.value_label.setText("Role ARN" if role else "Profile")
        self.value.setPlaceholderText("arn:aws:iam::210987654321:role/drs-console-target" if role
                                      else "a profile of your AWS config (SSO included)")
        self.external_id.setVisible(role)
        self.external_label.setVisible(role)

    # -- add, remove ---------------------------------------------------------------------------
    def add_from_form(self) -> KnownAccount | None:
        """Add the account the form describes; a mistake is said under the form, nothing saved."""
        role = self.via.currentText() == VIA_ROLE
        try:
            account = make_account(
                self.account_id.text(), name=self.name.text(),
                role_arn=self.value.text() if role else None, profile=None if role else self.value.text(),
                external_id=self.external_id.text() if role else None,
            )
            self._save(add_account(self.controller.settings.accounts, account))
        except ConsoleError as exc:
            self.form_error.setText(exc.one_line())
            return None
        self.form_error.setText("")
        for field in (self.account_id, self.name, self.value, self.external_id):
            field.clear()
        self.status.setText(f"Added {account.label}. Test it with Test all.")
        return account

    def remove_selected(self) -> KnownAccount | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or self.sandbox_accounts:
            return None
        account = self.model.item_at(rows[0].row()).account
        remaining, gone = remove_account(self.controller.settings.accounts, account.account_id)
        self._save(remaining)
        self.results.pop(gone.account_id, None)
        self.status.setText(f"Removed {gone.label}.")
        return gone

    def _save(self, accounts: list[KnownAccount]) -> None:
        self.controller.settings.accounts = accounts
        self.controller.save_settings()
        self.reload()
        self.accounts_changed.emit()

    # -- test ----------------------------------------------------------------------------------
    @asyncSlot()
    async def on_test_clicked(self) -> None:
        self.start_test()

    def start_test(self) -> asyncio.Task | None:
        if self._task is not None and not self._task.done():
            return self._task
        self._task = self.runner.start(self.test_accounts(), name="accounts-test")
        return self._task

    async def test_accounts(self) -> list[AccountCheck]:
        """Test every known account from the connection, each row updated as its answer comes."""
        connector = self.controller.accounts_connector()
        accounts = self.accounts()
        if connector is None:
            self.status.setText("Not connected: connect, then test the accounts.")
            return []
        self.test_button.setEnabled(False)
        for account in accounts:
            self.model.update_item(AccountRow(account, "Testing…"))
        self.status.setText(f"Testing {len(accounts)} accounts…")

        async def one(account: KnownAccount) -> AccountCheck:
            result = await check_account(connector, account)
            self.results[account.account_id] = result
            self.model.update_item(_row(account, result))
            return result

        try:
            results = list(await asyncio.gather(*(one(a) for a in accounts)))
        finally:
            self.test_button.setEnabled(bool(self.model.rowCount()))
        failed = sum(1 for r in results if not r.ok)
        self.status.setText(f"{len(results) - failed} of {len(results)} accounts reached, DRS initialized"
                            + (f"; {failed} failed: see each row for what to do." if failed else "."))
        return results

    async def ready(self) -> None:
        await self._loaded.wait()
        if self.controller.is_connected and self.model.rowCount() and not self.results:
            await self.test_accounts()  # a screenshot shows what testing finds

    def shutdown(self) -> None:
        if self._task is not None:
            self._task.cancel()


def _row(account: KnownAccount, check: AccountCheck) -> AccountRow:
    if check.ok and check.identity is not None:
        return AccountRow(account, "PASS", f"{check.identity.arn} · DRS initialized in {check.identity.region}")
    return AccountRow(account, "FAIL", check.problem.one_line() if check.problem else "failed")
