import json
import logging

import pytest

from drs_console.logsetup import MOTO_ASL_LOGGER, configure_logging, redact
from drs_console.store.paths import app_paths


def test_secrets_are_redacted_from_log_lines():
    line = (
        "creds aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCY "
        '"SessionToken": "IQoJb3JpZ2luX2VjEJr" key AKIAIOSFODNN7EXAMPLE '
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIA/2026/us-east-1/sts Signature=0123456789abcdef0123"
    )
    out = redact(line)
    for secret in ("wJalrXUtnFEMI", "IQoJb3JpZ2luX2VjEJr", "AKIAIOSFODNN7EXAMPLE", "0123456789abcdef0123"):
        assert secret not in out
    assert "creds" in out


@pytest.mark.parametrize(
    "line",
    [
        # botocore's "Sending http request" headers: bytes reprs
        "headers={'X-Amz-Date': b'20261201T000000Z', 'X-Amz-Security-Token': b'SECRET1', "
        "'Authorization': b'AWS4-HMAC-SHA256 Credential=SECRET2/20261201/us-east-1/drs/aws4_request, "
        "SignedHeaders=host, Signature=abcdef0123456789'}",
        "{'X-Amz-Security-Token': 'SECRET1', \"Authorization\": \"Bearer SECRET2\"}",
        # canonical request lines and botocore.auth's signature line
        "x-amz-security-token:SECRET1\nhost:example",
        "Signature:\nabcdef0123456789abcdef0123456789",
        # response bodies: JSON (SSO GetRoleCredentials) and XML (STS AssumeRole)
        "b'{\"roleCredentials\":{\"accessKeyId\":\"SECRET1\",\"secretAccessKey\":\"SECRET2\","
        "\"sessionToken\":\"SECRET3\",\"expiration\":1}}'",
        "<Credentials><AccessKeyId>SECRET1</AccessKeyId><SecretAccessKey>SECRET2</SecretAccessKey>"
        "<SessionToken>SECRET3</SessionToken></Credentials>",
        # presigned URLs, the SSO bearer header, config and credentials files
        "https://x/?X-Amz-Credential=SECRET1%2F20261201&X-Amz-Signature=SECRET2&X-Amz-Security-Token=SECRET3",
        "{'x-amz-sso_bearer_token': 'SECRET1'}",
        "aws_session_token = SECRET1\naws_secret_access_key=SECRET2",
        # the SSO token cache
        json.dumps({"accessToken": "SECRET1", "refreshToken": "SECRET2", "clientSecret": "SECRET3"}),
        # a token without its name
        "token " + "Q" * 300,
    ],
)
def test_every_credential_form_is_redacted(line):
    out = redact(line)
    assert "SECRET" not in out and "Q" * 160 not in out, out
    assert redact(out) == out


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    before = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in before[0]:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(before[1])
    for name in ("botocore", "boto3", "urllib3", "werkzeug", "moto"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger(MOTO_ASL_LOGGER).setLevel(logging.NOTSET)


def test_botocore_sso_refresh_traceback_stays_out_of_normal_output(capsys, restore_logging):
    configure_logging(verbose=False, to_file=True)
    try:
        raise RuntimeError("Token for corp does not exist")
    except RuntimeError:
        logging.getLogger("botocore.tokens").warning(
            "Refreshing token failed during the mandatory refresh period.", exc_info=True
        )
    logging.getLogger("drs_console.test").warning("a real warning")
    err = capsys.readouterr().err
    assert "Refreshing token" not in err and "Traceback" not in err
    assert "a real warning" in err
    for handler in logging.getLogger().handlers:
        handler.flush()
    log = app_paths().log_file.read_text()
    assert "DEBUG botocore.tokens" in log and "Traceback" in log  # kept in the log, at debug


def test_the_log_file_redacts_wire_dumps(restore_logging):
    configure_logging(verbose=True, wire=True, to_file=True)
    logging.getLogger("botocore.endpoint").debug(
        "Sending http request: headers={'X-Amz-Security-Token': b'MrkLogToken', 'Authorization': b'AWS4 x'}"
    )
    for handler in logging.getLogger().handlers:
        handler.flush()
    log = app_paths().log_file.read_text()
    assert "Sending http request" in log and "MrkLogToken" not in log


def test_the_sandbox_state_machine_interpreter_prints_no_state_dumps(capsys, restore_logging):
    """moto logs each error a state raises (caught ones too) with the whole state tree: the user
    of `sandbox serve` and the GUI's sandbox log see none of it, --debug-wire shows it."""
    configure_logging(verbose=False, to_file=True)
    logging.getLogger(MOTO_ASL_LOGGER).error("Exception=FailureEventException, Error=DrsConsole.ServerInUse (StateFail| {...})")
    logging.getLogger("moto.core").warning("a moto warning")
    err = capsys.readouterr().err
    assert "FailureEventException" not in err and "a moto warning" in err
    configure_logging(verbose=True, wire=True, to_file=False)
    capsys.readouterr()
    logging.getLogger(MOTO_ASL_LOGGER).error("Exception=FailureEventException")
    assert "FailureEventException" in capsys.readouterr().err
