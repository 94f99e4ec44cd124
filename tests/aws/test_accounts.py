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
    cache = AssumedRoleCache(margin=timedelta(minutes=5), now=lambda: now[0])
    creds = RoleCredentials("ASIAEXAMPLE", "secret-value", "token-value", now[0] + timedelta(hours=1))
    cache.put(("k",), creds)
    assert cache.get(("k",)) is creds
    now[0] += timedelta(minutes=54)
    assert cache.get(("k",)) is creds  # 6 minutes left
    now[0] += timedelta(minutes=1, seconds=1)
    assert cache.get(("k",)) is None  # within 5 minutes of expiry: assume again
    assert "secret" not in repr(creds) and "token" not in repr(creds) and "ASIA" not in repr(creds)
