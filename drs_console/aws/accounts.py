"""Connections to the known accounts (domain/accounts.py), made from the connected (hub) one.

One ``AwsConnection`` per account, by the rules of ``session.py`` (one Session, clients made
once, adaptive retries with timeouts, the bounded executor): a ``profile`` account opens that
profile (SSO included) in the hub's region and endpoint; a ``role`` account assumes the role with
the hub's STS client (ExternalId when given) and refreshes the credentials itself. Assumed-role
credentials are cached per (endpoint, hub identity, role, external ID) until ``REFRESH_MARGIN`` before they
expire, in memory only: they are never written, and never logged (only the role ARN is).

``check_account`` is what `accounts test` and doctor run: the identity (GetCallerIdentity) and
whether DRS is initialized there (DescribeSourceServers), each failure as a ConsoleError saying
what to do for THAT account.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain.accounts import KnownAccount
from ..domain.errors import ConsoleError, ProblemKind
from .errors import ACCESS_DENIED_CODES
from .session import QUICK_ATTEMPTS, AwsConnection, ConnectionParams, Identity

log = logging.getLogger(__name__)

ROLE_SESSION_NAME = "drs-console"
ROLE_DURATION_SECONDS = 3600
# a cached credential is not used closer than this to its expiry: botocore's advisory refresh window
# (15 min), so that its refresh of a connection's credentials gets new ones, not the cached again
REFRESH_MARGIN = timedelta(minutes=15)
_REGION_NOT_ENABLED_CODES = {"UnrecognizedClientException", "InvalidClientTokenId"}


@dataclass(frozen=True)
class RoleCredentials:
    """Temporary credentials of an assumed role (memory only). ``repr`` shows no secret."""

    access_key: str
    secret_key: str
    token: str
    expiry: datetime

    def __repr__(self) -> str:
        return f"RoleCredentials(expiry={self.expiry.isoformat()})"

    def botocore_metadata(self) -> dict[str, str]:
        return {"access_key": self.access_key, "secret_key": self.secret_key, "token": self.token,
                "expiry_time": self.expiry.isoformat()}


class AssumedRoleCache:
    """Assumed-role credentials by key, each until ``margin`` before it expires. Thread-safe."""

    def __init__(self, *, margin: timedelta = REFRESH_MARGIN, now: Callable[[], datetime] | None = None):
        self.margin = margin
        self._now = now or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._items: dict[tuple[str, ...], RoleCredentials] = {}

    def get(self, key: tuple[str, ...]) -> RoleCredentials | None:
        with self._lock:
            creds = self._items.get(key)
            if creds is not None and creds.expiry - self.margin <= self._now():
                del self._items[key]
                return None
            return creds

    def put(self, key: tuple[str, ...], creds: RoleCredentials) -> None:
        with self._lock:
            self._items[key] = creds

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


ROLE_CACHE = AssumedRoleCache()  # the process's: a re-made connection reuses live credentials


class AccountConnector:
    """Connections to known accounts from ``hub``, made once each (``close`` closes them all)."""

    def __init__(self, hub: AwsConnection, *, cache: AssumedRoleCache | None = None,
                 hub_arn: str = "", session_name: str = ROLE_SESSION_NAME):
        self.hub = hub
        self.cache = cache if cache is not None else ROLE_CACHE
        self.hub_arn = hub_arn  # who assumes (a cache key part: another identity gets its own)
        self.session_name = session_name
        self._lock = threading.Lock()
        self._connections: dict[str, AwsConnection] = {}

    # -- connections ---------------------------------------------------------------------------
    def connection_sync(self, account: KnownAccount) -> AwsConnection:
        """The account's connection (blocking: the profile or the first AssumeRole)."""
        with self._lock:
            conn = self._connections.get(account.account_id)
        if conn is not None:
            return conn
        conn = self._open_profile(account) if account.profile else self._open_role(account)
        with self._lock:
            existing = self._connections.setdefault(account.account_id, conn)
        if existing is not conn:
            conn.close()
        return existing

    async def connection(self, account: KnownAccount) -> AwsConnection:
        """The account's connection, made on the hub's executor (never the GUI thread)."""
        return await self.hub.call(self.connection_sync, account)

    def _params(self, account: KnownAccount, profile: str | None = None) -> ConnectionParams:
        hub = self.hub.params
        return ConnectionParams(profile=profile, region=self.hub.region, endpoint_url=hub.endpoint_url,
                                label=account.name or account.account_id)

    def _open_profile(self, account: KnownAccount) -> AwsConnection:
        try:
            return AwsConnection(self._params(account, account.profile))
        except ConsoleError as exc:
            raise account_error(account, exc) from exc

    def _open_role(self, account: KnownAccount) -> AwsConnection:
        import boto3
        import botocore.session
        from botocore.credentials import RefreshableCredentials

        refresh = functools.partial(self._role_metadata, account)
        creds = RefreshableCredentials.create_from_metadata(
            metadata=refresh(), refresh_using=refresh, method="assume-role"
        )
        core = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
        core._credentials = creds  # as botocore's own assume-role provider hands its credentials over
        session = boto3.Session(botocore_session=core, region_name=self.hub.region)
        return AwsConnection(self._params(account), session=session)

    def _role_metadata(self, account: KnownAccount) -> dict[str, str]:
        return self.assume(account).botocore_metadata()

    def assume(self, account: KnownAccount) -> RoleCredentials:
        """The role's credentials: the cached ones while they last, else STS AssumeRole (blocking)."""
        key = (self.hub.params.endpoint_url or "", self.hub_arn, account.role_arn or "", account.external_id or "")
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        sts = self.hub.client("sts", read_timeout=15, max_attempts=QUICK_ATTEMPTS)
        kwargs: dict[str, Any] = {"RoleArn": account.role_arn, "RoleSessionName": self.session_name,
                                  "DurationSeconds": ROLE_DURATION_SECONDS}
        if account.external_id:
            kwargs["ExternalId"] = account.external_id
        log.info("assuming %s for account %s", account.role_arn, account.account_id)
        try:
            resp = self.hub.call_sync(sts.assume_role, **kwargs)
        except ConsoleError as exc:
            raise assume_error(account, exc) from exc
        raw = resp.get("Credentials") or {}
        expiry = raw.get("Expiration")
        if not isinstance(expiry, datetime):
            expiry = datetime.now(UTC) + timedelta(seconds=ROLE_DURATION_SECONDS)
        creds = RoleCredentials(str(raw.get("AccessKeyId", "")), str(raw.get("SecretAccessKey", "")),
                                str(raw.get("SessionToken", "")), expiry.astimezone(UTC))
        self.cache.put(key, creds)
        return creds

    def close(self) -> None:
        with self._lock:
            conns, self._connections = list(self._connections.values()), {}
        for conn in conns:
            conn.close()


