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


# --- broken credential chains: one line naming the profile and what to do, CLI exit 3 ----------

BROKEN_CHAINS = """\
[profile no-session]
sso_session = missing
sso_account_id = 111122223333
sso_role_name = Admin
region = us-east-1

[profile failing-process]
credential_process = {python} -c "import sys; sys.stderr.write('vault is sealed'); sys.exit(1)"
region = us-east-1

[profile loop-a]
role_arn = arn:aws:iam::111122223333:role/a
source_profile = loop-b
region = us-east-1

[profile loop-b]
role_arn = arn:aws:iam::111122223333:role/b
source_profile = loop-a

[profile dangling-source]
role_arn = arn:aws:iam::111122223333:role/a
source_profile = nowhere
region = us-east-1
"""


@pytest.fixture
def broken_chains(tmp_path, monkeypatch):
    import sys

    cfg = tmp_path / "broken-config"
    cfg.write_text(BROKEN_CHAINS.format(python=sys.executable))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(cfg))
    return cfg


@pytest.mark.parametrize(
    "profile, needles",
    [
        ("no-session", ["'no-session'", "sso-session", "missing", "aws configure sso"]),
        ("failing-process", ["credential_process", "'failing-process'", "vault is sealed", "Run that command"]),
        ("loop-a", ["'loop-a'", "loop-a -> loop-b -> loop-a", "source_profile"]),
        ("dangling-source", ["'dangling-source'", '"nowhere"', "source_profile"]),
    ],
)
def test_broken_credential_chain_is_one_line_with_the_profile_and_exit_3(broken_chains, capsys, profile, needles):
    from drs_console.__main__ import main

    err = identity_error(ConnectionParams(profile=profile))
    assert err.kind is ProblemKind.NO_CREDENTIALS and err.profile == profile
    assert main(["--profile", profile, "inventory"]) == 3
    out, stderr = capsys.readouterr()
    assert out == "" and len(stderr.splitlines()) == 1, stderr
    for needle in needles:
        assert needle in stderr, stderr


# --- something other than AWS answers ------------------------------------------------------

PORTAL = b"\n<!DOCTYPE html>\n<html><head><title>Hotel Wi-Fi: sign in</title></head></html>"


@pytest.mark.parametrize(
    "status, body, shown",
    [(200, PORTAL, "<!DOCTYPE html>"), (502, PORTAL, "<!DOCTYPE html>"), (200, b"", "(an empty body)")],
)
def test_an_endpoint_that_is_not_aws_is_named_with_the_first_line_it_sent(status, body, shown):
    with aws_error_endpoint(status=status, body=body) as url:
        conn = AwsConnection(ConnectionParams(region="us-east-1", endpoint_url=url, static_credentials=("a", "b")))
        try:
            for fn in (conn.identity, lambda: conn.call(conn.client("drs").describe_source_servers)):
                with pytest.raises(ConsoleError) as info:
                    asyncio.run(fn())
                err = info.value
                assert err.kind is ProblemKind.UNREACHABLE
                assert "Something other than AWS answered" in err.message and url in err.message
                assert shown in err.message and "proxy" in err.remedy
        finally:
            conn.close()


def test_cli_against_a_captive_portal_exits_3_in_one_line(capsys, monkeypatch):
    from drs_console.__main__ import main

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "a")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "b")
    with aws_error_endpoint(status=200, body=PORTAL) as url:
        code = main(["--endpoint-url", url, "--region", "us-east-1", "inventory"])
    stderr = capsys.readouterr().err
    assert code == 3 and len(stderr.splitlines()) == 1 and "<!DOCTYPE html>" in stderr, stderr


def test_expired_sso_is_one_line_without_botocores_traceback(sso_home, capsys):
    from drs_console.__main__ import main

    assert main(["--profile", "sso-dev", "inventory"]) == 3
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "drs-console: Your AWS SSO session (profile sso-dev) has expired or was never started. "
        "Run 'aws sso login --profile sso-dev', then connect again."
    ], err


def test_an_xml_answer_that_is_not_sts_is_not_an_identity():
    body = b"<?xml version='1.0'?><Status><Ok>yes</Ok></Status>"
    with aws_error_endpoint(status=200, body=body) as url:
        err = identity_error(ConnectionParams(region="us-east-1", endpoint_url=url, static_credentials=("a", "b")))
    assert err.kind is ProblemKind.UNREACHABLE and "Something other than AWS" in err.message
