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
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import boto3
from botocore.config import Config

from ..domain.errors import ConsoleError, ProblemKind
from ..domain.validation import set_region_source
from .errors import NotAwsResponse, first_line_of, translate

log = logging.getLogger(__name__)
calls_log = logging.getLogger("drs_console.aws.calls")  # one debug line per AWS call (-v)
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
READER_ATTEMPTS = 3  # drs_batch.Reader's (the monitor, runs, preflight)

#: The clients an interactive app uses, made off its event loop's thread when it connects
#: (``AwsConnection.open``): making a client takes tens of milliseconds of Python.
APP_CLIENTS: tuple[tuple[str, int], ...] = (
    *((service, attempts) for service in ("drs", "stepfunctions", "dynamodb")
      for attempts in (DEFAULT_ATTEMPTS, READER_ATTEMPTS)),
    ("cloudformation", DEFAULT_ATTEMPTS),
)


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


set_region_source(drs_regions)  # validation knows the regions of the installed botocore too


def default_region_for(profile: str | None) -> str | None:
    try:
        return boto3.Session(profile_name=profile).region_name
    except Exception:  # noqa: BLE001 - a broken profile is reported when connecting
        return None


class AwsConnection:
    """A session, its clients and a bounded executor for one (profile, region, endpoint)."""

    def __init__(self, params: ConnectionParams, *, max_workers: int = MAX_WORKERS,
                 session: boto3.Session | None = None):
        """``session``: one made elsewhere (aws/accounts.py: an assumed role's refreshing
        credentials); else one is made from ``params``."""
        self.params = params
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, int, int], Any] = {}
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="aws")
        self._closed = False
        try:
            if session is not None:
                self.session = session
            elif params.static_credentials:
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

    @classmethod
    async def open(cls, params: ConnectionParams, *, max_workers: int = MAX_WORKERS) -> AwsConnection:
        """Make the connection (its Session, the region check) on a worker thread, never on the
        calling (GUI) thread; ``make_clients`` through ``call`` then makes its clients there too."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, functools.partial(cls, params, max_workers=max_workers))

    def make_clients(self, clients: tuple[tuple[str, int], ...]) -> None:
        """Make each (service, max_attempts) client now (blocking: run it through ``call``)."""
        for service, attempts in clients:
            self.client(service, max_attempts=attempts)

    @property
    def profile(self) -> str | None:
        """The profile in use: the chosen one, else $AWS_PROFILE's (None for the default chain)."""
        if self.params.profile or self.params.is_sandbox:
            return self.params.profile
        return os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE") or None

    # -- clients -------------------------------------------------------------------------------
    def client(self, service: str, *, read_timeout: int = READ_TIMEOUT, max_attempts: int = DEFAULT_ATTEMPTS):
        """The client for ``service`` (made once). Making it resolves the credential chain, so a
        broken chain (a missing sso_session, a failing credential_process, a source_profile
        loop ...) raises a ConsoleError here, like every failed call."""
        key = (service, read_timeout, max_attempts)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                try:
                    client = self.session.client(
                        service,
                        region_name=self.region,
                        endpoint_url=self.params.endpoint_url,
                        config=botocore_config(read_timeout=read_timeout, max_attempts=max_attempts),
                    )
                except Exception as exc:  # noqa: BLE001 - translated, chained
                    if not _is_aws_exception(exc):
                        raise
                    raise translate(exc, profile=self.profile, region=self.region) from exc
                install_call_hooks(client)
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
            raise translate(exc, profile=self.profile, region=self.region) from exc

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking call on the connection's executor and await its result."""
        if self._closed:
            raise ConsoleError(ProblemKind.CANCELLED, "The connection was closed.", "Connect again.")
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # qasync's run_until_complete delivers pending callbacks (a task's step) after its
            # future is done, with no loop marked running: that step runs on the set loop
            loop = asyncio.get_event_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(self.call_sync, fn, *args, **kwargs)
        )

    async def identity(self) -> Identity:
        # the client is made on the executor too: its credential chain and endpoint data take time
        sts = await self.call(self.client, "sts", read_timeout=15, max_attempts=QUICK_ATTEMPTS)
        ident = await self.call(sts.get_caller_identity)
        if not ident.get("Account") or not ident.get("Arn"):
            endpoint = sts.meta.endpoint_url
            raise ConsoleError(
                ProblemKind.UNREACHABLE,
                f"Something other than AWS answered at {endpoint}: its answer to GetCallerIdentity has no account.",
                "A proxy, a captive portal or a wrong endpoint URL is in the way: check the network, HTTPS_PROXY "
                "and --endpoint-url, then try again.",
            )
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
    from botocore.parsers import ResponseParserError

    return isinstance(exc, (BotoCoreError, ClientError, ResponseParserError))


