"""Translate botocore exceptions into ConsoleError with a message that says what to do."""

from __future__ import annotations

import re

from botocore import exceptions as bex
from botocore.parsers import ResponseParserError

from ..domain.errors import ConsoleError, ProblemKind
from ..domain.secrets import redact
from ..domain.text import printable

ACCESS_DENIED_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedException",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
}
EXPIRED_CODES = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
THROTTLE_CODES = {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
NOT_FOUND_CODES = {
    "ResourceNotFoundException",
    "StateMachineDoesNotExist",
    "ExecutionDoesNotExist",
    "ValidationError",  # CloudFormation: "Stack with id X does not exist"
}


class NotAwsResponse(bex.BotoCoreError):
    """The endpoint answered, but not like AWS (an HTML page, an empty body): a proxy, a captive
    portal or a wrong endpoint URL. Raised by the response check of ``aws/session.py``."""

    fmt = "{endpoint} answered HTTP {status} ({content_type}), not like AWS: {first_line}"


FIRST_LINE_CHARS = 120


def first_line_of(body: bytes | str | None) -> str:
    """The first non-blank line of what an endpoint sent, printable and short, for a message."""
    if body is None:
        return "(nothing)"
    text = body.decode("utf-8", "replace") if isinstance(body, bytes | bytearray) else str(body)
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if not line:
        return "(an empty body)"
    if len(line) > FIRST_LINE_CHARS:
        line = line[:FIRST_LINE_CHARS] + "…"
    return repr(printable(redact(line)))


def _body_of_parser_error(exc: Exception) -> str:
    """ResponseParserError messages end with the body as a bytes repr: b'...'."""
    match = re.search(r"\n(b['\"].*)$", str(exc), re.S)
    if not match:
        return first_line_of(str(exc))
    try:
        import ast

        body = ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError):
        return first_line_of(match.group(1))
    return first_line_of(body)


def _not_aws(endpoint: str, status: str, first_line: str) -> ConsoleError:
    return ConsoleError(
        ProblemKind.UNREACHABLE,
        f"Something other than AWS answered at {endpoint}{status}: {first_line}.",
        "A proxy, a captive portal (sign in to the network first) or a wrong endpoint URL is in the way: "
        "check the network, HTTPS_PROXY and --endpoint-url, then try again.",
    )


def _profile_label(profile: str | None) -> str:
    return f"The AWS profile {profile!r}" if profile else "The default AWS credentials"


def sso_login_command(profile: str | None) -> str:
    return f"aws sso login --profile {profile}" if profile else "aws sso login"


