"""Redaction of credentials from any text that may be shown or logged (pure Python).

Covers every credential-bearing header and field in the forms botocore, urllib3, the AWS config
and credentials files, the SSO token cache and our own messages use: ``key=value``,
``key: value``, ``'key': 'value'``, ``'key': b'value'`` (bytes reprs), ``"key": "value"`` (JSON),
``<Key>value</Key>`` (XML), the SigV4 ``Authorization`` header (``Credential=``, ``Signature=``),
presigned query strings (``X-Amz-Credential=``), botocore's ``Signature:`` line, bearer tokens
and anything shaped like an access key ID.
"""

from __future__ import annotations

import re

REDACTED = "***"

# Field and header names whose value is a credential (case-insensitive; "_" and "-" optional).
_SECRET_KEYS = (
    r"(?:aws[_-]?)?secret[_-]?(?:access[_-]?)?key",
    r"(?:aws[_-]?)?session[_-]?token",
    r"(?:aws[_-]?)?security[_-]?token",
    r"(?:aws[_-]?)?access[_-]?key(?:[_-]?id)?",
    r"x-amz-security-token",
    r"x-amz-credential",
    r"x-amz-signature",
    r"x-amz-sso[_-]bearer[_-]token",
    r"authorization",
    r"(?:sso[_-]?)?access[_-]?token",
    r"refresh[_-]?token",
    r"id[_-]?token",
    r"client[_-]?secret",
    r"password",
    r"token",
    r"signature",
    r"credential",
)
_KEY = r"(?:" + "|".join(_SECRET_KEYS) + r")"
# key, optionally quoted (also \"-escaped inside a repr), then ':' or '=', then the value:
# a quoted string (optionally a bytes literal), or a bare word.
_KEY_VALUE = re.compile(
    r"(?i)(?P<k>(?<![\w-])" + _KEY + r"(?![\w-]))"
    r"(?P<sep>\\?['\"]?[ \t]*[:=][ \t]*)"
    r"(?:(?P<b>b?)(?P<q>\\?['\"])(?P<qv>.*?)(?P=q)|(?P<v>[^\s'\",;&}<>\])]+))"
)
_XML = re.compile(r"(?i)<(?P<tag>" + _KEY + r")>[^<]*</(?P=tag)>")
_PATTERNS = (
    re.compile(r"(?i)\bCredential=[^,\s'\"&]+"),
    re.compile(r"(?i)\bSignature=[0-9a-f]+"),
    re.compile(r"(?i)(?<=Signature:\n)[0-9a-f]{16,}"),  # botocore.auth's signature line
    re.compile(r"(?i)\bBearer\s+[\w.~+/=-]+"),
    re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b"),
    # A session or SSO token written anywhere without its name: long base64 runs.
    re.compile(r"(?<![\w+/])[A-Za-z0-9+/]{160,}={0,2}"),
)


def _key_value(m: re.Match[str]) -> str:
    if m["q"] is not None:
        return f"{m['k']}{m['sep']}{m['b']}{m['q']}{REDACTED}{m['q']}"
    return f"{m['k']}{m['sep']}{REDACTED}"


def redact(text: str) -> str:
    """``text`` with every credential replaced by ``***``. Idempotent."""
    if not text:
        return text
    text = _XML.sub(lambda m: f"<{m['tag']}>{REDACTED}</{m['tag']}>", text)
    text = _KEY_VALUE.sub(_key_value, text)
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text
