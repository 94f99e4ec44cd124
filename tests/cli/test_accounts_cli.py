"""`drs-console accounts` and the inventory across accounts, in-process against a sandbox that
serves a hub and two target accounts; the known accounts live in the settings file."""

from __future__ import annotations

import io
import json
import logging

import pytest

from drs_console.aws.session import AwsConnection
from drs_console.cli.context import CliContext
from drs_console.cli.main import build_parser, run_command
from drs_console.sandbox import Sandbox
from drs_console.store.paths import app_paths
from drs_console.store.settings import load_settings
from tests.cli.conftest import Ran


@pytest.fixture(scope="module")
def sb3():
    sandbox = Sandbox(manual_clock=True, servers=10, accounts=3)
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def acli(sb3):
    def run(*argv: str) -> Ran:
        args = build_parser().parse_args(list(argv))
        out, err = io.StringIO(), io.StringIO()
        ctx = CliContext(out=out, err=err, _connection=AwsConnection(sb3.connection_params()))
        return Ran(run_command(args, ctx), out.getvalue(), err.getvalue())

    return run


def test_add_list_test_and_remove_accounts(acli, sb3, caplog):
    t1, t2 = sb3.targets
    assert acli("accounts", "list").out.startswith("No other accounts yet")
    ran = acli("accounts", "add", t1.account_id, "--name", "Payments prod", "--role-arn", t1.role_arn)
    assert ran.rc == 0 and "Added Payments prod" in ran.out
    assert acli("accounts", "add", t2.account_id, "--role-arn", t2.role_arn).rc == 0
    ran = acli("accounts", "add", t2.account_id, "--role-arn", t2.role_arn)
    assert ran.rc == 2 and "already known" in ran.err and "--replace" in ran.err
    listed = json.loads(acli("accounts", "list", "--json").out)["accounts"]
    assert [a["accountId"] for a in listed] == [t1.account_id, t2.account_id] and listed[0]["name"] == "Payments prod"

    with caplog.at_level(logging.DEBUG, logger="drs_console"):  # our own log (botocore's wire dump is --debug-wire)
        ran = acli("accounts", "test")
    assert ran.rc == 0, ran.err
    assert f"OK    Payments prod ({t1.account_id}): arn:aws:sts::{t1.account_id}:assumed-role/drs-console-target/" in ran.out
    assert "2 accounts reached, 0 failed" in ran.out
    doc = json.loads(acli("accounts", "test", "--json").out)
    assert doc["hub"]["accountId"] == sb3.account_id and all(a["ok"] for a in doc["accounts"])
    # the temporary credentials appear nowhere: not in the settings file, not in the log
    text = app_paths().settings_file.read_text() + caplog.text
    assert "SessionToken" not in text and "ASIA" not in text and "FQoGZXIvYXdzE" not in text

    ran = acli("accounts", "remove", "Payments prod")
    assert ran.rc == 0 and [a.account_id for a in load_settings().accounts] == [t2.account_id]
    ran = acli("accounts", "remove", "nope")
    assert ran.rc == 2 and f"Known accounts: {t2.account_id}" in ran.err


def test_each_failure_says_what_to_do(acli, sb3):
    t1, t2 = sb3.targets
    acli("accounts", "add", t1.account_id, "--role-arn", t1.role_arn.replace("drs-console-target", "other"))
    acli("accounts", "add", "345678901234", "--profile", "no-such-profile")
    acli("accounts", "add", t2.account_id, "--role-arn", t2.role_arn)
    sb3.drs_for(t2.account_id).initialized = False
    try:
        ran = acli("accounts", "test")
    finally:
        sb3.drs_for(t2.account_id).initialized = True
    assert ran.rc == 1 and "1 account reached" not in ran.out and "0 accounts reached, 3 failed" in ran.out
    lines = {line.split(":")[0].split()[-1].strip("()"): line for line in ran.out.splitlines() if "FAIL" in line}
    assert "could not be assumed" in lines[t1.account_id] and "trust policy" in lines[t1.account_id]
    assert "external ID" in lines[t1.account_id]
    assert "no-such-profile" in lines["345678901234"] and "aws configure" in lines["345678901234"]
    assert "not initialized in us-east-1" in lines[t2.account_id] and "initialize" in lines[t2.account_id]