# -- the check of one account ---------------------------------------------------------------------


@dataclass(frozen=True)
class AccountCheck:
    """What `accounts test` found for one account: its identity, or the problem."""

    account: KnownAccount
    identity: Identity | None = None
    problem: ConsoleError | None = None
    servers: int | None = None  # DescribeSourceServers answered: at least this many (one page)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {**self.account.as_dict(), "ok": self.ok}
        if self.identity is not None:
            doc["identityArn"] = self.identity.arn
            doc["region"] = self.identity.region
        if self.problem is not None:
            doc["problem"] = self.problem.kind.value
            doc["message"] = self.problem.one_line()
        return doc


async def check_account(connector: AccountConnector, account: KnownAccount) -> AccountCheck:
    """Reach ``account`` (profile or role), read its identity, check DRS is initialized there."""
    try:
        conn = await connector.connection(account)
        ident = await conn.identity()
        if ident.account_id != account.account_id:
            return AccountCheck(account, ident, ConsoleError(
                ProblemKind.BAD_INPUT,
                f"{_reach(account)} reaches account {ident.account_id}, not {account.account_id}.",
                f"Fix the account: 'drs-console accounts add {ident.account_id} ... --replace', or use a "
                f"profile or role of account {account.account_id}.",
            ))
        drs = await conn.call(conn.client, "drs", max_attempts=QUICK_ATTEMPTS)
        try:
            page = await conn.call(drs.describe_source_servers, filters={}, maxResults=1)
        except ConsoleError as exc:
            raise drs_error(account, conn.region, exc) from exc
        return AccountCheck(account, ident, servers=len(page.get("items") or []))
    except ConsoleError as exc:
        return AccountCheck(account, problem=account_error(account, exc))


async def check_accounts(connector: AccountConnector, accounts: Iterable[KnownAccount]) -> list[AccountCheck]:
    return list(await asyncio.gather(*(check_account(connector, a) for a in accounts)))


