"""Every connection error path gives one clear message with what to do (no Qt)."""

from __future__ import annotations

import asyncio

import pytest

from drs_console.aws.session import AwsConnection, ConnectionParams, list_profiles
from drs_console.domain.errors import ConsoleError, ProblemKind
from tests.fakes import SSO_CONFIG, aws_error_endpoint, closed_port


def identity_error(params: ConnectionParams) -> ConsoleError:
    with pytest.raises(ConsoleError) as info:
        conn = AwsConnection(params)
        try:
            asyncio.run(conn.identity())
        finally:
            conn.close()
    return info.value


@pytest.fixture
def sso_home(tmp_path, monkeypatch):
    cfg = tmp_path / "aws" / "config"
    cfg.write_text(SSO_CONFIG)
    (tmp_path / "aws" / "credentials").write_text("[ops]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n")
    monkeypatch.setenv("HOME", str(tmp_path))  # empty ~/.aws/sso/cache: no SSO token
    return tmp_path


def test_no_credentials_says_how_to_get_some():
    err = identity_error(ConnectionParams(region="us-east-1"))
    assert err.kind is ProblemKind.NO_CREDENTIALS
    assert "aws configure" in err.remedy and "Sandbox" in err.remedy


def test_expired_sso_session_says_to_log_in(sso_home):
    err = identity_error(ConnectionParams(profile="sso-dev"))
    assert err.kind is ProblemKind.SSO_EXPIRED
    assert "aws sso login --profile sso-dev" in err.remedy
    assert err.profile == "sso-dev"


def test_unknown_profile():
    err = identity_error(ConnectionParams(profile="nope", region="us-east-1"))
    assert err.kind is ProblemKind.NO_CREDENTIALS
    assert "'nope'" in err.message


def test_access_denied_names_the_operation():
    with aws_error_endpoint() as url:
        err = identity_error(ConnectionParams(region="us-east-1", endpoint_url=url, static_credentials=("a", "b")))
    assert err.kind is ProblemKind.ACCESS_DENIED
    assert "GetCallerIdentity" in err.message
    assert "permission" in err.remedy


def test_unknown_region_is_refused_before_any_call():
    err = identity_error(ConnectionParams(region="mars-north-1", static_credentials=("a", "b")))
    assert err.kind is ProblemKind.UNKNOWN_REGION
    assert "mars-north-1" in err.message and "us-east-1" in err.remedy


def test_unreachable_endpoint_fails_fast_with_a_network_hint():
    url = f"http://127.0.0.1:{closed_port()}"
    err = identity_error(ConnectionParams(region="us-east-1", endpoint_url=url, static_credentials=("a", "b")))
    assert err.kind is ProblemKind.UNREACHABLE
    assert "VPN" in err.remedy


def test_profiles_come_from_config_and_credentials(sso_home):
    assert list_profiles() == ["default", "ops", "sso-dev"]


def test_retries_are_bounded_and_timeouts_set():
    conn = AwsConnection(ConnectionParams(region="us-east-1", static_credentials=("a", "b")))
    try:
        config = conn.client("drs").meta.config
        assert config.retries["mode"] in ("standard", "adaptive")
        # bounded: a few retries, never botocore's unbounded-looking defaults or none at all
        assert 2 <= config.retries["total_max_attempts"] <= 10, config.retries
        assert 0 < config.connect_timeout <= 30 and 0 < config.read_timeout <= 120
        assert conn.client("drs") is conn.client("drs")  # clients are made once
    finally:
        conn.close()
