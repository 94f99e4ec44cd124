"""One story per execution, end to end: a drill (a server failing, a pause) and a recovery run
through the real state machine in the sandbox; for the same execution, the CLI's ``status --json``,
``status`` text and ``--follow --json``, the report's CSV and HTML, the GUI's models (fed by a
monitor snapshot) and History carry the same wave times, counts and per-server fields.

Desktop notifications say the same as `status` and --json read when they are sent
(``notifications_read_like_status``).

The scenarios run from tests/runs/test_cli_endpoint.py, sharing its module-scoped sandbox and its
``cli`` fixture (no sandbox of their own).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

from drs_console.aws.history import HistoryService
from drs_console.aws.runs import resume_run, start_run
from drs_console.domain import fields as f
from drs_console.domain.execution import WaveTally
from drs_console.domain.plan import FailurePolicy
from drs_console.domain.progress import parse_time
from drs_console.domain.status import ExecutionStatus as S
from drs_console.store.plan_io import write_plan_file
from tests.runs.conftest import run, wait_until
from tests.runs.time_order import assert_within_their_waves


def _json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _gui(view, qtbot, events=()):
    """The GUI's models and header, fed the monitor's snapshot as the Executions page feeds them."""
    from drs_console.ui.models.execution_models import ExecutionListModel
    from drs_console.ui.pages.executions import ExecutionDetail

    detail = ExecutionDetail()
    qtbot.addWidget(detail)
    detail.show_view(view, tuple(events))
    detail.job_log.updater.flush()
    listing = ExecutionListModel()
    listing.set_items([view])
    return detail, detail.wave_model, detail.server_model, listing


def _assert_views_agree(harness, cli, execution_id, tmp_path, qtbot, follow=()):
    """Every view of the execution reads the same; ``follow``: its ``--follow --json`` lines."""
    code, out, err = cli("status", execution_id, "--json")
    assert code == 0, err
    doc = json.loads(out)
    code, text, err = cli("status", execution_id)
    assert code == 0, err
    path = tmp_path / f"{execution_id}.csv"
    html_path = tmp_path / f"{execution_id}.html"
    code, _, err = cli("report", execution_id, "--csv", str(path), "--html", str(html_path))
    assert code == 0, err
    rows = _csv_rows(path.read_text())
    page = html_path.read_text()
    monitor = harness.monitor(execution_id)
    view = run(monitor.snapshot())
    detail, waves_m, servers_m, listing = _gui(view, qtbot, monitor.events)
    assert_within_their_waves(doc, text=text, page=page, events_model=detail.event_model, follow=follow)

    # the execution: status, times, counts, recovery time
    exec_row = next(r for r in rows if r["record"] == "execution")
    assert doc["status"] == exec_row["status"] == view.status.value == detail.status_badge.text()
    assert doc["startedAt"] == exec_row["started_at"] == f.iso_utc(view.started_at)
    assert doc["endedAt"] == exec_row["ended_at"] == f.iso_utc(view.ended_at)
    assert str(doc["serversFailed"]) == exec_row["failed"] and str(doc["serversLaunched"]) == exec_row["launched"]
    assert str(doc["recoveryTimeSeconds"]) == exec_row["recovery_time_seconds"]
    assert str(doc["recoveryTimeExcludingPausedSeconds"]) == exec_row["recovery_time_excluding_paused_seconds"]
    assert f"Failed servers ({doc['serversFailed']})" in page
    # a point-in-time run: the requested time, the same everywhere (none: every view says none)
    assert doc["pointInTime"] == (exec_row["point_in_time"] or None) == f.iso_utc(view.point_in_time)
    if view.point_in_time:
        shown = f.point_in_time_text(view.point_in_time)
        assert f"{f.POINT_IN_TIME_LABEL.lower()}: {shown}" in text and shown in page
        assert f"{f.POINT_IN_TIME_LABEL.lower()}: <b>{shown}</b>" == detail.point_in_time_label.text()
    else:
        assert f.POINT_IN_TIME_LABEL not in page and f.POINT_IN_TIME_LABEL.lower() not in text
        assert detail.point_in_time_label.text() == ""
    assert f.duration_text(doc["recoveryTimeSeconds"]) in page and f.duration_text(doc["recoveryTimeSeconds"]) in text
    # wave counts: the header, the executions list, History and the CLI say the same words
    waves_text = doc["wavesText"]
    assert waves_text and waves_text in detail.progress_label.text() and f"waves {waves_text}" in text
    from drs_console.ui.models.execution_models import ExecutionColumn

    assert listing.index(0, ExecutionColumn.WAVES).data() == waves_text
    # a row listed from the execution item alone (not watched) counts as History does
    from drs_console.ui.execution_engine import view_from_record

    listed = run(harness.service.list_executions(harness.location.history_table))
    item = next(r for r in listed if r.execution_id == execution_id)
    assert item.waves == ()  # the list index holds the execution item only
    listing.set_items([view_from_record(item)])
    assert listing.index(0, ExecutionColumn.WAVES).data() == waves_text
    history = run(HistoryService(harness.conn, harness.location.history_table).list_all())
    hrow = next(r for r in history if r.execution_id == execution_id)
    assert WaveTally.of_counts(hrow.wave_counts, hrow.wave_count).text() == waves_text
    assert (hrow.servers_launched, hrow.servers_failed) == (doc["serversLaunched"], doc["serversFailed"])
    assert f"{doc['serversLaunched']}/{doc['serverCount']} servers launched" in detail.progress_label.text()

    # every wave: times to the second, duration, counts
    from drs_console.ui.models.execution_models import SERVER_COLUMN_FIELDS, ServerColumn, WaveColumn

    wave_rows = [r for r in rows if r["record"] == "wave"]
    assert len(wave_rows) == len(doc["waves"]) == waves_m.rowCount() == len(view.waves)
    for w, r in zip(doc["waves"], wave_rows, strict=True):
        row = waves_m.row_of(str(w["wave"] - 1))
        cell = lambda c, row=row: waves_m.index(row, c).data()  # noqa: E731
        # a wave spanning accounts: every job with its account (--json: jobs), else its one job
        jobs = ", ".join(f.job_text(j["jobId"], j["accountId"]) for j in w["jobs"]) if w.get("jobs") else w["jobId"] or ""
        assert (w["status"], jobs) == (r["status"], r["job_id"]) == (cell(WaveColumn.STATUS), cell(WaveColumn.JOB_ID))
        assert (w["startedAt"] or "") == r["started_at"] and (w["endedAt"] or "") == r["ended_at"]
        assert cell(WaveColumn.STARTED) == (w["startedAt"] or "")[11:19]
        assert cell(WaveColumn.ENDED) == (w["endedAt"] or "")[11:19]
        assert str(w["durationSeconds"]) == r["duration_seconds"]
        if w["endedAt"]:  # to the second: the duration is the difference of the times shown
            assert w["durationSeconds"] == (parse_time(w["endedAt"]) - parse_time(w["startedAt"])).total_seconds()
        assert cell(WaveColumn.DURATION) == f.duration_text(w["durationSeconds"], "")
        assert (str(w["launched"]), str(w["failed"])) == (r["launched"], r["failed"])
        assert cell(WaveColumn.SERVERS).startswith(f"{w['launched']}/{w['serverCount']} launched")
        if w["startedAt"]:
            assert f"started {w['startedAt'][:10]} {w['startedAt'][11:19]} UTC" in text

    # every server: the mission's fields, one formatter each
    server_rows = {(r["wave"], r["server_id"]): r for r in rows if r["record"] == "server"}
    by_field = {fld: col for col, fld in SERVER_COLUMN_FIELDS.items()}
    count = 0
    for w in doc["waves"]:
        for s in w["servers"]:
            count += 1
            assert set(s) == {fld.key for fld in f.SERVER_FIELDS}
            r = server_rows[(str(w["wave"]), s["sourceServerId"])]
            own = {j["accountId"]: j["jobId"] for j in w.get("jobs") or []}
            assert r["job_id"] == own.get(s["recoveryAccountId"], w["jobId"] or "")  # the job that launched it
            grow = servers_m.row_of(f"{w['wave'] - 1}/{s['sourceServerId']}")
            for fld in f.SERVER_FIELDS:
                assert (s[fld.key] or "") == r[fld.csv], (fld.key, s[fld.key], r[fld.csv])
                if fld is not f.NAME:
                    gui = servers_m.index(grow, by_field[fld]).data()
                    assert gui == (f.DASH if s[fld.key] is None else fld.text(_server(view, w["wave"], s))), fld.key
            assert s["sourceInstanceId"] and s["sourceAccountId"] and s["replicationState"]
            if s["launchStatus"] == "LAUNCHED":
                assert s["recoveryInstanceId"] and s["ec2InstanceState"] and s["recoveryPoint"]
                assert servers_m.index(grow, ServerColumn.RECOVERY_POINT).data() == f.utc_text(parse_time(s["recoveryPoint"]))
            else:
                assert s["failureReason"], "a server that did not launch says why"
            assert f"{s['name']} ({s['sourceServerId']})" in text
    assert count == len(server_rows) == servers_m.rowCount()
    return doc, view


def _server(view, wave_number, s):
    return next(x for x in view.waves[wave_number - 1].servers if x.source_server_id == s["sourceServerId"])


def drill_reads_the_same_in_every_view(harness, sim, cli, tmp_path, qtbot):
    servers = harness.healthy(3)
    sim.fail_servers(servers[:1])
    plan = harness.plan([servers], name="Views drill", pause=frozenset({0}), policy=FailurePolicy.CONTINUE)
    path = tmp_path / "drill.json"
    write_plan_file(path, plan, backup=False)
    code, out, err = cli("run", str(path), "--json", "--poll-interval", "1")
    assert code == 0, err
    execution_id = next(d for d in _json_lines(out) if d["type"] == "started")["executionId"]
    paused = run(harness.wait_record(execution_id, lambda r: r.status is S.PAUSED, what="PAUSED"))
    # the operator takes a moment before resuming: times are whole seconds, so a pause shorter than
    # one could read as none at all
    started = parse_time(paused.started_at)
    run(wait_until(lambda: _later_than(started, 2), timeout=10, what="two seconds of pause"))
    code, out, err = cli("resume", execution_id)
    assert code == 0 and "now PAUSED" not in out, err
    code, out, err = cli("status", execution_id, "--follow", "--json", "--refresh", "1")
    assert code == 1, err  # PARTIAL
    lines = _json_lines(out)
    transitions = [d for d in lines if d["type"] == "transition"]
    # per-server launch transitions, not only per-wave ones, each with every server field
    launched = {d["server"]["sourceServerId"]: d["server"]["launchStatus"] for d in transitions if d["kind"] == "server"}
    assert launched == {servers[0]: "FAILED", servers[1]: "LAUNCHED", servers[2]: "LAUNCHED"}
    stamps = [d["at"] for d in transitions]
    assert all(stamps) and all(a.endswith("Z") for a in stamps)
    end = lines[-1]
    assert end["type"] == "end" and end["status"] == "PARTIAL"

    doc, view = _assert_views_agree(harness, cli, execution_id, tmp_path, qtbot, follow=lines)
    assert doc["status"] == "PARTIAL" and doc["serversFailed"] == 1 and doc["serversLaunched"] == 2
    assert doc["wavesText"] == "0/1 completed, 1 partial"
    # the pause before the wave is the time from the execution's start to the wave's, and is labelled
    waited = (view.waves[0].started_at - view.started_at).total_seconds()
    assert doc["pausedSeconds"] == waited > 0, (doc["pausedSeconds"], view.started_at, view.waves[0].started_at)
    assert doc["recoveryTimeExcludingPausedSeconds"] == doc["recoveryTimeSeconds"] - doc["pausedSeconds"]
    # the follow's final view and a later status read give the same waves
    key = lambda w: (w["status"], w["jobId"], w["startedAt"], w["endedAt"], w["launched"], w["failed"])  # noqa: E731
    assert [key(w) for w in end["view"]["waves"]] == [key(w) for w in doc["waves"]]


def start_recovery(harness, cli, tmp_path):
    servers = harness.healthy(2)
    plan = harness.plan([servers], name="Views recovery")
    path = tmp_path / "recovery.json"
    write_plan_file(path, plan, backup=False)
    code, out, err = cli("run", str(path), "--recovery", "--confirm", "Views recovery", "--json",
                         "--poll-interval", "1")
    assert code == 0, err
    return next(d for d in _json_lines(out) if d["type"] == "started")["executionId"], servers


def recovery_reads_the_same_in_every_view(harness, cli, tmp_path, qtbot, execution_id, servers):
    run(harness.wait_record(execution_id, lambda r: r.is_terminal, what="the recovery to end"))
    # following a finished execution replays what happened, server by server, then ends
    code, out, err = cli("status", execution_id, "--follow", "--json")
    assert code == 0, err
    lines = _json_lines(out)
    assert lines[-1]["type"] == "end" and lines[-1]["status"] == "COMPLETED"
    assert {d["server"]["sourceServerId"] for d in lines if d.get("kind") == "server"} == set(servers)
    doc, view = _assert_views_agree(harness, cli, execution_id, tmp_path, qtbot, follow=lines)
    assert doc["executionType"] == "RECOVERY" and doc["wavesText"] == "1/1 completed"
    assert doc["serversLaunched"] == 2 and doc["serversFailed"] == 0 and doc["pausedSeconds"] == 0


def start_point_in_time_recovery(harness, cli, tmp_path):
    """A real recovery (typed confirmation) of two waves to a point in time two hours back."""
    servers = harness.healthy(3)
    plan = harness.plan([servers[:2], servers[2:]], name="Views PIT recovery")
    path = tmp_path / "pit-recovery.json"
    write_plan_file(path, plan, backup=False)
    code, out, err = cli("run", str(path), "--recovery", "--confirm", "Views PIT recovery", "--json",
                         "--poll-interval", "1", "--point-in-time", "now-2h")
    assert code == 0, err
    lines = _json_lines(out)
    preflight = next(d for d in lines if d["type"] == "preflight")
    started = next(d for d in lines if d["type"] == "started")
    return started["executionId"], servers, preflight


def _point_in_time_ended(harness, cli, tmp_path, qtbot, execution_id, preflight, execution_type, *, back):
    """Wait for a point-in-time run (``back`` before its start) to end COMPLETED, check every view
    agrees and records the requested time; (its --json, its view, the time, the preflight's
    resolution per server)."""
    run(harness.wait_record(execution_id, lambda r: r.is_terminal, what="the point-in-time run to end"))
    doc, view = _assert_views_agree(harness, cli, execution_id, tmp_path, qtbot)
    assert doc["status"] == "COMPLETED" and doc["executionType"] == execution_type
    requested = parse_time(preflight["pointInTime"])
    assert doc["pointInTime"] == preflight["pointInTime"]
    assert back <= parse_time(doc["startedAt"]) - requested < back + timedelta(minutes=1)
    shown = {r["sourceServerId"]: r for w in preflight["pointInTimeWaves"] for r in w["servers"]}
    return doc, view, requested, shown


def point_in_time_reads_the_same_in_every_view(harness, cli, tmp_path, qtbot, execution_id, servers, preflight):
    """Every server launched from the snapshot the preflight showed, and every view says which."""
    doc, _view, requested, shown = _point_in_time_ended(harness, cli, tmp_path, qtbot, execution_id, preflight,
                                                       "RECOVERY", back=timedelta(hours=2))
    assert set(shown) == set(servers)
    for w in doc["waves"]:
        assert w["pointInTime"] == preflight["pointInTime"]
        for s in w["servers"]:
            resolved = shown[s["sourceServerId"]]
            assert s["recoverySnapshotId"] == resolved["recoverySnapshotId"]
            assert s["requestedRecoveryPoint"] == resolved["snapshotTime"]
            # what DRS says the recovery instance launched from (pointInTimeSnapshotDateTime)
            assert s["launchStatus"] == "LAUNCHED" and s["recoveryPoint"] == resolved["snapshotTime"]
            assert parse_time(resolved["snapshotTime"]) <= requested
    # the simulator's own record of the launch: the instance records that snapshot's time
    for sid in servers:
        inst = next(i for i in harness.sim.describe_recovery_instances(filters={"sourceServerIDs": [sid]})["items"]
                    if i["isDrill"] is False and i["ec2InstanceState"] == "RUNNING")
        snap = next(i for i in harness.sim.describe_recovery_snapshots(sourceServerID=sid)["items"]
                    if i["snapshotID"] == shown[sid]["recoverySnapshotId"])
        assert parse_time(inst["pointInTimeSnapshotDateTime"]) == parse_time(snap["timestamp"])


async def _later_than(moment, seconds: float) -> bool:
    return datetime.now(UTC) >= moment + timedelta(seconds=seconds)


def start_cross_account_point_in_time_drill(harness, cli, tmp_path, waves, accounts_of):
    """A drill of ``waves`` (lists of server IDs; ``accounts_of``: server -> the account holding it,
    absent: the hub) to the point in time an hour back, through the CLI."""
    from drs_console.domain.plan import ServerRef

    plan = harness.plan(waves, name="Views cross-account PIT drill")
    for w in plan.waves:
        w.servers = [ServerRef(r.source_server_id, account_id=accounts_of.get(r.source_server_id, ""))
                     for r in w.servers]
    path = tmp_path / "xacct-pit-drill.json"
    write_plan_file(path, plan, backup=False)
    code, out, err = cli("run", str(path), "--drill", "--point-in-time", "now-1h", "--json", "--poll-interval", "1")
    assert code == 0, err + out
    lines = _json_lines(out)
    preflight = next(d for d in lines if d["type"] == "preflight")
    started = next(d for d in lines if d["type"] == "started")
    return started["executionId"], preflight


def cross_account_point_in_time_reads_the_same(harness, cli, tmp_path, qtbot, execution_id, preflight, accounts_of):
    """Every server, of the hub or another account, launched from the snapshot the preflight showed
    (the history record's plan names it), and every view (status, --json, report, the GUI monitor's
    Recovery point and Recovery snapshot ID columns) says which, with the account recovering it."""
    from drs_console.ui.models.execution_models import ServerColumn

    doc, view, requested, shown = _point_in_time_ended(harness, cli, tmp_path, qtbot, execution_id, preflight,
                                                      "DRILL", back=timedelta(hours=1))
    hub = harness.sandbox.account_id
    _detail, _waves, servers_m, _listing = _gui(view, qtbot)
    seen = set()
    for w in doc["waves"]:
        assert w["pointInTime"] == preflight["pointInTime"]
        for s in w["servers"]:
            sid = s["sourceServerId"]
            resolved = shown[sid]
            assert resolved["recoverySnapshotId"] and parse_time(resolved["snapshotTime"]) <= requested
            assert s["recoveryAccountId"] == accounts_of.get(sid, hub)
            assert s["recoverySnapshotId"] == resolved["recoverySnapshotId"]
            assert s["requestedRecoveryPoint"] == resolved["snapshotTime"]
            # what DRS in that account says the drill instance launched from (pointInTimeSnapshotDateTime)
            assert s["launchStatus"] == "LAUNCHED" and s["recoveryPoint"] == resolved["snapshotTime"]
            row = servers_m.row_of(f"{w['wave'] - 1}/{sid}")
            cell = lambda c, row=row: servers_m.index(row, c).data()  # noqa: E731
            assert cell(ServerColumn.REQUESTED_SNAPSHOT_ID) == resolved["recoverySnapshotId"]
            assert cell(ServerColumn.REQUESTED_POINT) == f.utc_text(parse_time(resolved["snapshotTime"]))
            assert cell(ServerColumn.RECOVERY_POINT) == f.utc_text(parse_time(resolved["snapshotTime"]))
            seen.add(s["recoveryAccountId"])
    assert seen == {hub, *accounts_of.values()}
    # the history record: the requested time, and the plan it ran with names every server's snapshot
    record = run(harness.record(execution_id))
    assert record.point_in_time == preflight["pointInTime"]
    head = harness.sandbox.client("dynamodb").get_item(
        TableName=harness.location.history_table,
        Key={"PK": {"S": f"EXEC#{execution_id}"}, "SK": {"S": "EXECUTION"}})["Item"]
    recorded = json.loads(head["planJson"]["S"])
    for w in recorded["waves"]:
        named = {x["sourceServerID"]: x["recoverySnapshotID"] for x in w["servers"]}
        assert named == {sid: shown[sid]["recoverySnapshotId"] for sid in w["sourceServerIds"]}
        for g in w.get("accounts") or []:
            assert {x["sourceServerID"]: x["recoverySnapshotID"] for x in g["servers"]} == {
                sid: named[sid] for sid in g["sourceServerIds"]}
    return doc, shown


# -- notifications: what they state is what `status` and --json state -----------------------------
_UTC_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
_SERVER_ID = re.compile(r"\bs-[0-9a-f]{17}\b")
_STATUS_WORD = re.compile(r"\b(" + "|".join(s.value for s in S) + r")\b")


def assert_notification_agrees(note, doc, text):
    """``note`` against ``status --json`` (``doc``) and ``status`` (``text``) of the same execution
    read when the note was sent: the same status, wave, counts, times and servers, and nothing the
    note states (a time, a server ID, a status) that they do not."""
    from drs_console.ui.notifications import Kind

    said = f"{note.title}\n{note.message}"
    label = f"{doc['executionType']} {doc['planName']}"
    waves = {w["wave"]: w for w in doc["waves"]}
    statuses, times, servers = {doc["status"]}, set(), set()
    if note.kind == Kind.PAUSED:
        assert doc["status"] == "PAUSED"
        w = next(w for w in doc["waves"] if w["status"] == "PAUSED")
        wave = f'wave {w["wave"]} "{w["name"]}"'
        assert note.title == f"{label}: PAUSED before {wave}"
        assert f"{wave}: PAUSED" in text
    elif note.kind == Kind.WAVE_FAILED:
        number = int(re.search(r": wave (\d+) ", note.title)[1])
        w = waves[number]
        wave, statuses = f'wave {number} "{w["name"]}"', {w["status"]}
        outcome = f"{w['failed']} of {w['serverCount']} server{'s' if w['serverCount'] != 1 else ''} failed to launch"
        assert note.title == f"{label}: {wave} {w['status']}: {outcome}"
        assert f"{wave}: {w['status']}" in text and f"({w['launched']} launched, {w['failed']} failed of" in text
        failed = [s for s in w["servers"] if s["launchStatus"] != "LAUNCHED"]
        assert len(failed) == w["failed"] > 0
        servers = {s["sourceServerId"] for s in failed}
        assert note.message.startswith(
            f"{outcome}: " + ", ".join(f"{s['name']} ({s['sourceServerId']})" for s in failed))
        times = {f.utc_text(parse_time(w["endedAt"]))}
        assert f"ended {next(iter(times))}" in note.message
    else:
        assert note.kind == Kind.ENDED and note.title == f"{label}: {doc['status']}"
        counts = f"waves {doc['wavesText']}; {doc['serversLaunched']}/{doc['serverCount']} servers launched"
        counts += f", {doc['serversFailed']} failed" if doc["serversFailed"] else ""
        assert note.message.startswith(counts)
        assert counts.replace("; ", " · ") in text
        times = {f.utc_text(parse_time(doc["endedAt"]))}
        assert f"ended {next(iter(times))}" in note.message
        rto = f.duration_text(doc["recoveryTimeSeconds"])
        assert f"recovery time {rto}" in note.message and f"recovery time achieved: {rto} " in text
        statuses |= {w["status"] for w in doc["waves"]}
    assert set(_UTC_TIME.findall(said)) == times and all(t in text for t in times), said
    assert set(_SERVER_ID.findall(said)) == servers, said
    assert set(_STATUS_WORD.findall(said)) <= statuses, said


def notifications_read_like_status(harness, sim, cli, qtbot):
    """Two drills at once, watched as the Executions page watches them (each monitor update through
    the Notifier): one pauses before its second wave, is resumed and completes; one has a server
    fail (PARTIAL). Each notification is compared with `status --json` and `status` read the moment
    it was sent. (The pause is before the second wave: the first view of an execution is not news,
    and a pause before the first could come before the monitor's first read.)"""
    from drs_console.ui.notifications import Kind, Notifier

    servers = harness.healthy(4)
    sim.fail_next_launch(servers[3])
    plans = [harness.plan([servers[:1], servers[1:2]], name="Notes paused", pause=frozenset({1})),
             harness.plan([servers[2:]], name="Notes failing", policy=FailurePolicy.CONTINUE)]
    notifier = Notifier(use_tray=False)
    checked: list[tuple[str, str]] = []

    async def status(execution_id):
        code, out, err = await asyncio.to_thread(cli, "status", execution_id, "--json")
        assert code in (0, 1), err
        code, text, err = await asyncio.to_thread(cli, "status", execution_id)
        assert code in (0, 1), err
        return json.loads(out), text

    async def watch(plan):
        started = await start_run(harness.conn, harness.location, plan, poll_interval_seconds=1)
        previous, resumed = None, False
        async for update in harness.monitor(started).updates():
            for note in notifier.observe(previous, update.view):
                doc, text = await status(started.execution_id)
                assert_notification_agrees(note, doc, text)
                checked.append((plan.name, note.kind))
            if update.view.status is S.PAUSED and not resumed:  # checked (or missed: the kinds below say so)
                await resume_run(harness.conn, harness.location, started.execution_id)
                resumed = True
            previous = update.view

    async def both():
        await asyncio.gather(*(watch(p) for p in plans))

    run(both())
    assert sorted(checked) == sorted([("Notes paused", Kind.PAUSED), ("Notes paused", Kind.ENDED),
                                      ("Notes failing", Kind.WAVE_FAILED), ("Notes failing", Kind.ENDED)])
    ended = {n.title: n for n in notifier.sent if n.kind == Kind.ENDED}
    assert set(ended) == {"DRILL Notes paused: COMPLETED", "DRILL Notes failing: PARTIAL"}
    assert not ended["DRILL Notes paused: COMPLETED"].critical and ended["DRILL Notes failing: PARTIAL"].critical
