"""Contract 1.2's account groups as the console builds and reads them (pure)."""

from __future__ import annotations

from drs_console.aws.backend import build_execution_input, execution_input_errors
from drs_console.domain.contract import WaveJob, WaveRecord, group_by_account
from drs_console.domain.progress import plan_waves

HUB, T1 = "123456789012", "210987654321"
ROLE = f"arn:aws:iam::{T1}:role/drs-console-target"
A, B, C = "s-0000000000000000a", "s-0000000000000000b", "s-0000000000000000c"


def test_a_hub_only_wave_is_sent_as_11_did():
    wave = {"name": "w", "sourceServerIds": [A, B]}
    assert group_by_account(wave, {}, HUB, {}) == wave


def test_groups_keep_the_hub_first_and_carry_snapshots_of_a_point_in_time_wave():
    snaps = [{"sourceServerID": s, "recoverySnapshotID": f"pit-{s[2:]}", "recoverySnapshotTime": "2026-12-01T08:00:00Z"}
             for s in (B, A, C)]
    wave = {"name": "w", "sourceServerIds": [B, A, C], "pointInTime": "2026-12-01T08:00:00Z", "servers": snaps}
    doc = group_by_account(wave, {B: T1, C: T1}, HUB, {T1: ROLE})
    assert doc["accounts"] == [
        {"accountId": HUB, "sourceServerIds": [A], "servers": [snaps[1]]},
        {"accountId": T1, "roleArn": ROLE, "sourceServerIds": [B, C], "servers": [snaps[0], snaps[2]]},
    ]
    full = build_execution_input(plan_id="p", plan_name="p", plan_version=1, waves=[doc], history_table="tbl",
                                 initiated_by="t", execution_id="x1")
    assert full["contractVersion"] == "1.2" and execution_input_errors(full) == []
    read = plan_waves(full["plan"])[0]
    assert read["accounts"] == {A: HUB, B: T1, C: T1}


def test_older_records_read_their_one_job_in_the_default_account():
    old = WaveRecord.from_item({"waveIndex": 0, "status": "COMPLETED", "jobId": "drsjob-1"})
    assert old.jobs == () and old.all_jobs(HUB) == (WaveJob(HUB, "drsjob-1"),)
    new = WaveRecord.from_item({"waveIndex": 0, "status": "COMPLETED", "jobId": "drsjob-1",
                                "jobs": [{"accountId": HUB, "jobId": "drsjob-1"}, {"accountId": T1, "jobId": "drsjob-2"}]})
    assert new.all_jobs(HUB) == (WaveJob(HUB, "drsjob-1"), WaveJob(T1, "drsjob-2"))
