"""No credential of any kind in any output: marker secrets from every credential source, grepped in
stdout, stderr and every file the app writes, with `-v` and `--debug-wire` (botocore's wire dump).

One sandbox (with the reference backend) serves the whole module; each CLI run is a subprocess
with its own home, AWS config and credential source."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from drs_console.domain.plan import Plan, ServerRef, Wave
from drs_console.sandbox import Sandbox
from drs_console.store.plan_io import write_plan_file

pytestmark = pytest.mark.e2e

REGION = "us-east-1"
# Markers: none looks like an AWS key, so only structural redaction can hide them.
ENV_MARKERS = {"key": "MrkEnvKey01", "secret": "MrkEnvSecret02", "token": "MrkEnvToken03"}
FILE_MARKERS = {"key": "MrkFileKey04", "secret": "MrkFileSecret05", "token": "MrkFileToken06"}
PROCESS_MARKERS = {"key": "MrkProcKey07", "secret": "MrkProcSecret08", "token": "MrkProcToken09"}
SSO_MARKERS = {
    "key": "MrkSsoKey10",
    "secret": "MrkSsoSecret11",
    "token": "MrkSsoToken12",
    "access": "MrkSsoAccess13",
    "refresh": "MrkSsoRefresh14",
    "client": "MrkSsoClientSecret15",
}
ALL_MARKERS = [v for d in (ENV_MARKERS, FILE_MARKERS, PROCESS_MARKERS, SSO_MARKERS) for v in d.values()]


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(speed=600.0, backend=True) as sb:
        yield sb


@contextmanager
def sso_portal():
    """The SSO portal's GetRoleCredentials, answering the marker role credentials."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(self.headers.get("x-amz-sso_bearer_token", ""))
            body = json.dumps(
                {
                    "roleCredentials": {
                        "accessKeyId": SSO_MARKERS["key"],
                        "secretAccessKey": SSO_MARKERS["secret"],
                        "sessionToken": SSO_MARKERS["token"],
                        "expiration": 4102444800000,
                    }
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    home = tmp_path / "userhome"
    (home / ".aws").mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        DRS_CONSOLE_HOME=str(tmp_path / "app"),
        AWS_CONFIG_FILE=str(home / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONPATH=os.pathsep.join(p for p in (str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH")) if p),
    )
    (home / ".aws" / "config").write_text("")
    (home / ".aws" / "credentials").write_text("")
    return env


def setup_source(source: str, tmp_path: Path, env: dict[str, str], portal: str) -> list[str]:
    """Configure one credential source; returns the global CLI options that select it."""
    aws = Path(env["HOME"]) / ".aws"
    if source == "environment":
        env.update(
            AWS_ACCESS_KEY_ID=ENV_MARKERS["key"],
            AWS_SECRET_ACCESS_KEY=ENV_MARKERS["secret"],
            AWS_SESSION_TOKEN=ENV_MARKERS["token"],
        )
        return []
    if source == "profile-file":
        (aws / "credentials").write_text(
            f"[filed]\naws_access_key_id = {FILE_MARKERS['key']}\n"
            f"aws_secret_access_key = {FILE_MARKERS['secret']}\naws_session_token = {FILE_MARKERS['token']}\n"
        )
        return ["--profile", "filed"]
    if source == "credential-process":
        script = tmp_path / "creds.py"
        doc = {"Version": 1, "AccessKeyId": PROCESS_MARKERS["key"], "SecretAccessKey": PROCESS_MARKERS["secret"],
               "SessionToken": PROCESS_MARKERS["token"]}
        script.write_text(f"print({json.dumps(json.dumps(doc))})\n")
        (aws / "config").write_text(f"[profile proc]\ncredential_process = {sys.executable} {script}\n")
        return ["--profile", "proc"]
    if source == "sso-cache":
        (aws / "config").write_text(
            "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\n\n"
            "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
        )
        cache = aws / "sso" / "cache"
        cache.mkdir(parents=True)
        (cache / f"{hashlib.sha1(b'corp').hexdigest()}.json").write_text(
            json.dumps(
                {
                    "startUrl": "https://corp.awsapps.com/start",
                    "region": "us-east-1",
                    "accessToken": SSO_MARKERS["access"],
                    "expiresAt": "2099-01-01T00:00:00Z",
                    "clientId": "client-id",
                    "clientSecret": SSO_MARKERS["client"],
                    "refreshToken": SSO_MARKERS["refresh"],
                    "registrationExpiresAt": "2099-01-01T00:00:00Z",
                }
            )
        )
        env["AWS_ENDPOINT_URL_SSO"] = portal
        return ["--profile", "sso"]
    raise AssertionError(source)


def run_cli(argv: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "drs_console", *argv], env=env, capture_output=True, text=True, timeout=timeout
    )


def assert_no_marker(proc: subprocess.CompletedProcess, app_home: Path) -> None:
    outputs = {"stdout": proc.stdout, "stderr": proc.stderr}
    if app_home.exists():
        for path in app_home.rglob("*"):
            if path.is_file():
                outputs[str(path)] = path.read_text(errors="replace")
    for where, text in outputs.items():
        leaked = [m for m in ALL_MARKERS if m in text]
        assert not leaked, f"{leaked} in {where}"


@pytest.mark.parametrize("source", ["environment", "profile-file", "credential-process", "sso-cache"])
def test_no_credential_in_verbose_wire_output_of_any_source(sandbox, tmp_path, source):
    env = base_env(tmp_path)
    with sso_portal() as (portal, bearer_tokens):
        options = setup_source(source, tmp_path, env, portal)
        proc = run_cli(
            ["-v", "--debug-wire", "--endpoint-url", sandbox.endpoint_url, "--region", REGION, *options,
             "inventory", "--json"],
            env,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(json.loads(proc.stdout)["servers"]) == sandbox.servers
    if source == "sso-cache":
        assert bearer_tokens == [SSO_MARKERS["access"]]  # the cached token was really used
    # the wire dump was on (so the headers and bodies were there to leak), after a warning ...
    assert "may print payloads" in proc.stderr.splitlines()[0]
    assert "Sending http request" in proc.stderr and "Response body" in proc.stderr
    # ... and our own call log names each call
    assert "drs DescribeSourceServers" in proc.stderr
    assert_no_marker(proc, Path(env["DRS_CONSOLE_HOME"]))


def test_verbose_full_drill_has_no_credential_and_no_wire_dump(sandbox, tmp_path):
    env = base_env(tmp_path)
    setup_source("environment", tmp_path, env, "")
    server = next(s for s in sandbox.drs.server_ids()
                  if sandbox.drs.server(s)["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS")
    plan = Plan.new("Secrets drill", target_account_id=sandbox.account_id, target_region=REGION)
    plan.waves.append(Wave(name="W1", servers=[ServerRef(server)], timeout_minutes=10))
    path = tmp_path / "plan.json"
    write_plan_file(path, plan, backup=False)
    proc = run_cli(
        ["-v", "--endpoint-url", sandbox.endpoint_url, "--region", REGION, "run", str(path), "--drill",
         "--follow", "--poll-interval", "1", "--refresh", "0.5"],
        env,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "COMPLETED" in proc.stdout
    assert_no_marker(proc, Path(env["DRS_CONSOLE_HOME"]))
    # -v logs our own calls (service, operation, duration, request ID), not botocore's wire dump
    assert "Sending http request" not in proc.stderr and "Response body" not in proc.stderr
    assert "stepfunctions StartExecution" in proc.stderr and "request " in proc.stderr

