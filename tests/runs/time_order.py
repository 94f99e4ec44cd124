"""Time order, one truth: nothing any view dates of a wave's servers (a follow line, a job log row
of the report or the GUI) falls before the wave's start or after its end, to the second as shown;
and the wave's start and end read the same in every view.

DRS launches a wave's servers within the wave's job, and the state machine writes the job's end as
the wave's end only at its next poll. A monitor that reads DRS in between sees the launches "late":
``launch_seen_late`` makes that happen for certain (the state machine polls DRS every 4 s, the
follows read once the job has been over for more than a second) and checks every view.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import re
from datetime import UTC, datetime, time, timedelta

from drs_console.aws.runs import start_run
from drs_console.cli.commands import run as run_cmd
from drs_console.cli.context import CliContext
from drs_console.domain import fields as f
from drs_console.domain.plan import FailurePolicy
from drs_console.domain.progress import parse_time
from tests.runs.conftest import run, wait_until

# the wave's DRS job is over, its end not yet the wave's: the state machine polls every 4 s, and a
# launch job takes about half a second at the harness's speed
STATE_MACHINE_POLL = 4
LATE = 1.1  # seconds after the job's end the follows read it: a launch stamped "when seen" is in the next second

_FOLLOW_TEXT = re.compile(r'^(\d\d:\d\d:\d\d) UTC wave (\d+) "[^"]*"(?:: ([A-Z_]+)| server )')
_BEFORE_START = frozenset({"PENDING", "PAUSED"})  # a wave's states before it starts (waiting to)
_STATUS_WAVE = re.compile(r'^  wave (\d+) ".*?": .*  started (.+? UTC), ended (.+? UTC|—)')
_HTML_EVENT = re.compile(r"<tr><td>(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)</td><td>([A-Z_]+)</td><td>([^<]*)</td>")


def _on_day(of: datetime, clock: str) -> datetime:
    """A time of day a view shows (``HH:MM:SS``, UTC) as a datetime near ``of`` (across midnight)."""
    at = datetime.combine(of.date(), time.fromisoformat(clock), UTC)
    return at + timedelta(days=1) if at < of - timedelta(hours=12) else at


def assert_within_their_waves(doc, *, text="", page="", events_model=None, follow=(), follow_text=()):
    """``doc``: ``status --json``. For every wave that started: ``status`` text states its times as
    --json does, and each time shown of it or its servers lies within them (its end: a wave whose
    job's end is its end; every wave here)."""
    waves: dict[int, tuple[datetime, datetime | None]] = {}
    wave_of: dict[str, int] = {}  # a server's name and ID -> its wave
    for w in doc["waves"]:
        for s in w["servers"]:
            wave_of[s["sourceServerId"]] = wave_of[s["name"] or s["sourceServerId"]] = w["wave"]
        if w["startedAt"]:
            waves[w["wave"]] = (parse_time(w["startedAt"]), parse_time(w["endedAt"]) if w["endedAt"] else None)
    assert waves, "no wave started"
    checked = 0

    def within(number: int, at: datetime, what: str) -> None:
        nonlocal checked
        start, end = waves[number]
        assert start <= at and (end is None or at <= end), (
            f"{what} at {f.utc_text(at)} is outside wave {number}: {f.utc_text(start)} to {f.utc_text(end)}")
        checked += 1

    if text:
        shown = {int(m[1]): (m[2], m[3]) for line in text.splitlines() if (m := _STATUS_WAVE.match(line))}
        assert shown == {n: (f.utc_text(a), f.utc_text(b)) for n, (a, b) in waves.items()}, shown
    for d in follow:  # --follow --json: a transition of a server, or of a wave once it started
        if d.get("type") == "transition" and d.get("wave") in waves and not (
                d["kind"] == "wave" and d["status"] in _BEFORE_START):
            within(d["wave"], parse_time(d["at"]), f"follow --json: {d['text']}")
    for line in follow_text:
        if (m := _FOLLOW_TEXT.match(line)) and int(m[2]) in waves and m[3] not in _BEFORE_START:
            within(int(m[2]), _on_day(waves[int(m[2])][0], m[1]), f"follow: {line}")
    for at, event, server in _HTML_EVENT.findall(page):  # the report's job log
        if server in wave_of and wave_of[server] in waves:
            within(wave_of[server], parse_time(at), f"report: {event} of {server}")
    if events_model is not None:  # the GUI's job log: its Time (UTC) column
        from drs_console.ui.models.execution_models import EventColumn

        assert events_model.rowCount() > 0
        for row in range(events_model.rowCount()):
            number = events_model.index(row, EventColumn.WAVE).data()
            if number and int(number) in waves:
                clock = events_model.index(row, EventColumn.TIME).data()
                event = events_model.index(row, EventColumn.EVENT).data()
                within(int(number), _on_day(waves[int(number)][0], clock), f"GUI job log: {event}")
    assert checked or not (follow or follow_text or page or events_model), "no time of a server was shown"


def _follow_args(as_json: bool) -> argparse.Namespace:
    return argparse.Namespace(json=as_json, local_time=False, refresh=1.0)


def launch_seen_late(harness, sim, cli, tmp_path, qtbot):
    """A drill of three servers, one failing; `status --follow` (text and --json) read DRS once
    more than a second after the wave's job ended, before the state machine wrote that end as the
    wave's. Every launch and failure is stamped within the wave, in every view."""
    from tests.runs.views_agree import _assert_views_agree

    servers = harness.healthy(3)
    sim.fail_next_launch(servers[1])
    plan = harness.plan([servers], name="Late launches", policy=FailurePolicy.CONTINUE)

    async def scenario():
        started = await start_run(harness.conn, harness.location, plan, poll_interval_seconds=STATE_MACHINE_POLL)
        # the follows' monitors read only when poked (their own interval is a minute)
        monitors = [harness.monitor(started, poll_interval=60, min_interval=60, max_interval=60) for _ in range(2)]
        outs = [CliContext(out=io.StringIO(), err=io.StringIO()) for _ in range(2)]
        follows = [asyncio.create_task(run_cmd._watch(ctx, _follow_args(as_json), harness.conn, harness.location,
                                                      started.execution_id, started.execution_arn, [],
                                                      monitor=m))
                   for ctx, m, as_json in zip(outs, monitors, (False, True), strict=True)]

        async def read(what: str) -> None:
            cycles = [m.cycles for m in monitors]
            for m in monitors:
                m.poke()
            await wait_until(lambda: _true(all(m.cycles > c or t.done() for m, c, t in zip(monitors, cycles, follows,
                                                                                          strict=True))),
                             timeout=20, interval=0.02, what=what)

        await wait_until(lambda: _true(all(m.cycles for m in monitors)), timeout=20, interval=0.02,
                         what="the first reads")
        record = await harness.wait_record(started.execution_id, lambda r: r.waves and r.waves[0].job_id,
                                           what="wave 1's job")
        job_id = record.waves[0].job_id
        ended = await wait_until(lambda: _true(sim.job(job_id).get("endDateTime")), timeout=20, interval=0.02,
                                 what="wave 1's job to end")
        await wait_until(lambda: _true(sim.clock.now() >= parse_time(ended) + timedelta(seconds=LATE)),
                         timeout=10, interval=0.02, what="a second after the job's end")
        await read("the late read")
        for m in monitors:  # the race happened: the job was over, the wave still running
            wave = m.last_view.waves[0]
            assert wave.job_ended_at is not None and not wave.status.is_terminal, (
                "the state machine recorded the wave's end before the late read: "
                f"{wave.status} (its poll is {STATE_MACHINE_POLL} s)")
        while not all(t.done() for t in follows):
            await read("the drill to end")
            await asyncio.sleep(0.1)
        codes = [t.result() for t in follows]
        return started.execution_id, codes, [ctx.out.getvalue().splitlines() for ctx in outs]

    execution_id, codes, (text_lines, json_lines) = run(scenario())
    assert codes == [1, 1]  # PARTIAL
    follow = [json.loads(line) for line in json_lines]
    late = [d for d in follow if d.get("kind") == "server" and d["wave"] == 1
            and d["server"]["launchStatus"] in ("LAUNCHED", "FAILED")]
    assert {d["server"]["sourceServerId"]: d["server"]["launchStatus"] for d in late} == {
        servers[0]: "LAUNCHED", servers[1]: "FAILED", servers[2]: "LAUNCHED"}
    doc, _view = _assert_views_agree(harness, cli, execution_id, tmp_path, qtbot, follow=follow)
    assert [w["status"] for w in doc["waves"]] == ["PARTIAL"] and doc["serversFailed"] == 1
    assert_within_their_waves(doc, follow_text=text_lines)
    # seen late, dated when DRS's job (the wave) ended: the same second as the wave's end
    wave_end = doc["waves"][0]["endedAt"]
    assert {d["at"] for d in late} == {wave_end}
    assert any(line.startswith(f"{wave_end[11:19]} UTC wave 1 ") and " server " in line for line in text_lines)


async def _true(value):
    return value
