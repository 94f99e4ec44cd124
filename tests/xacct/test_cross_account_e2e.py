"""E2E in the sandbox with three accounts: a three-wave drill whose second wave spans two accounts
runs to COMPLETED with each job in its own account (cross-checked with boto3 under each account's
assumed credentials), the monitor, status --json and the report show each job with its account,
and cleanup terminates the drill instances in both accounts with each account's role. A drill to
a point in time across two accounts, through the CLI with the accounts added, launches the target
account's servers from the snapshots the preflight resolved there, and every view says so."""

from __future__ import annotations

import asyncio
import io

import pytest

from drs_console.aws.monitor import ExecutionMonitor
from drs_console.aws.runs import PreflightBlocked, follow_cleanup, start_cleanup, start_run
from drs_console.domain.execution_json import view_json
from drs_console.domain.plan import ServerRef
from drs_console.domain.progress import parse_time
from drs_console.domain.report import build_report
from tests.runs import views_agree
from tests.runs.conftest import Harness, deployed_sandbox, run, wait_until
from tests.xacct.helpers import as_role, continuous


class Harness3(Harness):
    """The runs harness whose monitor knows the sandbox's target accounts (as the CLI and GUI do)."""

    def monitor(self, run_or_id, conn=None, **kw):
        kw.setdefault("accounts", self.sandbox.known_accounts)
        return super().monitor(run_or_id, conn, **kw)


@pytest.fixture(scope="module")
def harness3():
    with deployed_sandbox(Harness3, servers=12, seed=7, speed=600.0, accounts=3) as h:
        yield h


async def scenario(h: Harness):
    sb = h.sandbox
    t1 = sb.targets[0]
    accounts = sb.known_accounts
    hub = h.healthy(3)
    remote = continuous(sb, t1.account_id, 2)
    plan = h.plan([[hub[0]], [hub[1]], [hub[2]]], name="Cross-account drill")
    plan.waves[1].servers.extend(ServerRef(s, account_id=t1.account_id) for s in remote)
    started = await start_run(h.conn, h.location, plan, accounts=accounts, poll_interval_seconds=1)
    groups = started.execution_input["plan"]["waves"][1]["accounts"]
    assert [g["accountId"] for g in groups] == [sb.account_id, t1.account_id] and groups[1]["roleArn"] == t1.role_arn
    assert all("accounts" not in w for i, w in enumerate(started.execution_input["plan"]["waves"]) if i != 1)
    monitor = h.monitor(started, accounts=accounts)
    view = None
    async for update in monitor.updates():
        view = update.view
        if view.status is not None and view.status.is_terminal:
            break
    monitor.stop()
    assert view.status.value == "COMPLETED", view_json(view)
    w2 = view.waves[1]
    assert {a for a, _j in w2.jobs} == {sb.account_id, t1.account_id}
    assert [s.launch_status.value for s in w2.servers] == ["LAUNCHED"] * 3  # the target's servers too
    assert {s.recovery_account_id for s in w2.servers} == {sb.account_id, t1.account_id}
    assert all(s.name and s.recovery_instance_id for s in w2.servers)  # read in their own account
    assert not view.waves[0].jobs and view.waves[0].job_id  # a hub-only wave reads as before
    # each job in its own account, and only there
    for account, job_id in w2.jobs:
        drs = sb.client("drs") if account == sb.account_id else as_role(sb, t1.role_arn)
        job = drs.describe_jobs(filters={"jobIDs": [job_id]})["items"]
        assert len(job) == 1 and job[0]["status"] == "COMPLETED" and job[0]["arn"].split(":")[4] == account
    target_job = dict(w2.jobs)[t1.account_id]
    assert sb.client("drs").describe_jobs(filters={"jobIDs": [target_job]})["items"] == []
    # status --json and the report name the accounts (one formatting: fields.job_text)
    status = view_json(await ExecutionMonitor(h.conn, h.location, started.execution_id,
                                              accounts=accounts).snapshot())
    assert {j["accountId"] for j in status["waves"][1]["jobs"]} == {sb.account_id, t1.account_id}
    assert {s["recoveryAccountId"] for s in status["waves"][1]["servers"]} == {sb.account_id, t1.account_id}
    report = build_report(view, monitor.events)
    assert f"{target_job} (account {t1.account_id})" in report.waves[1].job_id
    # cleanup terminates in both accounts, each with its own connection
    cleanup = await start_cleanup(h.conn, h.location, started.execution_id, accounts=accounts)
    assert set(cleanup.accounts()) == {"", t1.account_id} and len(cleanup.recovery_instance_ids) == 5
    last = None
    async for progress in follow_cleanup(h.conn, cleanup, poll=0.2, timeout=60):
        last = progress
    assert last.done and set(last.instance_states.values()) <= {"TERMINATED", "GONE"}
    target = as_role(sb, t1.role_arn)

    async def terminated():
        items = target.describe_recovery_instances(filters={"sourceServerIDs": remote})["items"]
        return all(i.get("ec2InstanceState") in ("TERMINATED", None) for i in items)

    await wait_until(terminated, timeout=30, what="the target's drill instances to terminate")
    # a role that cannot be assumed blocks preflight, naming the account
    bad = [a if a.account_id != t1.account_id else
           type(a)(a.account_id, a.name, role_arn=f"arn:aws:iam::{t1.account_id}:role/gone") for a in accounts]
    with pytest.raises(PreflightBlocked) as blocked:
        await start_run(h.conn, h.location, plan, accounts=bad)
    messages = [c.message for c in blocked.value.report.blocking if c.check == "accounts"]
    assert len(messages) == 1 and t1.account_id in messages[0]


