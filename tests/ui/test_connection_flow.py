"""The connection bar: who and where you are, and every connection error as a clear message."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
from PySide6.QtWidgets import QMessageBox

from drs_console.store.settings import Settings
from drs_console.ui.connection import ConnectionController
from drs_console.ui.connection_bar import ConnectionBar
from drs_console.ui.errors import ErrorReporter
from drs_console.ui.tasks import TaskRunner
from tests.fakes import SSO_CONFIG, aws_error_endpoint, closed_port


class Bar:
    def __init__(self, qtbot, settings=None, interactive=False):
        self.reporter = ErrorReporter()
        self.reporter.interactive = interactive
        self.runner = TaskRunner(self.reporter.report)
        self.controller = ConnectionController(settings or Settings(), persist=False)
        self.bar = ConnectionBar(self.controller, self.runner)
        qtbot.addWidget(self.bar)

    def connect(self, aloop):
        return aloop.run_until_complete(self.bar.connect_now())


@pytest.fixture
def bar(qtbot, aloop):
    b = Bar(qtbot)
    yield b
    b.runner.cancel_all()
    b.controller.close()


def test_sandbox_connection_shows_account_arn_and_region(bar, aloop):
    bar.bar.sandbox.setChecked(True)
    ident = bar.connect(aloop)
    assert ident is not None and ident.account_id == "123456789012"
    badge = bar.bar.account_badge
    assert not badge.isHidden()
    assert "123456789012" in badge.text() and "us-east-1" in badge.text() and "SANDBOX" in badge.text()
    assert bar.bar.identity_label.text() == ident.arn
    assert not bar.bar.profile.isEnabled()  # the sandbox ignores profile and region


@pytest.mark.parametrize(
    "setup, title, needle",
    [
        ("no-credentials", "No AWS credentials", "aws configure"),
        ("unknown-region", "Unknown region", "mars-north-1"),
        ("unreachable", "AWS unreachable", "VPN"),
        ("access-denied", "Access denied", "GetCallerIdentity"),
        ("sso-expired", "AWS session expired", "aws sso login --profile sso-dev"),
    ],
)
def test_each_connection_error_is_a_clear_message_and_the_bar_stays_usable(
    bar, aloop, tmp_path, monkeypatch, setup, title, needle
):
    b = bar.bar
    if setup == "unknown-region":
        b.region.setCurrentText("mars-north-1")
    elif setup == "unreachable":
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
        b.endpoint.setText(f"http://127.0.0.1:{closed_port()}")
    elif setup == "sso-expired":
        (tmp_path / "aws" / "config").write_text(SSO_CONFIG)
        monkeypatch.setenv("HOME", str(tmp_path))
        b.profile.addItem("sso-dev", "sso-dev")
        b.profile.setCurrentIndex(b.profile.count() - 1)
    if setup == "access-denied":
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
        with aws_error_endpoint() as url:
            b.endpoint.setText(url)
            assert bar.connect(aloop) is None
    else:
        assert bar.connect(aloop) is None
    assert bar.reporter.last_title == title
    assert needle in bar.reporter.last_text
    assert b.connect_button.isEnabled()
    assert b.identity_label.text() == "Not connected"
    assert b.account_badge.isHidden()
    assert bar.controller.connection is None


def test_sso_dialog_offers_to_run_the_login_when_the_cli_exists(qtbot, aloop, tmp_path, monkeypatch):
    (tmp_path / "aws" / "config").write_text(SSO_CONFIG)
    monkeypatch.setenv("HOME", str(tmp_path))
    b = Bar(qtbot, Settings(profile="sso-dev"), interactive=True)
    monkeypatch.setattr("drs_console.ui.errors.shutil.which", lambda name: "/usr/bin/aws")
    started = []
    monkeypatch.setattr(b.reporter, "run_sso_login", lambda cmd: started.append(cmd))
    assert b.connect(aloop) is None
    box = b.reporter._open[-1]
    buttons = {btn.text(): btn for btn in box.buttons()}
    assert "Run aws sso login" in buttons
    buttons["Run aws sso login"].click()
    assert started == [["aws", "sso", "login", "--profile", "sso-dev"]]
    b.reporter.close_all()
    b.controller.close()


def test_sso_dialog_shows_the_command_without_the_cli(qtbot, aloop, tmp_path, monkeypatch):
    (tmp_path / "aws" / "config").write_text(SSO_CONFIG)
    monkeypatch.setenv("HOME", str(tmp_path))
    b = Bar(qtbot, Settings(profile="sso-dev"), interactive=True)
    monkeypatch.setattr("drs_console.ui.errors.shutil.which", lambda name: None)
    b.connect(aloop)
    box: QMessageBox = b.reporter._open[-1]
    assert "aws sso login --profile sso-dev" in box.informativeText()
    assert all(btn.text() != "Run aws sso login" for btn in box.buttons())
    b.reporter.close_all()
    b.controller.close()


def test_profile_defaults_to_aws_profile_and_its_region(qtbot, aloop, tmp_path, monkeypatch):
    (tmp_path / "aws" / "config").write_text(SSO_CONFIG)
    monkeypatch.setenv("AWS_PROFILE", "ops")
    b = Bar(qtbot)
    assert b.bar.profile.currentData() == "ops"
    assert b.bar.region.currentText() == "us-west-2"
    names = [b.bar.profile.itemData(i) for i in range(b.bar.profile.count())]
    assert names == [None, "default", "ops", "sso-dev"]
    b.controller.close()


def test_shutdown_never_waits_for_a_blocked_aws_call(qtbot, aloop, monkeypatch):
    """A server that accepts and never answers: closing must return at once, the task cancelled."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    stop = threading.Event()
    accepted = []

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                pass

    threading.Thread(target=accept, daemon=True).start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    b = Bar(qtbot)
    b.bar.endpoint.setText(f"http://127.0.0.1:{listener.getsockname()[1]}")
    task = b.runner.start(b.bar.connect_now())

    async def until_blocked():
        while not accepted:
            await asyncio.sleep(0.01)

    aloop.run_until_complete(asyncio.wait_for(until_blocked(), 10))
    started = time.monotonic()
    b.runner.cancel_all()
    b.controller.close()
    aloop.run_until_complete(asyncio.gather(task, return_exceptions=True))
    # at once: well within the blocked call's read timeout (15 s for STS), however loaded the machine
    assert time.monotonic() - started < 5.0
    assert task.cancelled()
    stop.set()
    listener.close()
    for conn in accepted:
        conn.close()
    # The abandoned call ends on its own once the server is gone (timeouts, refused retries);
    # wait for its thread so it cannot outlive this test's event loop.
    for thread in threading.enumerate():
        if thread.name.startswith("aws"):
            thread.join(timeout=30)
            assert not thread.is_alive()