async def role_trusts(acct_conn: AwsConnection, role_arn: str, principal: str, hub_account: str,
                      ) -> tuple[bool | None, str]:
    """Whether ``role_arn``'s trust policy lets ``principal`` (the hub state machine's role) assume it,
    read with iam:GetRole in its account (``acct_conn``): (True/False, ""), or (None, why it could
    not be read). What preflight and doctor both ask of a target account's role."""
    from ..domain.cross_account import trust_names
    from .deployment import trust_doc

    name = role_arn.rsplit("/", 1)[-1]
    try:
        iam = acct_conn.client("iam")
        role = (await acct_conn.call(iam.get_role, RoleName=name)).get("Role") or {}
    except ConsoleError as exc:
        return None, f"iam:GetRole of {name}: {exc.kind.value}"
    return trust_names(trust_doc(role), principal, hub_account), ""


# -- messages --------------------------------------------------------------------------------------


def _reach(account: KnownAccount) -> str:
    return f"The profile {account.profile!r}" if account.profile else f"The role {account.role_arn}"


def _tagged(exc: ConsoleError) -> bool:
    return getattr(exc, "_account_message", False)


def _mark(exc: ConsoleError) -> ConsoleError:
    exc._account_message = True  # type: ignore[attr-defined]
    return exc


def assume_error(account: KnownAccount, exc: ConsoleError) -> ConsoleError:
    """AssumeRole failed: say which role, and what the trust policy must allow."""
    if exc.kind is ProblemKind.ACCESS_DENIED:
        ext = (" and requires the external ID given ('accounts add ... --external-id', which must match the "
               "role's sts:ExternalId condition)") if account.external_id else (
               "; if it requires an external ID, add the account again with --external-id")
        return _mark(ConsoleError(
            ProblemKind.ACCESS_DENIED,
            f"Account {account.label}: the role {account.role_arn} could not be assumed ({exc.message}).",
            f"Check that the role exists in account {account.account_id}, that its trust policy names your "
            f"identity or your account{ext}, and that your identity may call sts:AssumeRole on it. "
            "resources/backend/target-account.yaml creates such a role.",
        ))
    return _mark(ConsoleError(exc.kind, f"Account {account.label}: AssumeRole of {account.role_arn} failed: "
                              f"{exc.message}", exc.remedy))


def drs_error(account: KnownAccount, region: str, exc: ConsoleError) -> ConsoleError:
    """DescribeSourceServers failed in the account: not initialized, region not enabled, denied."""
    if exc.kind is ProblemKind.DRS_NOT_INITIALIZED:
        return _mark(ConsoleError(
            ProblemKind.DRS_NOT_INITIALIZED,
            f"Account {account.label}: Elastic Disaster Recovery is not initialized in {region}.",
            f"Sign in to account {account.account_id}, open Elastic Disaster Recovery in {region} and initialize "
            "it (or 'aws drs initialize-service' there), then test again.",
        ))
    code = _code_of(exc)
    if code in _REGION_NOT_ENABLED_CODES:
        return _mark(ConsoleError(
            ProblemKind.ACCESS_DENIED,
            f"Account {account.label}: the region {region} refused the account's credentials ({code}); the "
            "region is probably not enabled in that account.",
            f"Enable {region} in account {account.account_id} (Account settings, AWS Regions), or use a region "
            "enabled there.",
        ))
    if exc.kind is ProblemKind.ACCESS_DENIED:
        return _mark(ConsoleError(
            ProblemKind.ACCESS_DENIED,
            f"Account {account.label}: DRS denied DescribeSourceServers to {_reach(account).lower()}.",
            "Give that role or profile the DRS read permissions (resources/backend/target-account.yaml "
            "lists them).",
        ))
    return _mark(ConsoleError(exc.kind, f"Account {account.label}: {exc.message}", exc.remedy))


def account_error(account: KnownAccount, exc: ConsoleError) -> ConsoleError:
    """Any failure reaching ``account``, named for it (already-named ones unchanged)."""
    if _tagged(exc):
        return exc
    if account.profile and exc.kind in (ProblemKind.NO_CREDENTIALS, ProblemKind.SSO_EXPIRED):
        if exc.kind is ProblemKind.SSO_EXPIRED:
            remedy = f"Run 'aws sso login --profile {account.profile}', then test again."
        else:
            remedy = (f"Add the profile {account.profile!r} ('aws configure --profile {account.profile}' or "
                      "'aws configure sso'), or change the account's profile with 'accounts add ... --replace'.")
        return _mark(ConsoleError(exc.kind, f"Account {account.label}: {exc.message}", remedy,
                                  profile=account.profile))
    return _mark(ConsoleError(exc.kind, f"Account {account.label}: {exc.message}", exc.remedy))


def _code_of(exc: ConsoleError) -> str:
    cause = exc.__cause__
    response = getattr(cause, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return next((c for c in ACCESS_DENIED_CODES if c in exc.message), "")
