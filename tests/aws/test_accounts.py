"""Known accounts (domain), their settings (v4), and the assumed-role credentials cache."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from drs_console.aws.accounts import AssumedRoleCache, RoleCredentials
from drs_console.domain.accounts import KnownAccount, make_account, parse_accounts
from drs_console.domain.errors import BadInput
from drs_console.store.paths import app_paths
from drs_console.store.settings import SETTINGS_VERSION, Settings, load_settings, save_settings

ROLE = "arn:aws:iam::210987654321:role/drs-console-target"


def test_an_account_is_reached_one_way_and_validated():
    a = make_account(" 210987654321 ", name="  Payments   prod ", role_arn=ROLE, external_id="ext-123")
    assert (a.account_id, a.name, a.via) == ("210987654321", "Payments prod", "role")
    assert a.reach_text() == f"role {ROLE} + external ID"
    assert KnownAccount.from_dict(a.as_dict()) == a
    assert make_account("210987654321", profile="dr-sso").reach_text() == "profile dr-sso"
    assert make_account("210987654321", role_arn="arn:aws-us-gov:iam::210987654321:role/path/x").via == "role"
    for kwargs, says in (
        ({"role_arn": ROLE, "profile": "p"}, "exactly one way"),
        ({}, "exactly one way"),
        ({"role_arn": "arn:aws:iam::111122223333:role/x"}, "not in 210987654321"),
        ({"role_arn": "arn:aws:iam::210987654321:user/x"}, "not an IAM role ARN"),
        ({"role_arn": ROLE, "external_id": "x"}, "external ID is not"),
        ({"profile": "p", "external_id": "abc"}, "goes with a role"),
        ({"profile": "p", "name": "n" * 65}, "65 characters"),
    ):
        with pytest.raises(BadInput, match=says):
            make_account("210987654321", **kwargs)
    with pytest.raises(BadInput, match="not an AWS account ID"):
        make_account("21098765432", profile="p")


def test_settings_v3_files_stay_valid_and_v4_keeps_the_accounts_without_credentials():
    path = app_paths().settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 3, "profile": "hub", "splitters": {"a": [1, 2]}}))
    loaded = load_settings()
    assert loaded.profile == "hub" and loaded.accounts == [] and loaded.splitters == {"a": [1, 2]}

    accounts = [make_account("210987654321", name="Pay", role_arn=ROLE, external_id="ext-123"),
                make_account("345678901234", profile="dr-sso")]
    save_settings(Settings(profile="hub", accounts=accounts))
    doc = json.loads(path.read_text())
    assert doc["version"] == SETTINGS_VERSION == 4
    assert doc["accounts"] == [a.as_dict() for a in accounts]
    assert load_settings().accounts == accounts
    assert not any(k in json.dumps(doc).lower() for k in ("secret", "sessiontoken", "accesskey"))

    # a hand-edited file: the bad entries are left out, the good ones kept
    doc["accounts"] = [{"accountId": "1"}, accounts[0].as_dict(), accounts[0].as_dict(), "junk",
                       {"accountId": "345678901234", "profile": 5}]
    path.write_text(json.dumps(doc))
    assert load_settings().accounts == [accounts[0]]
    kept, problems = parse_accounts(doc["accounts"])
    assert kept == [accounts[0]] and len(problems) == 4


def test_assumed_role_credentials_are_reused_until_shortly_before_they_expire():
    now = [datetime(2026, 1, 1, 12, 0, tzinfo=UTC)]
    cache = AssumedRoleCache(now=lambda: now[0])  # the default margin: 15 minutes
    creds = RoleCredentials("ASIAEXAMPLE", "secret-value", "token-value", now[0] + timedelta(hours=1))
    cache.put(("k",), creds)
    assert cache.get(("k",)) is creds
    now[0] += timedelta(minutes=44)
    assert cache.get(("k",)) is creds  # 16 minutes left
    now[0] += timedelta(minutes=1, seconds=1)
    assert cache.get(("k",)) is None  # within 15 minutes of expiry: assume again
    assert "secret" not in repr(creds) and "token" not in repr(creds) and "ASIA" not in repr(creds)


def _client_error(code: str, message: str = "denied", op: str = "DescribeSourceServers"):
    from botocore.exceptions import ClientError

    from drs_console.aws.errors import translate

    raw = ClientError({"Error": {"Code": code, "Message": message}}, op)
    err = translate(raw, region="ap-east-1")
    err.__cause__ = raw
    return err


def test_each_way_an_account_fails_says_what_to_do():
    from botocore.exceptions import SSOTokenLoadError

    from drs_console.aws.accounts import account_error, assume_error, drs_error
    from drs_console.aws.errors import translate

    role = make_account("210987654321", name="Pay", role_arn=ROLE)
    with_ext = make_account("210987654321", role_arn=ROLE, external_id="ext-1")
    sso = make_account("345678901234", profile="dr-sso")

    denied = assume_error(role, _client_error("AccessDenied", op="AssumeRole"))
    assert denied.kind.value == "access-denied" and "Pay (210987654321)" in denied.message
    assert "trust policy" in denied.remedy and "--external-id" in denied.remedy
    assert "must match" in assume_error(with_ext, _client_error("AccessDenied", op="AssumeRole")).remedy

    region = drs_error(role, "ap-east-1", _client_error("UnrecognizedClientException", "The security token is invalid"))
    assert "probably not enabled" in region.message and "Enable ap-east-1 in account 210987654321" in region.remedy

    uninit = drs_error(role, "ap-east-1", _client_error("UninitializedAccountException", "Account not initialized"))
    assert uninit.kind.value == "drs-not-initialized" and "initialize" in uninit.remedy

    drs_denied = drs_error(role, "ap-east-1", _client_error("AccessDeniedException"))
    assert "DescribeSourceServers" in drs_denied.message and "target-account.yaml" in drs_denied.remedy

    expired = account_error(sso, translate(SSOTokenLoadError(error_msg="expired"), profile="dr-sso"))
    assert expired.kind.value == "sso-expired" and expired.remedy == "Run 'aws sso login --profile dr-sso', then test again."
    assert account_error(sso, expired) is expired  # named once


def test_the_inventory_cache_keeps_each_accounts_servers_and_old_files_still_load():
    from drs_console.domain.inventory import InventorySnapshot, SourceServer
    from drs_console.domain.status import ReplicationState
    from drs_console.store.inventory_cache import InventoryCache

    cache = InventoryCache()
    hub = SourceServer("s-1", hostname="h1", replication_state=ReplicationState.CONTINUOUS, drs_account_id="123456789012")
    other = SourceServer("s-2", hostname="h2", drs_account_id="210987654321", staging_account_id="999988887777",
                         staging_status="EXTENDED")
    snap = InventorySnapshot("123456789012", "us-east-1", datetime.now(UTC), (hub, other),
                             account_names={"210987654321": "Pay"}, problems={"345678901234": "Account 3: denied."},
                             accounts=("123456789012", "210987654321", "345678901234"))
    cache.save(snap, "sandbox")
    doc = json.loads(next(cache.folder.glob("*.json")).read_text())
    assert doc["version"] == 2
    assert [(s["accountId"], len(s["servers"])) for s in doc["accounts"]] == [
        ("123456789012", 1), ("210987654321", 1), ("345678901234", 0)]
    loaded = cache.load("123456789012", "us-east-1", "sandbox")
    assert loaded == snap and loaded.in_account("210987654321")[0].extended
    assert loaded.account_label("210987654321") == "Pay (210987654321)"

    # a version 1 file (before accounts): every server in the connected account
    v1 = {"version": 1, "accountId": "111122223333", "region": "eu-west-1", "endpoint": "",
          "fetchedAt": datetime.now(UTC).isoformat(),
          "servers": [{"source_server_id": "s-9", "hostname": "old", "replication_state": "STALLED", "tags": {}}]}
    (cache.folder / "111122223333-eu-west-1.json").write_text(json.dumps(v1))
    old = cache.load("111122223333", "eu-west-1")
    assert old is not None and [s.source_server_id for s in old.in_account("111122223333")] == ["s-9"]
    assert old.account_ids == ("111122223333",)
