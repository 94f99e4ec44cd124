"""The moto adaptations, unit by unit (no sandbox needed)."""

from __future__ import annotations

import boto3
import botocore.session
import pytest

from drs_console.sandbox import stepfunctions_compat as compat


@pytest.fixture(scope="module")
def drs_model():
    return botocore.session.get_session().get_service_model("drs")


def test_request_names_become_sdk_members(drs_model):
    shape = drs_model.operation_model("StartRecovery").input_shape
    out = compat.to_sdk_request(
        {"SourceServers": [{"SourceServerID": "s-1"}], "IsDrill": True, "Tags": {"Keep:Case": "v"}}, shape
    )
    assert out == {"sourceServers": [{"sourceServerID": "s-1"}], "isDrill": True, "tags": {"Keep:Case": "v"}}


def test_response_names_become_pascal_case(drs_model):
    shape = drs_model.operation_model("DescribeJobs").output_shape
    out = compat.from_sdk_response(
        {"items": [{"jobID": "drsjob-1", "participatingServers": [{"launchStatus": "LAUNCHED"}], "tags": {"a": "b"}}]},
        shape,
    )
    assert out == {
        "Items": [{"JobID": "drsjob-1", "ParticipatingServers": [{"LaunchStatus": "LAUNCHED"}], "Tags": {"a": "b"}}]
    }


@pytest.mark.parametrize(
    "path, definite",
    [
        ("$.Items[0].Status", True),
        ("$.a.b", True),
        ("$.x[?(@.s == 'A')]", False),
        ("$.x[*].y", False),
        ("$..y", False),
        ("$.x[1:3]", False),
    ],
)
def test_definite_paths(path, definite):
    assert compat.is_definite_path(path) is definite


def test_json_path_adaptations():
    compat.apply()
    compat.apply()  # idempotent
    from moto.stepfunctions.parser.asl.eval import states
    from moto.stepfunctions.parser.asl.utils import json_path

    data = {"Items": [{"Status": "COMPLETED", "S": [{"L": "LAUNCHED"}]}]}
    assert json_path.extract_json("$.Items[0].Status", data) == "COMPLETED"
    assert json_path.extract_json("$.Items[0]", data) == data["Items"][0]
    assert json_path.extract_json("$.Items[0].S[?(@.L == 'FAILED')]", data) == []
    assert json_path.extract_json("$.Items[0].S[?(@.L == 'LAUNCHED')]", data) == [{"L": "LAUNCHED"}]
    assert states.extract_json is json_path.extract_json
    with pytest.raises(json_path.NoSuchJsonPathError):
        json_path.extract_json("$.Missing", data)


def test_error_prefix_and_timestamps():
    compat.apply()
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as sdk,
    )

    assert sdk.StateTaskServiceAwsSdk._normalise_service_error_name("drs") == "Drs"
    import datetime

    ts = compat.aws_timestamp(datetime.datetime(2024, 1, 31, 12, 0, 0, 123456, tzinfo=datetime.UTC))
    assert ts == "2024-01-31T12:00:00.123Z"
    assert compat.applied()


def _table_t():
    """A DynamoDB client of moto's (inside mock_aws) with an empty table "t" keyed by PK."""
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}])
    return ddb


def test_conditional_writes_are_check_and_set(monkeypatch):
    """Five writers race to create one lease item: exactly one wins, even with a slow condition
    check (moto evaluates the condition and writes in two steps; AWS does both atomically)."""
    import threading
    import time

    from moto import mock_aws
    from moto.dynamodb.models import table as moto_table

    compat.apply()
    original = moto_table.get_filter_expression

    def slow_filter(*args, **kwargs):
        op = original(*args, **kwargs)
        check = op.expr

        def expr(item):
            time.sleep(0.02)  # widen the window between the check and the write
            return check(item)

        op.expr = expr
        return op

    monkeypatch.setattr(moto_table, "get_filter_expression", slow_filter)
    with mock_aws():
        ddb = _table_t()
        wins: list[str] = []
        barrier = threading.Barrier(5)

        def take(holder: str) -> None:
            barrier.wait()
            try:
                ddb.put_item(TableName="t", Item={"PK": {"S": "LEASE#s-1"}, "holder": {"S": holder}},
                             ConditionExpression="attribute_not_exists(PK)")
                wins.append(holder)
            except ddb.exceptions.ConditionalCheckFailedException:
                pass

        threads = [threading.Thread(target=take, args=(f"e{i}",)) for i in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert len(wins) == 1
        item = ddb.get_item(TableName="t", Key={"PK": {"S": "LEASE#s-1"}})["Item"]
        assert item["holder"]["S"] == wins[0]


def test_a_scan_never_sees_an_item_half_written(monkeypatch):
    """moto writes an UpdateItem's new item in steps (its keys, then each attribute). A Scan made
    while the update is held half way sees the item whole once the update ends, never its keys
    alone (the race held open: the update waits until the scan has finished, or is waiting)."""
    import threading
    import time

    from moto import mock_aws
    from moto.dynamodb import models as ddb_models

    compat.apply()
    half_written, release = threading.Event(), threading.Event()
    real_executor = ddb_models.UpdateExpressionExecutor

    class HeldExecutor(real_executor):
        def execute(self, *args, **kwargs):
            half_written.set()  # the item is stored with its keys alone
            assert release.wait(30)
            return super().execute(*args, **kwargs)

    class WatchedLock:
        """The compat's request lock, telling when a request waits for it."""

        def __init__(self, lock):
            self._lock, self.waiting = lock, threading.Event()

        def __enter__(self):
            if not self._lock.acquire(blocking=False):
                self.waiting.set()
                self._lock.acquire()

        def __exit__(self, *exc):
            self._lock.release()

    lock = WatchedLock(compat._ddb_write_lock)
    monkeypatch.setattr(compat, "_ddb_write_lock", lock)
    monkeypatch.setattr(ddb_models, "UpdateExpressionExecutor", HeldExecutor)
    with mock_aws():
        ddb = _table_t()
        scanned: list[list[dict]] = []
        update = threading.Thread(target=lambda: ddb.update_item(
            TableName="t", Key={"PK": {"S": "EXEC#1"}}, UpdateExpression="SET executionId = :e, #s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":e": {"S": "1"}, ":s": {"S": "RUNNING"}}))
        scan = threading.Thread(target=lambda: scanned.append(ddb.scan(TableName="t")["Items"]))
        update.start()
        assert half_written.wait(30)
        scan.start()
        deadline = time.monotonic() + 30
        while not (lock.waiting.is_set() or scanned):  # the scan waits for the update, or has read
            assert time.monotonic() < deadline, "the scan neither read nor waited"
            time.sleep(0.005)
        release.set()
        update.join(30)
        scan.join(30)
    assert scanned == [[{"PK": {"S": "EXEC#1"}, "executionId": {"S": "1"}, "status": {"S": "RUNNING"}}]]
