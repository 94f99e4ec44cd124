"""Logging for the app and the CLI: a rotating file under the user log dir, secrets redacted.

Levels: normally INFO to the file and WARNING to stderr. ``-v`` (verbose) adds our own DEBUG
lines, among them one per AWS call (``drs_console.aws.calls``: service, operation, status,
duration, retries, request ID); botocore stays at INFO. ``--debug-wire`` adds botocore's and
urllib3's wire dump (every request and response, payloads included). Every line, tracebacks
included, goes through ``domain.secrets.redact`` whatever the level.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys

from .domain.secrets import REDACTED, redact

__all__ = ["REDACTED", "RedactingFormatter", "configure_logging", "redact"]

WIRE_WARNING = (
    "drs-console: --debug-wire logs every AWS request and response, which may print payloads "
    "(plans, server names, tags, history); credentials are redacted. Share this output with care."
)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class DemoteCredentialWarnings(logging.Filter):
    """botocore warns, with a full traceback, when refreshing an SSO token or temporary
    credentials fails; the console says the same in one line with what to do. The warning is
    kept at DEBUG: in the log file, and on stderr only with -v."""

    LOGGERS = ("botocore.tokens", "botocore.credentials", "botocore.utils")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and (record.exc_info or "refresh" in str(record.msg).lower()):
            record.levelno = logging.DEBUG
            record.levelname = "DEBUG"
        return True


FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


MOTO_ASL_LOGGER = "moto.stepfunctions.parser.asl.component.eval_component"


def configure_logging(
    *, verbose: bool = False, wire: bool = False, to_file: bool = True
) -> logging.Handler | None:
    """Configure the root logger once. Returns the file handler, if any."""
    verbose = verbose or wire
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_drs_console", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    formatter = RedactingFormatter(FORMAT)
    file_handler = None
    if to_file:
        from .store.paths import app_paths

        log_file = app_paths().log_file
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            file_handler = logging.handlers.RotatingFileHandler(
                log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8", errors="backslashreplace"
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
    # botocore logs headers and bodies at DEBUG: only with --debug-wire.
    aws_level = logging.DEBUG if wire else (logging.INFO if verbose else logging.WARNING)
    for name in ("botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(name).setLevel(aws_level)
    for name in ("werkzeug", "moto"):
        logging.getLogger(name).setLevel(logging.DEBUG if wire else logging.WARNING)
    # moto's Step Functions interpreter logs every error a state raises at ERROR with a repr of the
    # whole state tree (kilobytes a line), caught ones included (a Catch, a Fail state, a refused
    # lease): what happened is in the execution's history, as on AWS. Only with --debug-wire.
    logging.getLogger(MOTO_ASL_LOGGER).setLevel(logging.DEBUG if wire else logging.CRITICAL)
    for name in DemoteCredentialWarnings.LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, DemoteCredentialWarnings) for f in logger.filters):
            logger.addFilter(DemoteCredentialWarnings())
    if wire:
        print(WIRE_WARNING, file=sys.stderr)
    return file_handler
