"""Translate botocore exceptions into ConsoleError with a message that says what to do."""

from __future__ import annotations

from botocore import exceptions as bex

from ..domain.errors import ConsoleError, ProblemKind

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


def sso_login_command(profile: str | None) -> str:
    return f"aws sso login --profile {profile}" if profile else "aws sso login"


def translate(exc: BaseException, *, profile: str | None = None, region: str | None = None) -> ConsoleError:
    """Map any botocore/boto3 exception to a ConsoleError. Never raises."""
    if isinstance(exc, ConsoleError):
        return exc
    where = f" (profile {profile})" if profile else ""
    if isinstance(exc, bex.ProfileNotFound):
        return ConsoleError(
            ProblemKind.NO_CREDENTIALS,
            f"The AWS profile {profile!r} is not in your AWS config or credentials file.",
            "Pick another profile, or add it with 'aws configure' or 'aws configure sso'.",
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
            f"The AWS credentials{where} are incomplete: {exc}.",
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
            f"AWS could not be reached: {exc}.",
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
        msg = err.get("Message", "") or str(exc)
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
        return ConsoleError(ProblemKind.AWS_ERROR, f"AWS request failed: {exc}", "")
    return ConsoleError(ProblemKind.AWS_ERROR, f"Unexpected error talking to AWS: {exc!r}", "")
