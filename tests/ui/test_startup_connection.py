"""A newcomer's first minutes: the window opens whatever the environment says, a bad endpoint is
refused where it is typed, and nothing of a connection stays on screen once it is gone."""

from __future__ import annotations

import asyncio

import pytest

from drs_console.domain.errors import ConsoleError
from drs_console.sandbox import Sandbox
from drs_console.store.settings import Settings
from drs_console.ui.app import ConsoleApp
from tests.fakes import SSO_CONFIG
from tests.ui.test_connection_flow import Bar


def test_a_missing_aws_profile_opens_the_window_and_the_bar_names_it(qtbot, aloop, tmp_path, monkeypatch):
    (tmp_path / "aws" / "config").write_text(SSO_CONFIG)
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    console = ConsoleApp(Settings(), persist_settings=False, restore_geometry=False)
    qtbot.addWidget(console.window)
    try:
        console.window.show()
        assert console.window.isVisible()
        bar = console.window.connection_bar
        assert bar.region.count() > 10  # the region list was built
        text = bar.identity_label.text()
        assert "'no-such-profile'" in text and "not in your AWS config" in text
        assert "default, ops, sso-dev" in text  # the profiles that do exist
        bar.identity_label.setText(text + ", a-very-long-profile-name" * 20)
        assert console.window.minimumSizeHint().width() <= 1280  # a long line never widens the window
        assert bar.identity_label.toolTip().startswith(text)  # the whole of it is in the tooltip
        # connecting says the same, and the bar stays usable
        assert aloop.run_until_complete(bar.connect_now()) is None
        assert "'no-such-profile'" in console.reporter.last_text
        assert "'no-such-profile'" in bar.identity_label.text() and bar.connect_button.isEnabled()
    finally:
        console.shutdown()


@pytest.mark.parametrize(
    "text, needle, example",
    [("127.0.0.1:4566", "no scheme", "http://127.0.0.1:4566"), ("ftp://host", "uses ftp://", "https://host"),
     ("http://host:port", "invalid port", "http://127.0.0.1:4566")],
)
def test_a_bad_endpoint_url_is_refused_in_the_bar_with_what_to_type(qtbot, aloop, text, needle, example):
    b = Bar(qtbot)
    try:
        b.bar.endpoint.setText(text)
        b.bar.endpoint.editingFinished.emit()
        assert b.bar.endpoint.property("invalid") is True
        assert needle in b.bar.endpoint.toolTip() and example in b.bar.endpoint.toolTip()
        assert b.connect(aloop) is None
        assert b.reporter.last_title == "Invalid input"
        assert needle in b.reporter.last_text and example in b.reporter.last_text
        assert "Something went wrong" not in b.reporter.last_text
        assert b.bar.connect_button.isEnabled()
        b.bar.endpoint.setText("http://127.0.0.1:4566")  # fixing it clears the mark
        assert not b.bar.endpoint.property("invalid")
    finally:
        b.controller.close()


def test_a_blank_endpoint_means_aws_own_endpoints(qtbot):
    b = Bar(qtbot)
    try:
        b.bar.endpoint.setText("   ")
        assert b.bar.check_endpoint() == "" and not b.bar.endpoint.property("invalid")
    finally:
        b.controller.close()


def test_a_failed_connection_after_the_sandbox_clears_the_sandbox_inventory(console, aloop, monkeypatch):
    aloop.run_until_complete(console.controller.connect(sandbox=True))
    aloop.run_until_complete(asyncio.wait_for(console.page.ready(), 30))
    assert console.page.model.rowCount() == 60
    with pytest.raises(ConsoleError):
        aloop.run_until_complete(console.controller.connect(profile="no-such-profile"))
    assert console.page.model.rowCount() == 0
    assert console.page.state.snapshot is None  # the plans page no longer checks against it
    assert "Not connected" in console.page.status.text()
    assert "60 servers" not in console.page.status.text()


def test_with_sandbox_ticked_the_region_field_shows_the_sandbox_region(qtbot, aloop):
    b = Bar(qtbot, Settings(region="eu-west-3"))
    b.controller._sandbox_factory = lambda: Sandbox(manual_clock=True, servers=3)
    try:
        assert b.bar.region.currentText() == "eu-west-3"
        b.bar.sandbox.setChecked(True)
        assert b.bar.region.currentText() == "us-east-1"
        ident = b.connect(aloop)
        assert ident is not None and ident.region in b.bar.account_badge.text()
        assert b.bar.region.currentText() == ident.region
        b.bar.sandbox.setChecked(False)
        assert b.bar.region.currentText() == "eu-west-3"  # the typed region comes back
    finally:
        b.runner.cancel_all()
        b.controller.close()