def test_bad_input_is_refused_with_what_to_type(acli):
    for argv, says in (
        (("accounts", "add", "12345", "--profile", "p"), "not an AWS account ID"),
        (("accounts", "add", "210987654321", "--role-arn", "arn:aws:iam::111122223333:role/x"), "not in 210987654321"),
        (("accounts", "add", "210987654321", "--profile", "p", "--external-id", "abc"), "goes with a role"),
        (("accounts", "add", "210987654321", "--role-arn", "arn:aws:iam::210987654321:role/x",
          "--external-id", "bad id with spaces"), "external ID"),
    ):
        ran = acli(*argv)
        assert ran.rc == 2 and says in ran.err, (argv, ran.err)
    assert load_settings().accounts == []


def test_inventory_lists_every_known_accounts_servers(acli, sb3):
    t1, t2 = sb3.targets
    acli("accounts", "add", t1.account_id, "--name", "One", "--role-arn", t1.role_arn)
    acli("accounts", "add", t2.account_id, "--role-arn", t2.role_arn.replace("drs-console-target", "other"))
    ran = acli("inventory", "--json")
    assert ran.rc == 0
    doc = json.loads(ran.out)
    by_account: dict[str, set[str]] = {}
    for s in doc["servers"]:
        by_account.setdefault(s["accountId"], set()).add(s["sourceServerID"])
    assert by_account[sb3.account_id] == set(sb3.drs.server_ids())
    assert by_account[t1.account_id] == set(sb3.drs_for(t1.account_id).server_ids())
    assert t2.account_id not in by_account
    problems = {a["accountId"]: a["problem"] for a in doc["accounts"]}
    assert problems[t1.account_id] is None and "could not be assumed" in problems[t2.account_id]
    assert "could not be assumed" in ran.err  # said on stderr too
    extended = [s for s in doc["servers"] if s["stagingAccountID"]]
    assert extended and all(s["stagingAccountID"] != s["accountId"] for s in extended)
    table = acli("inventory").out
    assert "IN ACCOUNT" in table.splitlines()[0] and f"accounts {sb3.account_id}, {t1.account_id}, {t2.account_id}" in table


def test_doctor_names_each_known_account(sb3):
    import asyncio

    from drs_console.aws.doctor.account_checks import known_account_checks
    from drs_console.domain.accounts import make_account

    t1, t2 = sb3.targets
    accounts = [t1.known(), make_account(t2.account_id, name="Two", role_arn=t2.role_arn.replace("drs-console-target", "x")),
                make_account("345678901234", profile="no-such-profile")]
    conn = AwsConnection(sb3.connection_params())
    try:
        findings = asyncio.run(known_account_checks(conn, accounts))
    finally:
        conn.close()
    levels = {f.check: (f.level, f.message, f.remedy) for f in findings}
    assert levels[f"account {t1.account_id}"][0] == "PASS" and t1.account_id in levels[f"account {t1.account_id}"][1]
    level, message, remedy = levels[f"account {t2.account_id}"]
    assert level == "FAIL" and f"Two ({t2.account_id})" in message and "trust policy" in remedy
    level, message, remedy = levels["account 345678901234"]
    assert level == "WARN" and "no-such-profile" in message + remedy


def test_assumed_role_credentials_are_cached_and_refreshed(sb3):
    import asyncio
    from datetime import UTC, datetime, timedelta

    from drs_console.aws.accounts import AccountConnector, AssumedRoleCache

    t1 = sb3.targets[0]
    now = [datetime.now(UTC)]
    cache = AssumedRoleCache(now=lambda: now[0])
    hub = AwsConnection(sb3.connection_params())
    calls = []
    hub.client("sts", read_timeout=15, max_attempts=2).meta.events.register(
        "provide-client-params.sts.AssumeRole", lambda params, **kw: calls.append(params["RoleArn"]))
    try:
        async def servers(connector):
            conn = await connector.connection(t1.known())
            page = await conn.call(conn.client("drs").describe_source_servers)
            return {i["sourceServerID"] for i in page["items"]}

        first, second = AccountConnector(hub, cache=cache), AccountConnector(hub, cache=cache)
        assert asyncio.run(servers(first)) == set(sb3.drs_for(t1.account_id).server_ids())
        asyncio.run(servers(second))
        assert calls == [t1.role_arn]  # one AssumeRole for both connections
        now[0] += timedelta(minutes=46)  # 14 minutes before the credentials expire: assumed again
        third = AccountConnector(hub, cache=cache)
        asyncio.run(servers(third))
        assert calls == [t1.role_arn, t1.role_arn]
        for c in (first, second, third):
            c.close()
    finally:
        hub.close()


def test_the_sandboxs_accounts_cannot_be_changed(capsys):
    from drs_console.cli.main import main

    assert main(["--sandbox", "accounts", "add", "210987654321", "--profile", "p"]) == 2
    assert "sandbox's target accounts are its own" in capsys.readouterr().err
