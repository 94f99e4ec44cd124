"""No record may stay active after its execution has ended, even when the execution is gone."""

from __future__ import annotations

import pytest

from drs_console.domain import contract as c
from drs_console.domain.status import ExecutionStatus

pytestmark = pytest.mark.e2e


def test_an_active_record_whose_execution_does_not_exist_ends_failed(backend):
    ddb = backend.sandbox.client("dynamodb")
    table = backend.location.history_table
    execution_id = "orphan-0001"
    missing_arn = f"{backend.location.state_machine_arn.replace(':stateMachine:', ':execution:')}:{execution_id}"
    ddb.put_item(
        TableName=table,
        Item={
            c.PK: {"S": c.execution_pk(execution_id)},
            c.SK: {"S": c.EXECUTION_SK},
            "executionId": {"S": execution_id},
            "status": {"S": "RUNNING"},
            "stateMachineExecutionArn": {"S": missing_arn},
            "waveCount": {"N": "1"},
        },
    )
    ddb.put_item(
        TableName=table,
        Item={
            c.PK: {"S": c.execution_pk(execution_id)},
            c.SK: {"S": c.wave_sk(0)},
            "waveIndex": {"N": "0"},
            "status": {"S": "IN_PROGRESS"},
        },
    )
    record = backend.run(backend.service.reconcile(backend.location, execution_id))
    assert record.status is ExecutionStatus.FAILED
    assert record.error == c.ERROR_EXECUTION_MISSING == "DrsConsole.ExecutionMissing" and missing_arn in record.cause
    assert record.waves[0].status is not None and record.waves[0].status.is_terminal