def test_a_drill_across_two_accounts_end_to_end(harness3):
    asyncio.run(asyncio.wait_for(scenario(harness3), 120))


@pytest.fixture
def cli(harness3, monkeypatch):
    """The CLI against the sandbox as any endpoint (keys in the environment), its target accounts
    added as an operator adds them ('accounts add ... --role-arn')."""
    from drs_console.cli.context import CliContext
    from drs_console.cli.main import build_parser, run_command

    sb = harness3.sandbox
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "sandbox-access-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sandbox-secret")

    def call(*argv):
        ctx = CliContext(region=sb.region, endpoint_url=sb.endpoint_url, out=io.StringIO(), err=io.StringIO())
        code = run_command(build_parser().parse_args(["--endpoint-url", sb.endpoint_url, *argv]), ctx)
        return code, ctx.out.getvalue(), ctx.err.getvalue()

    for t in sb.targets:
        code, _out, err = call("accounts", "add", t.account_id, "--name", t.name, "--role-arn", t.role_arn)
        assert code == 0, err
    return call


def test_a_drill_to_a_point_in_time_across_two_accounts(harness3, cli, tmp_path, qtbot):
    sb = harness3.sandbox
    t1 = sb.targets[0]
    hub = harness3.healthy(2)
    remote = continuous(sb, t1.account_id, 5)[-2:]  # not the servers of the drill above
    accounts_of = {s: t1.account_id for s in remote}
    execution_id, preflight = views_agree.start_cross_account_point_in_time_drill(
        harness3, cli, tmp_path, [[hub[0]], [hub[1], *remote]], accounts_of)
    assert preflight["result"] != "BLOCK" and preflight["serverAccounts"] == accounts_of
    _doc, shown = views_agree.cross_account_point_in_time_reads_the_same(
        harness3, cli, tmp_path, qtbot, execution_id, preflight, accounts_of)
    # plain boto3 in the target account (its role): the drill instance lists the chosen snapshot's time
    target = as_role(sb, t1.role_arn)
    for sid in remote:
        snap = next(i for i in target.describe_recovery_snapshots(sourceServerID=sid)["items"]
                    if i["snapshotID"] == shown[sid]["recoverySnapshotId"])
        inst = [i for i in target.describe_recovery_instances(filters={"sourceServerIDs": [sid]})["items"]
                if i["isDrill"] and i["ec2InstanceState"] == "RUNNING"]
        assert len(inst) == 1 and parse_time(inst[0]["pointInTimeSnapshotDateTime"]) == parse_time(snap["timestamp"])
        assert inst[0]["arn"].split(":")[4] == t1.account_id
        job = target.describe_jobs(filters={"jobIDs": [inst[0]["jobID"]]})["items"][0]
        assert job["tags"]["drs-console:execution-id"] == execution_id
        events = {i["event"] for i in target.describe_job_log_items(jobID=job["jobID"])["items"]
                  if (i.get("eventData") or {}).get("sourceServerID") == sid}
        assert "USING_PREVIOUS_SNAPSHOT" in events and "SNAPSHOT_START" not in events  # no new snapshot taken
    cleanup = run(start_cleanup(harness3.conn, harness3.location, execution_id, accounts=sb.known_accounts))
    assert set(cleanup.accounts()) == {"", t1.account_id}
