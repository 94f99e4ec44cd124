"""What every CLI command gets: parsed global options, a lazily made AWS connection, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from ..aws.session import AwsConnection, ConnectionParams, list_profiles
from ..domain.endpoint import validate_endpoint_url
from ..domain.errors import BadInput, ConsoleError, ProblemKind
from ..domain.text import printable

SANDBOX_HISTORY = 40  # past executions the in-process sandbox starts with
SANDBOX_ACCOUNTS = 3  # the hub and two target accounts (sandbox/accounts.py)


def sandbox_options() -> dict:
    """The in-process sandbox of `--sandbox`: the reference backend deployed and some history.
    DRS_CONSOLE_SANDBOX_SPEED sets its clock speed (simulated seconds per real second),
    DRS_CONSOLE_SANDBOX_INCIDENT a simulated incident that long ago (sandbox/incident.py)."""
    from ..sandbox.clock import speed_from_env

    options: dict = {"backend": True, "history": SANDBOX_HISTORY, "accounts": SANDBOX_ACCOUNTS}
    try:
        speed = speed_from_env()
    except ValueError as exc:
        raise BadInput(str(exc) + ".", "Unset it, or set it to a speed factor like 300.") from exc
    if speed is not None:
        options["speed"] = speed
    from ..sandbox.incident import incident_from_env

    try:
        incident = incident_from_env()
    except ValueError as exc:
        raise BadInput(str(exc) + ".", "Unset it, or set it to a duration like 2h.") from exc
    if incident is not None:
        options["incident"] = incident
    return options


@dataclass
class CliContext:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    sandbox: bool = False
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    _connection: AwsConnection | None = None
    _sandbox: Any = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def connection(self) -> AwsConnection:
        """The AWS connection for this run: the in-process sandbox with ``--sandbox``."""
        if self._connection is None:
            if self.sandbox:
                from ..sandbox import Sandbox

                self._sandbox = Sandbox(**sandbox_options())
                self._sandbox.start()
                self._closers.append(self._sandbox.stop)
                params = self._sandbox.connection_params()
            else:
                params = ConnectionParams(
                    profile=self.profile_name(),
                    region=self.region,
                    endpoint_url=validate_endpoint_url(self.endpoint_url) if self.endpoint_url else None,
                )
            try:
                self._connection = AwsConnection(params)
            except ConsoleError as exc:
                raise self._with_known_profiles(exc, params.profile) from exc
            self._closers.insert(0, self._connection.close)
        return self._connection

    def profile_name(self) -> str | None:
        """The profile this run uses: --profile, else $AWS_PROFILE (what boto3 would pick), so
        that a message about it can name it."""
        import os

        return self.profile or os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE") or None

    def _with_known_profiles(self, exc: ConsoleError, profile: str | None) -> ConsoleError:
        """A profile that is not in the AWS files: say so on one line, with the profiles that are
        there (as the desktop's connection bar does), or how to make one."""
        if exc.kind is not ProblemKind.NO_CREDENTIALS or not profile:
            return exc
        profiles = list_profiles()
        if profile in profiles:
            return exc  # it exists: the error is about something else (a source_profile, say)
        import os

        source = " (from AWS_PROFILE)" if not self.profile and os.environ.get("AWS_PROFILE") == profile else ""
        if profiles:
            remedy = (f"Profiles there: {', '.join(profiles)}. Pick one with --profile NAME, or add "
                      f"{profile!r} with 'aws configure --profile {profile}'.")
        else:
            remedy = ("There are no profiles there yet: create one with 'aws configure' (or "
                      "'aws configure sso'), or try the console with --sandbox.")
        return ConsoleError(
            exc.kind,
            f"The AWS profile {profile!r}{source} is not in your AWS config or credentials file.",
            remedy,
            profile=profile,
        )

    def known_accounts(self) -> list:
        """The accounts this run knows besides the connected one: the sandbox's target accounts
        with --sandbox (in memory), else the settings file's (`drs-console accounts add`)."""
        if self.sandbox:
            return list(self.sandbox_instance.known_accounts)
        from ..store.settings import load_settings

        return list(load_settings().accounts)

    @property
    def sandbox_instance(self):
        self.connection()
        return self._sandbox

    def close(self) -> None:
        for closer in self._closers:
            closer()
        self._closers.clear()

    def print(self, *parts: object) -> None:
        """One or more lines of output; control characters from files (terminal escapes, bidi
        overrides, lone surrogates) are written as visible escapes."""
        print(*(printable(p, keep_newlines=True) for p in parts), file=self.out)

    def print_json(self, value: Any) -> None:
        json.dump(value, self.out, indent=2, sort_keys=False, default=str)
        self.out.write("\n")

    def fail(self, message: str) -> None:
        print(f"drs-console: {printable(message)}", file=self.err)
