"""What the CLI says about a bad connection input (before anything connects), and the wording
helpers every message uses."""

from __future__ import annotations

import pytest

from drs_console.cli.main import EXIT_USAGE, main
from drs_console.domain.endpoint import InvalidEndpointUrl, validate_endpoint_url
from drs_console.domain.errors import BadInput, ConsoleError
from drs_console.domain.wording import noun, plural, sentence


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("127.0.0.1:4566", "has no scheme. Type it with http:// or https://, for example http://127.0.0.1:4566."),
        ("localhost:4566", "for example http://localhost:4566."),
        ("ftp://127.0.0.1", "uses ftp://"),
        ("http://127.0.0.1:99999", "invalid port"),
        ("http://", "has no host"),
        ("http://a b:1", "contains a space"),
        ("https://bad_host!:1", "invalid host"),
    ],
)
def test_a_bad_endpoint_is_one_line_saying_what_to_type_exit_2(capsys, text, needle):
    assert main(["--region", "us-east-1", "--endpoint-url", text, "inventory"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith(f"drs-console: The endpoint URL {text!r}") and needle in err


@pytest.mark.parametrize(
    "text", ["http://127.0.0.1:4566", " https://drs.eu-west-1.amazonaws.com ", "http://[::1]:4566/", "http://localstack"]
)
def test_good_endpoints_pass_trimmed(text):
    assert validate_endpoint_url(text) == text.strip()


def test_the_endpoint_error_is_a_console_error_the_gui_can_show():
    with pytest.raises(InvalidEndpointUrl) as info:
        validate_endpoint_url("127.0.0.1:4566")
    assert isinstance(info.value, BadInput) and isinstance(info.value, ConsoleError)
    assert info.value.one_line() == (
        "The endpoint URL '127.0.0.1:4566' has no scheme. Type it with http:// or https://, for example "
        "http://127.0.0.1:4566."
    )


def test_a_missing_aws_profile_from_the_environment_is_named(capsys, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "ghost")
    assert main(["--region", "us-east-1", "inventory"]) == 3
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "The AWS profile 'ghost' (from AWS_PROFILE) is not in your AWS config" in err and "None" not in err
    assert "There are no profiles there yet: create one with 'aws configure'" in err


def test_a_missing_aws_profile_lists_the_profiles_there_are(capsys, monkeypatch, tmp_path):
    config = tmp_path / "aws" / "config"
    config.write_text("[default]\nregion = us-east-1\n[profile dr-prod]\nregion = eu-west-1\n")
    (tmp_path / "aws" / "credentials").write_text("[dr-test]\naws_access_key_id = AKIAEXAMPLE\n"
                                                  "aws_secret_access_key = example\n")
    assert main(["--profile", "dr-prd", "--region", "us-east-1", "inventory"]) == 3
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("drs-console: The AWS profile 'dr-prd' is not in your AWS config or credentials file.")
    assert "Profiles there: default, dr-prod, dr-test. Pick one with --profile NAME" in err
    assert "AKIA" not in err and "example" not in err


def test_counted_nouns_agree():
    assert [plural(n, "wave") for n in (0, 1, 2)] == ["0 waves", "1 wave", "2 waves"]
    assert plural(1, "recovery instance") == "1 recovery instance"
    assert plural(3, "recovery instance") == "3 recovery instances"
    assert plural(2, "selected execution") == "2 selected executions"
    assert (noun(1, "is"), noun(2, "is"), noun(2, "uses", "use")) == ("is", "are", "use")
    assert (plural(2, "policy"), plural(2, "match"), plural(2, "day")) == ("2 policies", "2 matches", "2 days")


def test_a_message_joined_to_its_remedy_ends_its_sentence():
    assert BadInput("no such file", "The file was not changed.").one_line() == "no such file. The file was not changed."
    assert BadInput("Done.", "Next.").one_line() == "Done. Next."
    assert BadInput("only a message").one_line() == "only a message"
    assert sentence("(2024-05-01)") == "(2024-05-01)." and sentence("Why?") == "Why?"
