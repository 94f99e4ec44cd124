"""The Accounts page: the sandbox's target accounts tested from the hub, and adding, removing
and testing the user's own accounts (settings), each failure saying what to do."""

from __future__ import annotations

import pytest

from drs_console.store.settings import Settings, load_settings
from drs_console.ui.connection import ConnectionController
from drs_console.ui.errors import ErrorReporter
from drs_console.ui.models.accounts_model import AccountColumn
from drs_console.ui.pages.accounts import VIA_PROFILE, AccountsPage
from drs_console.ui.tasks import TaskRunner


class Harness:
    def __init__(self, qtbot, *, persist=False, settings=None, accounts=3):
        from drs_console.sandbox import Sandbox

        self.sandbox = None
        self.reporter = ErrorReporter()
        self.reporter.interactive = False
        self.runner = TaskRunner(self.reporter.report)

        def factory():
            self.sandbox = Sandbox(manual_clock=True, servers=5, accounts=accounts)
            return self.sandbox

        self.controller = ConnectionController(settings or Settings(), sandbox_factory=factory, persist=persist)
        self.page = AccountsPage(self.controller, self.runner)
        qtbot.addWidget(self.page)

    def cells(self, column):
        return [self.page.model.index(r, column).data() for r in range(self.page.model.rowCount())]

    def close(self):
        self.runner.cancel_all()
        self.controller.close()


@pytest.fixture
def harness(qtbot, aloop):
    h = Harness(qtbot)
    yield h
    h.close()


def test_the_sandbox_target_accounts_are_listed_and_pass_their_test(harness, aloop):
    h = harness
    aloop.run_until_complete(h.controller.connect(sandbox=True))
    ids = [t.account_id for t in h.sandbox.targets]
    assert sorted(h.cells(AccountColumn.ACCOUNT_ID)) == sorted(ids)
    assert not h.page.add_box.isEnabled()  # the sandbox's own accounts
    results = aloop.run_until_complete(h.page.test_accounts())
    assert [r.ok for r in results] == [True, True]
    assert h.cells(AccountColumn.STATUS) == ["PASS", "PASS"]
    for text, acct in zip(h.cells(AccountColumn.DETAIL), h.cells(AccountColumn.ACCOUNT_ID), strict=True):
        assert text.startswith(f"arn:aws:sts::{acct}:assumed-role/drs-console-target/")
    assert "2 of 2 accounts reached" in h.page.status.text()


def test_a_target_account_without_drs_fails_with_what_to_do(harness, aloop):
    h = harness
    aloop.run_until_complete(h.controller.connect(sandbox=True))
    broken = h.sandbox.targets[0]
    h.sandbox.drs_for(broken.account_id).initialized = False
    aloop.run_until_complete(h.page.test_accounts())
    row = h.page.model.row_of(broken.account_id)
    assert h.page.model.index(row, AccountColumn.STATUS).data() == "FAIL"
    detail = h.page.model.index(row, AccountColumn.DETAIL).data()
    assert "not initialized in us-east-1" in detail and "initialize" in detail.split("us-east-1", 1)[1]
    assert "1 failed" in h.page.status.text()


def test_adding_testing_and_removing_an_account_of_ones_own(qtbot, aloop, tmp_path):
    h = Harness(qtbot, persist=True)
    try:
        page = h.page
        aloop.run_until_complete(h.controller.connect(sandbox=True))
        h.controller.settings.sandbox = False  # the user's own accounts, tested from the sandbox's hub
        page.reload()
        assert page.add_box.isEnabled() and page.model.rowCount() == 0
        target = h.sandbox.targets[0].account_id  # an account whose roles decide who may assume them
        # a mistake is said under the form and nothing is saved
        page.account_id.setText("1234")
        page.value.setText(f"arn:aws:iam::{target}:role/x")
        assert page.add_from_form() is None
        assert "not an AWS account ID" in page.form_error.text()
        page.account_id.setText("210987654321")
        assert page.add_from_form() is None and "not in 210987654321" in page.form_error.text()
        page.account_id.setText(target)
        page.value.setText(f"arn:aws:iam::{target}:role/nobody")  # no such role there
        page.name.setText("Payments prod")
        changed = []
        page.accounts_changed.connect(lambda: changed.append(True))
        added = page.add_from_form()
        assert changed == [True]  # the app refreshes the inventory on it
        assert added is not None and page.form_error.text() == ""
        page.via.setCurrentText(VIA_PROFILE)
        assert not page.external_id.isVisibleTo(page)
        page.account_id.setText("345678901234")
        page.value.setText("no-such-profile")
        page.add_from_form()
        assert [a.account_id for a in load_settings().accounts] == [target, "345678901234"]  # saved

        results = {r.account.account_id: r for r in aloop.run_until_complete(page.test_accounts())}
        role = results[target].problem
        assert role is not None and role.kind.value == "access-denied"
        assert "could not be assumed" in role.message and "trust policy" in role.remedy
        profile = results["345678901234"].problem
        assert profile is not None and "no-such-profile" in profile.one_line()
        assert h.cells(AccountColumn.STATUS) == ["FAIL", "FAIL"]

        page.table.selectRow(page.model.row_of(target))
        assert page.remove_selected().account_id == target
        assert [a.account_id for a in load_settings().accounts] == ["345678901234"]
        assert h.cells(AccountColumn.ACCOUNT_ID) == ["345678901234"]
    finally:
        h.close()