def translate(exc: BaseException, *, profile: str | None = None, region: str | None = None) -> ConsoleError:
    """Map any botocore/boto3 exception to a ConsoleError. Never raises."""
    if isinstance(exc, ConsoleError):
        return exc
    where = f" (profile {profile})" if profile else ""
    if isinstance(exc, NotAwsResponse):
        kw = exc.kwargs
        return _not_aws(kw["endpoint"], f" (HTTP {kw['status']}, {kw['content_type']})", kw["first_line"])
    if isinstance(exc, ResponseParserError):
        return _not_aws("the endpoint", "", _body_of_parser_error(exc))
    if isinstance(exc, bex.ProfileNotFound):
        missing = exc.kwargs.get("profile") or profile
        if profile and missing and missing != profile:
            return ConsoleError(
                ProblemKind.NO_CREDENTIALS,
                f"The AWS profile {profile!r} refers to the profile {missing!r}, which is not in your AWS "
                "config or credentials file.",
                f"Add the profile {missing!r}, or fix source_profile of {profile!r} in your AWS config file.",
                profile=profile,
            )
        return ConsoleError(
            ProblemKind.NO_CREDENTIALS,
            f"The AWS profile {missing!r} is not in your AWS config or credentials file.",
            "Pick another profile, or add it with 'aws configure' or 'aws configure sso'.",
            profile=profile,
        )
    if isinstance(exc, bex.InfiniteLoopConfigError):
        visited = exc.kwargs.get("visited_profiles") or []
        chain = " -> ".join([*map(str, visited), str(exc.kwargs.get("source_profile", "?"))])
        return ConsoleError(
            ProblemKind.NO_CREDENTIALS,
            f"{_profile_label(profile)} loops through source_profile ({chain}).",
            "Fix source_profile in your AWS config file so that the chain ends in a profile with "
            "credentials (keys, SSO or credential_process).",
            profile=profile,
        )
    if isinstance(exc, bex.InvalidConfigError):
        return ConsoleError(
            ProblemKind.NO_CREDENTIALS,
            f"{_profile_label(profile)} is misconfigured: {_clean(exc)}.",
            "Fix the profile in your AWS config file (for SSO: 'aws configure sso'), then try again.",
            profile=profile,
        )
    if isinstance(exc, bex.CredentialRetrievalError):
        provider = exc.kwargs.get("provider", "")
        if provider == "custom-process":
            return ConsoleError(
                ProblemKind.NO_CREDENTIALS,
                f"The credential_process of {_profile_label(profile).removeprefix('The ')} failed: "
                f"{_clean(exc.kwargs.get('error_msg', '')) or 'it gave no credentials'}.",
                "Run that command yourself to see why, fix it or the profile in your AWS config file, "
                "then try again.",
                profile=profile,
            )
        return ConsoleError(
            ProblemKind.NO_CREDENTIALS,
            f"{_profile_label(profile)} gave no credentials: {_clean(exc)}.",
            "Fix the profile in your AWS config file or refresh its credentials, then try again.",
            profile=profile,
        )
    if isinstance(exc, (bex.UnknownCredentialError, bex.RefreshWithMFAUnsupportedError, bex.ConfigParseError)):
        return ConsoleError(
            ProblemKind.NO_CREDENTIALS,
            f"{_profile_label(profile)} cannot be used: {_clean(exc)}.",
            "Fix your AWS config or credentials file, then try again.",
            profile=profile,
        )
    if isinstance(exc, (bex.SSOTokenLoadError, bex.UnauthorizedSSOTokenError)) or (
        isinstance(exc, bex.TokenRetrievalError) and "sso" in str(exc).lower()
    ):
        return ConsoleError(
            ProblemKind.SSO_EXPIRED,
            f"Your AWS SSO session{where} has expired or was never started.",
            f"Run '{sso_login_command(profile)}', then connect again.",
            profile=profile,
        )
    if isinstance(exc, bex.NoCredentialsError):
        return ConsoleError(
            ProblemKind.NO_CREDENTIALS,
            "No AWS credentials were found.",
            "Choose a profile, run 'aws configure' (or 'aws configure sso'), or use the Sandbox.",
            profile=profile,
        )
    if isinstance(exc, bex.PartialCredentialsError):
        return ConsoleError(
            ProblemKind.NO_CREDENTIALS,
            f"The AWS credentials{where} are incomplete: {_clean(exc)}.",
            "Fix the profile in your AWS credentials file.",
            profile=profile,
        )
    if isinstance(exc, (bex.UnknownRegionError, bex.InvalidRegionError)):
        return ConsoleError(
            ProblemKind.UNKNOWN_REGION,
            f"The region {region!r} is not a valid AWS region.",
            "Choose a region where DRS is available, for example us-east-1.",
        )
    if isinstance(exc, (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ConnectionClosedError)):
        return ConsoleError(
            ProblemKind.UNREACHABLE,
            f"AWS could not be reached: {_clean(exc)}.",
            "Check your network, VPN or proxy and the endpoint URL, then try again.",
        )
    if isinstance(exc, bex.ReadTimeoutError):
        return ConsoleError(
            ProblemKind.UNREACHABLE,
            "AWS did not answer in time.",
            "Check your network or VPN and try again.",
        )
    if isinstance(exc, bex.ClientError):
        err = exc.response.get("Error", {})
        code = err.get("Code", "")
        msg = _clean(err.get("Message", "") or str(exc))
        op = getattr(exc, "operation_name", "")
        if code in EXPIRED_CODES:
            return ConsoleError(
                ProblemKind.SSO_EXPIRED,
                f"Your AWS credentials{where} have expired.",
                f"Refresh them (for SSO: '{sso_login_command(profile)}') and connect again.",
                profile=profile,
            )
        if code in ACCESS_DENIED_CODES:
            return ConsoleError(
                ProblemKind.ACCESS_DENIED,
                f"AWS denied {op or 'the request'}: {msg}",
                "Use a role or profile allowed to do this, or ask your AWS administrator for the permission.",
                profile=profile,
            )
        if code in THROTTLE_CODES:
            return ConsoleError(
                ProblemKind.THROTTLED,
                f"AWS is throttling {op or 'requests'} even after retries.",
                "Wait a minute and try again.",
            )
        if code == "UninitializedAccountException":
            return ConsoleError(
                ProblemKind.DRS_NOT_INITIALIZED,
                f"Elastic Disaster Recovery is not initialized in {region or 'this region'}.",
                "Initialize DRS in the AWS console for this region, or pick the region you replicate to.",
            )
        if code in NOT_FOUND_CODES:
            return ConsoleError(ProblemKind.NOT_FOUND, f"{op}: {msg}".strip(": "), "")
        return ConsoleError(ProblemKind.AWS_ERROR, f"AWS refused {op or 'the request'}: {code}: {msg}", "")
    if isinstance(exc, bex.BotoCoreError):
        return ConsoleError(ProblemKind.AWS_ERROR, f"AWS request failed: {_clean(exc)}", "")
    return ConsoleError(ProblemKind.AWS_ERROR, f"Unexpected error talking to AWS: {_clean(repr(exc))}", "")


def _clean(value: object) -> str:
    """An exception's text for a one-line message: redacted, one line, no control characters."""
    text = " ".join(str(value).split()).rstrip(".")
    return printable(redact(text))
