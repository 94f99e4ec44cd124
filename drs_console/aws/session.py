"""One boto3 Session per connection, clients made once, blocking calls in a bounded executor.

``AwsConnection.call`` is the only way the rest of the app runs a boto3 call from async code:
it runs the blocking call on the connection's own small thread pool (never the GUI thread) and
turns every botocore exception into a ``ConsoleError``.
"""

from __future__ import annotations

import asyncio
import configparser
import functools
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import boto3
from botocore.config import Config

from ..domain.errors import ConsoleError, ProblemKind
from .errors import translate

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_REGION = "us-east-1"
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30
MAX_WORKERS = 8


@dataclass(frozen=True)
class ConnectionParams:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    # Only for the sandbox: fake keys held in memory, never written anywhere.
    static_credentials: tuple[str, str] | None = None
    label: str = ""  # shown in the connection bar, e.g. "Sandbox"

    @property
    def is_sandbox(self) -> bool:
        return self.static_credentials is not None


@dataclass(frozen=True)
class Identity:
    account_id: str
    arn: str
    region: str
    profile: str | None = None
    sandbox: bool = False


DEFAULT_ATTEMPTS = 5
QUICK_ATTEMPTS = 2  # the connection check: an unreachable endpoint must fail in seconds, not a minute


def botocore_config(*, max_attempts: int = DEFAULT_ATTEMPTS, read_timeout: int = READ_TIMEOUT) -> Config:
    return Config(
        retries={"mode": "adaptive", "max_attempts": max_attempts},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=read_timeout,
        max_pool_connections=MAX_WORKERS * 2,
        user_agent_appid="drs-console",
    )


def list_profiles() -> list[str]:
    """Every profile in the user's AWS config and credentials files, sorted, 'default' first."""
    names: set[str] = set()
    config_file = Path(os.environ.get("AWS_CONFIG_FILE", Path.home() / ".aws" / "config"))
    creds_file = Path(os.environ.get("AWS_SHARED_CREDENTIALS_FILE", Path.home() / ".aws" / "credentials"))
    for path, prefixed in ((config_file, True), (creds_file, False)):
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError) as exc:
            log.warning("cannot read %s: %s", path, exc)
            continue
        for section in parser.sections():
            name = section.strip()
            if prefixed:
                if name.startswith("profile "):
                    name = name[len("profile ") :].strip()
                elif name != "default":
                    continue  # sso-session, services, ...
            names.add(name)
    return sorted(names, key=lambda n: (n != "default", n))


def drs_regions() -> list[str]:
    """Regions where DRS is offered, from botocore's endpoint data (all partitions).

    Reads no profile: AWS_PROFILE naming a missing profile must not break the region list."""
    import botocore.session

    session = boto3.Session(botocore_session=botocore.session.Session(session_vars={"profile": (None, None, None, None)}))
    regions: set[str] = set()
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions("drs", partition_name=partition))
    return sorted(regions)


def default_region_for(profile: str | None) -> str | None:
    try:
        return boto3.Session(profile_name=profile).region_name
    except Exception:  # noqa: BLE001 - a broken profile is reported when connecting
        return None


class AwsConnection:
    """A session, its clients and a bounded executor for one (profile, region, endpoint)."""

    def __init__(self, params: ConnectionParams, *, max_workers: int = MAX_WORKERS):
        self.params = params
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, int, int], Any] = {}
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="aws")
        self._closed = False
        try:
            if params.static_credentials:
                key, secret = params.static_credentials
                self.session = boto3.Session(
                    aws_access_key_id=key,
                    aws_secret_access_key=secret,
                    region_name=params.region or DEFAULT_REGION,
                )
            else:
                self.session = boto3.Session(profile_name=params.profile, region_name=params.region)
        except Exception as exc:  # noqa: BLE001 - ProfileNotFound and friends
            self._executor.shutdown(wait=False)
            raise translate(exc, profile=params.profile, region=params.region) from exc
        self.region = self.session.region_name or DEFAULT_REGION
        if not params.endpoint_url and self.region not in _known_regions():
            self._executor.shutdown(wait=False)
            raise ConsoleError(
                ProblemKind.UNKNOWN_REGION,
                f"The region {self.region!r} is not a region where Elastic Disaster Recovery is offered.",
                "Choose a DRS region, for example us-east-1 or eu-west-1.",
            )

    # -- clients -------------------------------------------------------------------------------
    def client(self, service: str, *, read_timeout: int = READ_TIMEOUT, max_attempts: int = DEFAULT_ATTEMPTS):
        key = (service, read_timeout, max_attempts)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self.session.client(
                    service,
                    region_name=self.region,
                    endpoint_url=self.params.endpoint_url,
                    config=botocore_config(read_timeout=read_timeout, max_attempts=max_attempts),
                )
                self._clients[key] = client
            return client

    # -- running calls -------------------------------------------------------------------------
    def call_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except ConsoleError:
            raise
        except Exception as exc:  # noqa: BLE001 - translated, chained
            if not _is_aws_exception(exc):
                raise
            raise translate(exc, profile=self.params.profile, region=self.region) from exc

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking call on the connection's executor and await its result."""
        if self._closed:
            raise ConsoleError(ProblemKind.CANCELLED, "The connection was closed.", "Connect again.")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(self.call_sync, fn, *args, **kwargs)
        )

    async def identity(self) -> Identity:
        sts = self.client("sts", read_timeout=15, max_attempts=QUICK_ATTEMPTS)
        ident = await self.call(sts.get_caller_identity)
        return Identity(
            account_id=ident["Account"],
            arn=ident["Arn"],
            region=self.region,
            profile=self.params.profile,
            sandbox=self.params.is_sandbox,
        )

    def close(self) -> None:
        """Stop accepting calls; never waits for a blocked call (their timeouts end them)."""
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)


@functools.cache
def _known_regions() -> frozenset[str]:
    return frozenset(drs_regions())


def _is_aws_exception(exc: BaseException) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(exc, (BotoCoreError, ClientError))
