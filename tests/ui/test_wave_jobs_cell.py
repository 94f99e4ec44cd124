"""The waves table's "DRS job ID" cell reads as the report and the follow line do: a wave that ran in
several accounts lists each job with its account, a native step its every job, else its one job."""

from __future__ import annotations

from PySide6.QtCore import Qt

from drs_console.domain.execution import WaveView
from drs_console.domain.progress import wave_line
from drs_console.domain.status import ExecutionStatus
from drs_console.ui.models.execution_models import WaveColumn, WaveModel

HUB, TARGET = "123456789012", "300950662684"


def _cell(w: WaveView) -> str:
    model = WaveModel()
    model.set_items([w])
    return model.data(model.index(0, WaveColumn.JOB_ID), Qt.ItemDataRole.DisplayRole)


def test_a_cross_account_wave_names_each_job_with_its_account(qapp):
    w = WaveView(1, "App", ExecutionStatus.COMPLETED, job_id="drsjob-aaaaaaaaaaaaaaaaa",
                 jobs=((HUB, "drsjob-aaaaaaaaaaaaaaaaa"), (TARGET, "drsjob-bbbbbbbbbbbbbbbbb")))
    text = _cell(w)
    assert text == f"drsjob-aaaaaaaaaaaaaaaaa (account {HUB}), drsjob-bbbbbbbbbbbbbbbbb (account {TARGET})"
    assert text in wave_line(w)


def test_a_single_job_and_a_retried_native_step(qapp):
    assert _cell(WaveView(0, "DB", ExecutionStatus.COMPLETED, job_id="drsjob-aaaaaaaaaaaaaaaaa")) == \
        "drsjob-aaaaaaaaaaaaaaaaa"
    retried = WaveView(0, "DB", ExecutionStatus.COMPLETED, job_id="drsjob-bbbbbbbbbbbbbbbbb",
                       job_ids=("drsjob-aaaaaaaaaaaaaaaaa", "drsjob-bbbbbbbbbbbbbbbbb"))
    assert _cell(retried) == "drsjob-aaaaaaaaaaaaaaaaa, drsjob-bbbbbbbbbbbbbbbbb"
    assert _cell(retried) in wave_line(retried)
