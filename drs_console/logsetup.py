"""Logging for the app and the CLI: a rotating file under the user log dir, secrets redacted."""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys

_SECRET_PATTERNS = [
    # key=value / "key": "value" forms for anything that looks like a credential
    re.compile(
        r"(?i)(?P<k>(?:aws_)?(?:secret_access_key|secretaccesskey|session_token|sessiontoken|"
        r"access_key_id|accesskeyid|x-amz-security-token|authorization|password|token|accessToken))"
        r"(?P<sep>['\"]?\s*[:=]\s*['\"]?)(?P<v>[^'\"\s,}&]+)"
    ),
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    re.compile(r"(?i)Credential=[^,\s]+"),
    re.compile(r"(?i)Signature=[0-9a-f]{16,}"),
]

REDACTED = "***"


def redact(text: str) -> str:
    """Remove anything that looks like a credential from a log line."""
    text = _SECRET_PATTERNS[0].sub(lambda m: f"{m['k']}{m['sep']}{REDACTED}", text)
    for pattern in _SECRET_PATTERNS[1:]:
        text = pattern.sub(REDACTED, text)
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


def configure_logging(*, verbose: bool = False, to_file: bool = True) -> logging.Handler | None:
    """Configure the root logger once. Returns the file handler, if any."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_drs_console", False):
            root.removeHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    formatter = RedactingFormatter(FORMAT)
    file_handler = None
    if to_file:
        from .store.paths import app_paths

        log_file = app_paths().log_file
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            file_handler = logging.handlers.RotatingFileHandler(
                log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
            )
            file_handler.setFormatter(formatter)
            file_handler._drs_console = True  # type: ignore[attr-defined]
            root.addHandler(file_handler)
        except OSError as exc:
            print(f"drs-console: cannot write the log file {log_file}: {exc}", file=sys.stderr)
    stream = logging.StreamHandler(sys.stderr)
    stream.setLevel(logging.DEBUG if verbose else logging.WARNING)
    stream.setFormatter(formatter)
    stream._drs_console = True  # type: ignore[attr-defined]
    root.addHandler(stream)
    # botocore logs request bodies at DEBUG; keep them out unless asked for.
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug", "moto"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    return file_handler
