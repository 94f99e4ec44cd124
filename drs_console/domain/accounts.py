"""The AWS accounts the console knows besides the connected one, and how it reaches each.

A known account is an account ID (12 digits), a name, and ONE way to reach it: an AWS profile
(SSO profiles included) or a role the connected identity assumes (with an optional external ID).
Only names are kept, never a credential: the settings file stores exactly these fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import BadInput

ACCOUNT_ID = re.compile(r"\d{12}")
# arn:<partition>:iam::<account>:role/<path/>name (IAM role names: [\w+=,.@-], 1-64; paths: /.../)
ROLE_ARN = re.compile(r"arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?[\w+=,.@-]{1,64}")
# STS AssumeRole ExternalId: 2-1224 characters of [\w+=,.@:/-]
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")
PROFILE_NAME = re.compile(r"[^\s\[\]]+(?: [^\s\[\]]+)*")
NAME_MAX = 64

PROFILE, ROLE = "profile", "role"


@dataclass(frozen=True, slots=True)
class KnownAccount:
    """One account the console reaches besides the connected one."""

    account_id: str
    name: str = ""
    profile: str | None = None  # reach it with this AWS profile ...
    role_arn: str | None = None  # ... or by assuming this role from the connected identity
    external_id: str | None = None  # only with role_arn

    @property
    def via(self) -> str:
        return PROFILE if self.profile else ROLE

    @property
    def label(self) -> str:
        """'<name> (<account>)', or the account ID alone."""
        return f"{self.name} ({self.account_id})" if self.name else self.account_id

    def reach_text(self) -> str:
        """How the account is reached, for tables: 'profile NAME' or 'role ARN [+ external ID]'."""
        if self.profile:
            return f"profile {self.profile}"
        return f"role {self.role_arn}" + (" + external ID" if self.external_id else "")

    def as_dict(self) -> dict[str, Any]:
        """The settings file's (and --json's) shape; None members left out."""
        doc: dict[str, Any] = {"accountId": self.account_id, "name": self.name}
        if self.profile:
            doc["profile"] = self.profile
        if self.role_arn:
            doc["roleArn"] = self.role_arn
        if self.external_id:
            doc["externalId"] = self.external_id
        return doc

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> KnownAccount:
        """Parse and validate (BadInput when something is wrong)."""
        if not isinstance(doc, Mapping):
            raise BadInput("An account entry is not an object.")
        values = {k: doc.get(k) for k in ("accountId", "name", "profile", "roleArn", "externalId")}
        for key, value in values.items():
            if value is not None and not isinstance(value, str):
                raise BadInput(f"The account entry's {key} is not text.")
        return make_account(
            values["accountId"] or "", name=values["name"] or "", profile=values["profile"],
            role_arn=values["roleArn"], external_id=values["externalId"],
        )


def make_account(account_id: str, *, name: str = "", profile: str | None = None, role_arn: str | None = None,
                 external_id: str | None = None) -> KnownAccount:
    """A validated KnownAccount; BadInput saying what to type otherwise."""
    account_id = (account_id or "").strip()
    name = " ".join((name or "").split())
    profile = (profile or "").strip() or None
    role_arn = (role_arn or "").strip() or None
    external_id = (external_id or "").strip() or None
    if not ACCOUNT_ID.fullmatch(account_id):
        raise BadInput(f"{account_id!r} is not an AWS account ID.", "Give the 12 digits of the account, like 210987654321.")
    if len(name) > NAME_MAX:
        raise BadInput(f"The account name is {len(name)} characters long.", f"Use at most {NAME_MAX}.")
    if bool(profile) == bool(role_arn):
        raise BadInput(
            f"Account {account_id} needs exactly one way to be reached.",
            "Give either --profile NAME (an AWS profile, SSO included) or --role-arn ARN (a role the connected "
            "identity assumes).",
        )
    if profile and not PROFILE_NAME.fullmatch(profile):
        raise BadInput(f"{profile!r} is not an AWS profile name.", "Use a profile name from your AWS config file.")
    if external_id and not role_arn:
        raise BadInput("An external ID goes with a role.", "Give --role-arn too, or leave out --external-id.")
    if role_arn:
        m = ROLE_ARN.fullmatch(role_arn)
        if not m:
            raise BadInput(
                f"{role_arn!r} is not an IAM role ARN.",
                "Use the role's ARN, like arn:aws:iam::210987654321:role/drs-console-target.",
            )
        if m.group(2) != account_id:
            raise BadInput(
                f"The role {role_arn} is in account {m.group(2)}, not in {account_id}.",
                f"Give the ARN of a role in account {account_id}, or the account ID {m.group(2)}.",
            )
    if external_id and not EXTERNAL_ID.fullmatch(external_id):
        raise BadInput(
            "The external ID is not one STS accepts.",
            "Use 2 to 1224 characters: letters, digits and + = , . @ : / - _.",
        )
    return KnownAccount(account_id, name, profile, role_arn, external_id)


def parse_accounts(docs: Iterable[Any]) -> tuple[list[KnownAccount], list[str]]:
    """(the valid accounts, one problem line per entry left out); one entry per account ID."""
    out: dict[str, KnownAccount] = {}
    problems: list[str] = []
    for i, doc in enumerate(docs):
        try:
            account = KnownAccount.from_dict(doc)
        except BadInput as exc:
            problems.append(f"entry {i + 1}: {exc.one_line()}")
            continue
        if account.account_id in out:
            problems.append(f"entry {i + 1}: account {account.account_id} is listed twice; the first is kept")
            continue
        out[account.account_id] = account
    return list(out.values()), problems


def add_account(accounts: Iterable[KnownAccount], account: KnownAccount, *, replace: bool = False) -> list[KnownAccount]:
    """The accounts with ``account`` added (BadInput when its ID is there and not ``replace``)."""
    current = list(accounts)
    if any(a.account_id == account.account_id for a in current):
        if not replace:
            raise BadInput(
                f"Account {account.account_id} is already known.",
                "Remove it first ('drs-console accounts remove ID') or add it with --replace.",
            )
        return [account if a.account_id == account.account_id else a for a in current]
    return [*current, account]


def remove_account(accounts: Iterable[KnownAccount], key: str) -> tuple[list[KnownAccount], KnownAccount]:
    """The accounts without the one whose ID (or name) is ``key``; BadInput when none is."""
    current = list(accounts)
    key = (key or "").strip()
    match = [a for a in current if a.account_id == key] or [a for a in current if a.name and a.name == key]
    if not match:
        known = ", ".join(a.label for a in current) or "none yet"
        raise BadInput(f"No known account is {key!r}.", f"Known accounts: {known}.")
    if len(match) > 1:
        raise BadInput(f"Several known accounts are named {key!r}.", "Give the account ID instead.")
    return [a for a in current if a is not match[0]], match[0]