# -- event hooks on every client ---------------------------------------------------------------

_STARTED = "drs_console_started"
_OPERATION = "drs_console_operation"


def install_call_hooks(client: Any) -> None:
    """Log each call at debug (service, operation, status, duration, retries, request ID) and
    refuse a response that did not come from AWS (an HTML page, an empty body) before botocore
    tries to parse it."""
    events = client.meta.events
    endpoint = client.meta.endpoint_url
    events.register("before-call", _before_call, unique_id="drs-console-call-start")
    events.register("after-call", _after_call, unique_id="drs-console-call-end")
    events.register("after-call-error", _after_call_error, unique_id="drs-console-call-error")
    events.register(
        "before-parse",
        functools.partial(_check_response, endpoint=endpoint),
        unique_id="drs-console-not-aws",
    )


def _before_call(model: Any = None, context: dict | None = None, **_: Any) -> None:
    if context is not None:
        context[_STARTED] = time.monotonic()
        if model is not None:
            context[_OPERATION] = f"{model.service_model.service_name} {model.name}"


def _elapsed_ms(context: dict | None) -> float:
    started = (context or {}).get(_STARTED)
    return (time.monotonic() - started) * 1000 if started is not None else 0.0


def _after_call(http_response: Any = None, parsed: Any = None, model: Any = None,
                context: dict | None = None, **_: Any) -> None:
    if not calls_log.isEnabledFor(logging.DEBUG) or model is None:
        return
    meta = (parsed or {}).get("ResponseMetadata", {}) if isinstance(parsed, dict) else {}
    error = (parsed or {}).get("Error", {}).get("Code") if isinstance(parsed, dict) else None
    calls_log.debug(
        "%s %s: HTTP %s%s in %.0f ms, %d retr%s, request %s",
        model.service_model.service_name,
        model.name,
        getattr(http_response, "status_code", "?"),
        f" {error}" if error else "",
        _elapsed_ms(context),
        meta.get("RetryAttempts", 0),
        "y" if meta.get("RetryAttempts", 0) == 1 else "ies",
        meta.get("RequestId") or "-",
    )


def _after_call_error(exception: BaseException | None = None, context: dict | None = None, **kw: Any) -> None:
    if calls_log.isEnabledFor(logging.DEBUG):
        op = (context or {}).get(_OPERATION) or "AWS call"
        calls_log.debug("%s failed after %.0f ms: %s", op, _elapsed_ms(context), type(exception).__name__)


def _check_response(operation_model: Any = None, response_dict: dict | None = None, *, endpoint: str,
                    **_: Any) -> None:
    if not response_dict or operation_model is None:
        return
    headers = {str(k).lower(): str(v) for k, v in (response_dict.get("headers") or {}).items()}
    body = response_dict.get("body")
    if not isinstance(body, bytes | bytearray):
        return  # a streaming body: leave it to the parser
    content_type = headers.get("content-type", "no content type")
    status = response_dict.get("status_code", 0)
    head = bytes(body[:512]).lstrip().lower()
    # the body decides (moto labels some JSON text/html): a page, or text/html that is not JSON/XML
    html = head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or (
        "text/html" in content_type.lower() and bool(head) and not head.startswith((b"{", b"[", b"<"))
    )
    empty = not body.strip() and (
        (status < 300 and _has_body_members(operation_model.output_shape))
        or (status >= 300 and not any(k.startswith("x-amz") for k in headers))
    )
    protocol = getattr(operation_model.service_model, "resolved_protocol", None) or operation_model.metadata.get(
        "protocol"
    )
    # a query-protocol answer (STS, CloudFormation) is always <OperationResponse ...>
    stranger = (
        not empty
        and status < 300
        and protocol in ("query", "ec2")
        and f"<{operation_model.name}Response".encode() not in bytes(body[:4096])
    )
    if html or empty or stranger:
        raise NotAwsResponse(
            endpoint=endpoint, status=status, content_type=content_type, first_line=first_line_of(bytes(body))
        )


def _has_body_members(shape: Any) -> bool:
    members = getattr(shape, "members", None) or {}
    return any(not m.serialization.get("location") for m in members.values())
