"""`drs-console --sandbox run|preflight`: the in-process sandbox with the backend deployed by the
command itself (DRS_CONSOLE_SANDBOX_SPEED makes its clock fast). No other sandbox may run meanwhile,
so this module uses no harness."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from drs_console.cli.context import CliContext
from drs_console.cli.main import build_parser, run_command
from drs_console.domain.plan import FailurePolicy, Plan, ServerRef, Wave
from drs_console.sandbox.seed import seed_servers
from drs_console.store.plan_io import write_plan_file

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"
REGION = "us-east-1"


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setenv("DRS_CONSOLE_SANDBOX_SPEED", "600")


def healthy_ids(n: int, skip: int = 0) -> list[str]:
    """IDs of continuously replicating servers of the CLI's sandbox (Sandbox() defaults: 60, seed 7)."""
    servers = seed_servers(seed=7, count=60, region=REGION, account_id=ACCOUNT, start=datetime.now(UTC))
    ids = [s.source_server_id for s in servers if s.replication_state == "CONTINUOUS"]
    return ids[skip : skip + n]


def plan_file(tmp_path, waves, *, name="CLI plan", account=ACCOUNT, policy=FailurePolicy.STOP_ON_FAILURE):
    plan = Plan.new(name, target_account_id=account, target_region=REGION)
    plan.failure_policy = policy
    for i, ids in enumerate(waves):
        plan.waves.append(Wave(name=f"W{i + 1}", servers=[ServerRef(s) for s in ids], timeout_minutes=10))
    path = tmp_path / "plan.json"
    write_plan_file(path, plan, backup=False)
    return str(path)


def cli(argv, ctx=None):
    ctx = ctx or CliContext(sandbox=True, out=io.StringIO(), err=io.StringIO())
    out, err = ctx.out, ctx.err
    code = run_command(build_parser().parse_args(argv), ctx)
    return code, out.getvalue(), err.getvalue()


def test_run_follow_json_lines_exit_0_when_completed(tmp_path, fast):
    ids = healthy_ids(3)
    path = plan_file(tmp_path, [ids[:2], ids[2:]])
    code, out, err = cli(["--sandbox", "run", path, "--drill", "--follow", "--json", "--poll-interval", "1",
                          "--refresh", "1"])
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    kinds = [d["type"] for d in lines]
    assert kinds[0] == "preflight" and kinds[1] == "started" and kinds[-1] == "end"
    assert lines[0]["result"] in ("PASS", "WARN")
    started, end = lines[1], lines[-1]
    assert started["executionType"] == "DRILL" and started["executionId"] in started["executionArn"]
    assert end["status"] == "COMPLETED" and end["exitCode"] == 0
    jobs = [w["jobId"] for w in end["view"]["waves"]]
    assert all(j and j.startswith("drsjob-") for j in jobs)
    transitions = [d for d in lines if d["type"] == "transition"]
    for wave, job in enumerate(jobs, start=1):
        assert any(t["kind"] == "wave" and t["wave"] == wave and t["status"] == "STARTED" and t["jobId"] == job
                   for t in transitions)
        assert any(t.get("wave") == wave and t["status"] == "COMPLETED" for t in transitions)
    assert transitions[-1]["kind"] == "execution" and transitions[-1]["status"] == "COMPLETED"


def test_run_follow_text_exit_1_when_partial(tmp_path, fast):
    ids = healthy_ids(2, skip=3)
    path = plan_file(tmp_path, [ids], policy=FailurePolicy.CONTINUE)
    ctx = CliContext(sandbox=True, out=io.StringIO(), err=io.StringIO())
    ctx.connection()
    ctx.sandbox_instance.drs.fail_servers(ids[:1])
    code, out, err = cli(["--sandbox", "run", path, "--follow", "--poll-interval", "1", "--refresh", "1"], ctx)
    assert code == 1, out + err
    assert "Started drill of 'CLI plan': execution cli-plan-" in out
    assert 'wave 1 "W1": STARTED job drsjob-' in out
    assert 'wave 1 "W1": PARTIAL job drsjob-' in out and "PARTIAL (drill of plan 'CLI plan')" in out


def test_preflight_block_exits_2_with_reasons_and_starts_nothing(tmp_path, fast):
    path = plan_file(tmp_path, [healthy_ids(1)], account="999999999999")
    code, out, err = cli(["--sandbox", "run", path, "--follow"])
    assert code == 2
    assert "BLOCK target" in out and "preflight BLOCK: target" in err and "999999999999" in err
    assert "Started" not in out
    code, out, err = cli(["--sandbox", "preflight", path, "--json"])
    assert code == 2 and json.loads(out)["result"] == "BLOCK"
    code, out, err = cli(["--sandbox", "preflight", path, "--override-target"])
    assert code == 0 and "WARN  target" in out


def test_real_recovery_needs_confirm_with_the_exact_name(tmp_path):
    path = plan_file(tmp_path, [healthy_ids(1)], name="Payments")
    for argv in (["--recovery"], ["--recovery", "--confirm", "payments"], ["--confirm", "Payments"]):
        code, out, err = cli(["--sandbox", "run", path, *argv])
        assert code == 2, argv
        assert "Started" not in out and err.startswith("drs-console: ")


def test_bad_plan_file_exits_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, _out, err = cli(["--sandbox", "run", str(bad)])
    assert code == 2 and "bad.json" in err
