"""What a desktop notification says, from two views of an execution: the domain's words for the
status, the wave, the counts, the failed servers and the times (tests/runs/views_agree.py checks
them against `status` and --json end to end)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from drs_console.domain.progress import diff_views
from drs_console.domain.status import ExecutionStatus as S
from drs_console.domain.status import LaunchStatus
from drs_console.ui.notifications import Kind, transitions
from tests.ui.execution_fakes import T0, server, view, wave

END = T0 + timedelta(minutes=4, seconds=5)


def _failed_wave(n_failed: int):
    servers = [server(i, launch=LaunchStatus.FAILED, reason="InsufficientInstanceCapacity") for i in range(n_failed)]
    servers.append(server(n_failed, launch=LaunchStatus.LAUNCHED, instance="i-0abc", state="RUNNING"))
    return wave(0, S.PARTIAL, job="drsjob-aaaa1", start=T0, end=END, servers=servers, launched=1, failed=n_failed)


def test_a_failed_wave_names_its_failed_servers_and_its_end():
    before = view("e1", S.RUNNING, waves=(wave(0, S.STARTED, job="drsjob-aaaa1", start=T0),))
    after = view("e1", S.RUNNING, waves=(_failed_wave(5),))
    (note,) = transitions(before, after)
    assert note.kind == Kind.WAVE_FAILED and note.critical
    assert note.title == 'DRILL Payments regional failover: wave 1 "Databases" PARTIAL: 5 of 6 servers failed to launch'
    assert note.message == ("5 of 6 servers failed to launch: pay-srv-00 (s-00000000000000000), pay-srv-01 "
                            "(s-00000000000000001), pay-srv-02 (s-00000000000000002) and 2 more; "
                            "ended 2024-06-03 03:02:05 UTC")


def test_pause_and_end_say_what_the_follow_lines_say():
    running = view("e1", S.RUNNING, waves=(wave(0, S.COMPLETED, job="j1", start=T0, end=T0), wave(1, None)))
    paused = view("e1", S.PAUSED, waves=(wave(0, S.COMPLETED, job="j1", start=T0, end=T0),
                                        wave(1, S.PAUSED, pause=True)))
    (note,) = transitions(running, paused)
    follow = next(t.text for t in diff_views(running, paused, T0) if t.kind == "execution")
    assert note.title == "DRILL Payments regional failover: PAUSED before wave 2 \"Application tier\""
    assert follow == 'execution e1: PAUSED before wave 2 "Application tier"'
    ended = replace(view("e1", S.PARTIAL, waves=(_failed_wave(1),), ended=END + timedelta(seconds=2)),
                    error="DrsConsole.WavePartial", cause="1 server failed")
    notes = transitions(view("e1", S.RUNNING, waves=(_failed_wave(1),)), ended)
    assert [n.kind for n in notes] == [Kind.ENDED]
    assert notes[0].message == ("waves 0/1 completed, 1 partial; 1/2 servers launched, 1 failed; "
                                "ended 2024-06-03 03:02:07 UTC; recovery time 4 min 05 s. "
                                "DrsConsole.WavePartial: 1 server failed")


def test_names_from_files_are_shown_escaped():
    hostile = replace(view("e1", S.RUNNING), plan_name="Pay\x1b[2Jments")
    failed = replace(hostile, waves=(replace(_failed_wave(1), name="DB\u202e"),))
    (note,) = transitions(hostile, failed)
    assert "\x1b" not in note.title and "\\x1b[2J" in note.title and "\\u202e" in note.title
