"""Doctor's findings: a Finding with the lines behind it and whether `backend deploy` repairs it."""

from __future__ import annotations

from dataclasses import dataclass

from ...domain.errors import Finding

PASS, WARN, FAIL = "PASS", "WARN", "FAIL"
FIX_DEPLOY = "deploy"  # `backend deploy` (and `doctor --fix`) repairs what this finding names


@dataclass(frozen=True)
class DoctorFinding(Finding):
    details: tuple[str, ...] = ()  # one line per difference, failure or permission
    fix: str = ""  # FIX_DEPLOY when the console can repair it

    def as_json(self) -> dict:
        doc = {"check": self.check, "level": self.level, "message": self.message, "remedy": self.remedy}
        if self.details:
            doc["details"] = list(self.details)
        if self.fix:
            doc["fix"] = self.fix
        return doc


def finding(check: str, level: str, message: str, remedy: str = "", *, details=(), fix: str = "") -> DoctorFinding:
    return DoctorFinding(check, level, message, remedy if level != PASS else "", tuple(details), fix if level != PASS else "")


def worst(findings: list[Finding]) -> str:
    levels = {f.level for f in findings}
    return FAIL if FAIL in levels else WARN if WARN in levels else PASS


def deploy_command(stack_name: str, region: str, *, allow_downgrade: bool = False, options: str = "") -> str:
    """The `backend deploy` line to type; ``options``: the connection's (``--profile``, ``--endpoint-url``)."""
    extra = " --allow-downgrade" if allow_downgrade else ""
    return f"drs-console{options} --region {region} backend deploy --stack-name {stack_name}{extra}"
