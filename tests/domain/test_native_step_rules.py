"""What the GUI allows on a DRS native execution's step (``domain.native_view.step_refusal``) and
how it writes a native status beside ours: the same rules NativeEngine.retry_step/skip_step apply."""

from __future__ import annotations

from drs_console.domain.execution import Engine, ExecutionType, ExecutionView, WaveView
from drs_console.domain.native_view import status_with_native, step_refusal
from drs_console.domain.status import ExecutionStatus as S


def _view(*steps: tuple[S | None, str, str], status: S = S.FAILED, native: str = "") -> ExecutionView:
    waves = tuple(WaveView(i, f"Step {i + 1}", st, native_status=raw, step_kind=kind, wait_minutes=5 if kind == "WAIT"
                           else 0) for i, (st, raw, kind) in enumerate(steps))
    return ExecutionView("rpe-1", "p", "Plan", ExecutionType.DRILL, status, waves=waves, engine=Engine.NATIVE,
                         native_status=native)


def test_a_failed_server_step_can_be_retried_and_skipped_a_running_or_wait_step_cannot():
    view = _view((S.FAILED, "", "SERVER"), (S.PENDING, "NOT_STARTED", "SERVER"), (S.IN_PROGRESS, "WAITING", "WAIT"))
    assert step_refusal(view, 0, "retry") == "" and step_refusal(view, 0, "skip") == ""
    assert "NOT_STARTED" in step_refusal(view, 1, "retry") and step_refusal(view, 1, "skip") == ""
    assert "WAIT step" in step_refusal(view, 2, "retry")
    assert "cancel the execution instead" in step_refusal(view, 2, "skip")
    assert "no step 4" in step_refusal(view, 3, "skip")
    timed_out = _view((S.TIMEOUT, "TIMED_OUT", "SERVER"))
    assert step_refusal(timed_out, 0, "retry") == ""
    done = _view((S.COMPLETED, "", "SERVER"), status=S.COMPLETED)
    assert "COMPLETED" in step_refusal(done, 0, "retry") and "COMPLETED" in step_refusal(done, 0, "skip")
    cancelling = _view((S.FAILED, "", "SERVER"), status=S.CANCELLING, native="CANCELLING")
    assert "CANCELLING" in step_refusal(cancelling, 0, "retry")


def test_the_native_status_is_written_beside_ours_only_where_it_differs():
    assert status_with_native(S.CANCELLED, "SKIPPED") == "CANCELLED (native SKIPPED)"
    assert status_with_native(S.IN_PROGRESS, "WAITING") == "IN_PROGRESS (native WAITING)"
    assert status_with_native(S.COMPLETED, "") == status_with_native(S.COMPLETED, "COMPLETED") == "COMPLETED"
    assert status_with_native(None, "NOT_STARTED") == "NOT_STARTED"
