from drs_console.logsetup import redact


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