IDENTITY_XML = b"""<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/ops</Arn><UserId>AIDAEXAMPLE</UserId>
  <Account>111122223333</Account></GetCallerIdentityResult>
  <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"""


def test_connecting_makes_the_session_and_every_client_off_the_gui_thread(qtbot, aloop, monkeypatch):
    """Making a boto3 Session or client takes tens of milliseconds of Python: on the GUI thread
    the window would freeze while connecting. Once connected, the pages find their clients made."""
    import boto3

    made: list[tuple[str, str]] = []  # (what, thread)
    real_init, real_client = boto3.Session.__init__, boto3.Session.client

    def init(self, *args, **kwargs):
        made.append(("Session", threading.current_thread().name))
        real_init(self, *args, **kwargs)

    def client(self, service, *args, **kwargs):
        made.append((service, threading.current_thread().name))
        return real_client(self, service, *args, **kwargs)

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    b = Bar(qtbot)
    try:
        with aws_error_endpoint(200, IDENTITY_XML) as url:
            b.bar.endpoint.setText(url)
            monkeypatch.setattr(boto3.Session, "__init__", init)
            monkeypatch.setattr(boto3.Session, "client", client)
            ident = b.connect(aloop)
        assert ident is not None and ident.account_id == "111122223333"
        assert {"Session", "sts", "drs", "stepfunctions", "dynamodb", "cloudformation"} <= {w for w, _ in made}
        assert [m for m in made if m[1] == threading.main_thread().name] == []
        monkeypatch.setattr(boto3.Session, "client", lambda *a, **k: pytest.fail("a client made after connecting"))
        conn = b.controller.connection
        for service in ("drs", "stepfunctions", "dynamodb", "cloudformation"):
            assert conn.client(service) is conn.client(service, max_attempts=5)
        for service in ("drs", "stepfunctions", "dynamodb"):
            conn.client(service, max_attempts=3)  # the monitor's and the run dialog's reader
    finally:
        b.runner.cancel_all()
        b.controller.close()
