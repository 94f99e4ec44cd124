"""The moto adaptations, unit by unit (no sandbox needed)."""

from __future__ import annotations

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
