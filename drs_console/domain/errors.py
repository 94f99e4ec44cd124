"""Problems the user must be told about, each with what to do. No tracebacks reach users."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .wording import sentence


class ProblemKind(StrEnum):
    NO_CREDENTIALS = "no-credentials"
    SSO_EXPIRED = "sso-expired"
    ACCESS_DENIED = "access-denied"
    UNKNOWN_REGION = "unknown-region"
    UNREACHABLE = "unreachable"
    THROTTLED = "throttled"
    NOT_FOUND = "not-found"
    DRS_NOT_INITIALIZED = "drs-not-initialized"
    BAD_INPUT = "bad-input"
    AWS_ERROR = "aws-error"
    CANCELLED = "cancelled"


class ConsoleError(Exception):
    """An error with a message a DR engineer can act on.

    ``message`` says what happened, ``remedy`` what to do. ``kind`` drives special handling
    (for example offering ``aws sso login`` for an expired SSO session).
    """

    def __init__(self, kind: ProblemKind, message: str, remedy: str = "", *, profile: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.remedy = remedy
        self.profile = profile

    def one_line(self) -> str:
        if not self.remedy:
            return self.message.strip()
        return f"{sentence(self.message)} {self.remedy}".strip()

    @property
    def is_aws_side(self) -> bool:
        """True when AWS refused or could not be reached (CLI exit code 3)."""
        return self.kind not in (ProblemKind.BAD_INPUT, ProblemKind.CANCELLED, ProblemKind.UNKNOWN_REGION)


class BadInput(ConsoleError):
    def __init__(self, message: str, remedy: str = ""):
        super().__init__(ProblemKind.BAD_INPUT, message, remedy)


@dataclass(frozen=True)
class Finding:
    """A check result (doctor, preflight): PASS, WARN or FAIL with one line saying what to do."""

    check: str
    level: str  # "PASS" | "WARN" | "FAIL"
    message: str
    remedy: str = ""
