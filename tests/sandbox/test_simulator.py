"""DRS behaviour through the HTTP API of a started Sandbox (boto3, manual clock)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from drs_console.domain.inventory import servers_from_drs
from drs_console.sandbox import Sandbox
from drs_console.sandbox.records import drs_time


def _error(exc_info) -> tuple[str, int]:
    err = exc_info.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]


def _start(drs, ids, *, drill=True, **kwargs):
    return drs.start_recovery(sourceServers=[{"sourceServerID": i} for i in ids], isDrill=drill, **kwargs)[
        "job"
    ]


def _job(drs, job_id):
    return drs.describe_jobs(filters={"jobIDs": [job_id]})["items"][0]


def _server(drs, sid):
    return drs.describe_source_servers(filters={"sourceServerIDs": [sid]})["items"][0]


def _events(drs, job_id):
    return drs.describe_job_log_items(jobID=job_id)["items"]


def _healthy(sandbox: Sandbox) -> list[str]:
    """Servers DRS can launch (continuous replication: the seed also has servers in initial sync,
    which have no recovery snapshot yet)."""
    sim = sandbox.drs
    return [s for s in sim.server_ids() if sim.server(s)["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS"]


# --- jobs ---------------------------------------------------------------------------------------
def test_job_progresses_through_statuses_and_log_items(sandbox: Sandbox, drs):
    ids = _healthy(sandbox)[:3]
    job = _start(drs, ids, tags={"Plan": "wave-1"})
    assert job["status"] == "PENDING"
    assert job["type"] == "LAUNCH" and job["initiatedBy"] == "START_DRILL"
    assert job["tags"] == {"Plan": "wave-1"}
    assert [p["launchStatus"] for p in job["participatingServers"]] == ["PENDING"] * 3
    server = _server(drs, ids[0])
    assert server["lastLaunchResult"] == "PENDING"
    initiated = server["lifeCycle"]["lastLaunch"]["initiated"]
    assert initiated["jobID"] == job["jobID"] and initiated["type"] == "DRILL"
    assert _events(drs, job["jobID"]) == []

    sandbox.clock.advance(30)  # started, snapshots running
    job = _job(drs, job["jobID"])
    assert job["status"] == "STARTED"
    assert {p["launchStatus"] for p in job["participatingServers"]} == {"IN_PROGRESS"}
    assert _server(drs, ids[0])["lifeCycle"]["lastLaunch"]["status"] == "IN_PROGRESS"
    events = [e["event"] for e in _events(drs, job["jobID"])]
    assert events[0] == "JOB_START" and events.count("SNAPSHOT_START") == 3

    sandbox.clock.advance(600)
    job = _job(drs, job["jobID"])
    assert job["status"] == "COMPLETED" and "endDateTime" in job
    assert {p["launchStatus"] for p in job["participatingServers"]} == {"LAUNCHED"}
    log = _events(drs, job["jobID"])
    assert log[0]["event"] == "JOB_START" and log[-1]["event"] == "JOB_END"
    assert [e["logDateTime"] for e in log] == sorted(e["logDateTime"] for e in log)
    for sid in ids:
        mine = [e for e in log if e.get("eventData", {}).get("sourceServerID") == sid]
        assert [e["event"] for e in mine] == [
            "SNAPSHOT_START",
            "SNAPSHOT_END",
            "CONVERSION_START",
            "CONVERSION_END",
            "LAUNCH_START",
        ]
        assert mine[2]["eventData"]["conversionServerID"].startswith("i-")
        target = mine[4]["eventData"]["targetInstanceID"]
        server = _server(drs, sid)
        assert server["lastLaunchResult"] == "SUCCEEDED"
        assert server["lifeCycle"]["lastLaunch"]["status"] == "LAUNCHED"
        assert server["recoveryInstanceId"] == target
        participant = next(p for p in job["participatingServers"] if p["sourceServerID"] == sid)
        assert participant["recoveryInstanceID"] == target


def test_job_takes_a_few_simulated_minutes(sandbox: Sandbox, drs):
    job = _start(drs, _healthy(sandbox)[:5])
    sandbox.clock.advance(120)
    assert _job(drs, job["jobID"])["status"] == "STARTED"
    sandbox.clock.advance(480)
    assert _job(drs, job["jobID"])["status"] == "COMPLETED"


def test_failure_injection(sandbox: Sandbox, drs):
    ids = _healthy(sandbox)[:4]
    sandbox.drs.fail_servers([ids[0]])
    job = _start(drs, ids, drill=False)
    assert job["initiatedBy"] == "START_RECOVERY"
    sandbox.clock.advance(600)
    job = _job(drs, job["jobID"])
    assert job["status"] == "COMPLETED"
    statuses = {p["sourceServerID"]: p["launchStatus"] for p in job["participatingServers"]}
    assert statuses == {ids[0]: "FAILED", ids[1]: "LAUNCHED", ids[2]: "LAUNCHED", ids[3]: "LAUNCHED"}
    failed = [e for e in _events(drs, job["jobID"]) if e["event"] == "LAUNCH_FAILED"]
    assert len(failed) == 1 and failed[0]["eventData"]["sourceServerID"] == ids[0]
    assert failed[0]["eventData"]["rawError"]
    server = _server(drs, ids[0])
    assert server["lastLaunchResult"] == "FAILED"
    assert server["lifeCycle"]["lastLaunch"] == {
        "initiated": {"apiCallDateTime": job["creationDateTime"], "jobID": job["jobID"], "type": "RECOVERY"},
        "status": "FAILED",
    }
    assert "recoveryInstanceId" not in server
    assert drs.describe_recovery_instances(filters={"sourceServerIDs": [ids[0]]})["items"] == []

    sandbox.drs.clear_failures()
    sandbox.drs.set_launch_failure_rate(1.0)
    job = _start(drs, ids[1:3])
    sandbox.clock.advance(600)
    assert {p["launchStatus"] for p in _job(drs, job["jobID"])["participatingServers"]} == {"FAILED"}


def _conforms(value, shape, path="") -> list[str]:
    """Where ``value`` (a parsed answer) strays from botocore's ``shape``: unknown members, enum
    values the model does not list, wrong types."""
    problems: list[str] = []
    if shape.type_name == "structure":
        if not isinstance(value, dict):
            return [f"{path}: not a structure"]
        for key, item in value.items():
            if key not in shape.members:
                problems.append(f"{path}.{key}: not a member of {shape.name}")
            else:
                problems += _conforms(item, shape.members[key], f"{path}.{key}")
    elif shape.type_name == "list":
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        for i, item in enumerate(value):
            problems += _conforms(item, shape.member, f"{path}[{i}]")
    elif shape.type_name == "map":
        for key, item in value.items():
            problems += _conforms(item, shape.value, f"{path}[{key}]")
    elif shape.type_name == "string":
        if not isinstance(value, str):
            problems.append(f"{path}: not a string")
        elif shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r} is not in {shape.name}")
    return problems


def _answer_conforms(operation: str, answer: dict) -> list[str]:
    import botocore.session

    shape = botocore.session.get_session().get_service_model("drs").operation_model(operation).output_shape
    return _conforms({k: v for k, v in answer.items() if k != "ResponseMetadata"}, shape, operation)


@pytest.mark.parametrize("drill", [True, False], ids=["drill", "recovery"])
def test_a_server_without_a_recovery_snapshot_fails_in_the_job_with_the_reason(sandbox: Sandbox, drs, drill):
    """DRS cannot launch what it holds no recovery snapshot of: a server in initial sync, or one
    whose replication stopped before its first snapshot, fails in the job (the others launch), and
    the job log's LAUNCH_FAILED says why."""
    sim = sandbox.drs
    ok, dead = _healthy(sandbox)[:2]
    syncing = next(s for s in sim.server_ids()
                   if sim.server(s)["dataReplicationInfo"]["dataReplicationState"] == "INITIAL_SYNC")
    sim.set_replication_state(dead, "DISCONNECTED", lag_seconds=900 * 86400)  # silent since before it was added
    for sid in (syncing, dead):
        assert drs.describe_recovery_snapshots(sourceServerID=sid)["items"] == []
    job = _start(drs, [ok, syncing, dead], drill=drill)
    sandbox.clock.advance(600)
    answer = drs.describe_jobs(filters={"jobIDs": [job["jobID"]]})
    assert _answer_conforms("DescribeJobs", answer) == []
    job = answer["items"][0]
    assert job["status"] == "COMPLETED"
    assert {p["sourceServerID"]: p["launchStatus"] for p in job["participatingServers"]} == {
        ok: "LAUNCHED", syncing: "FAILED", dead: "FAILED"}
    log = drs.describe_job_log_items(jobID=job["jobID"])
    assert _answer_conforms("DescribeJobLogItems", log) == []
    for sid, words in ((syncing, "INITIAL_SYNC"), (dead, "DISCONNECTED")):
        mine = [e for e in log["items"] if e.get("eventData", {}).get("sourceServerID") == sid]
        assert [e["event"] for e in mine] == ["LAUNCH_FAILED"]  # no snapshot, conversion or launch was tried
        assert set(mine[0]["eventData"]) == {"sourceServerID", "rawError"}
        reason = mine[0]["eventData"]["rawError"]
        assert "no recovery snapshot" in reason and words in reason and sid in reason
        assert log["items"][0]["logDateTime"] <= mine[0]["logDateTime"] <= log["items"][-1]["logDateTime"]
        server = _server(drs, sid)
        assert server["lastLaunchResult"] == "FAILED" and server["lifeCycle"]["lastLaunch"]["status"] == "FAILED"
        assert server["lifeCycle"]["lastLaunch"]["initiated"]["type"] == ("DRILL" if drill else "RECOVERY")
    instances = drs.describe_recovery_instances()["items"]
    assert [i["sourceServerID"] for i in instances] == [ok]
    sim.set_replication_state(dead, "CONTINUOUS")


def test_conflict_for_servers_in_an_active_job(sandbox: Sandbox, drs):
    ids = sandbox.drs.server_ids()
    _start(drs, ids[:2])
    with pytest.raises(ClientError) as exc:
        _start(drs, [ids[1], ids[2]])
    assert _error(exc) == ("ConflictException", 409)
    assert exc.value.response["resourceId"] == ids[1]
    _start(drs, [ids[2]])  # others are free
    sandbox.clock.advance(600)
    _start(drs, ids[:2])  # free again once the job completed


def test_quota_and_request_limits(sandbox: Sandbox, drs):
    ids = sandbox.drs.server_ids()
    assert sandbox.drs.job_quota == 100
    sandbox.drs.set_job_quota(3)
    with pytest.raises(ClientError) as exc:
        _start(drs, ids[:4])
    assert _error(exc) == ("ServiceQuotaExceededException", 402)
    _start(drs, ids[:3])
    # more than 200 servers in one request is invalid whatever the quota
    sandbox.drs.set_job_quota(1000)
    with pytest.raises(ClientError) as exc:
        _start(drs, [ids[10]] * 201)
    assert _error(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        _start(drs, ["s-0000000000000000f"])
    assert _error(exc) == ("ResourceNotFoundException", 404)
    assert sandbox.drs.active_job_ids() and len(sandbox.drs.job_ids()) == 1


def test_throttling(sandbox: Sandbox, drs):
    sandbox.drs.set_throttle_rate(1.0)
    with pytest.raises(ClientError) as exc:
        drs.describe_jobs()
    assert _error(exc) == ("ThrottlingException", 429)
    response = exc.value.response
    assert response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"
    assert response["retryAfterSeconds"] == "1"  # botocore reads it from the header (the model's place)
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ThrottlingException"

    sandbox.drs.set_throttle_rate(0.3)
    retrying = sandbox.client("drs", config=Config(retries={"max_attempts": 10, "mode": "standard"}))
    attempts = 0
    for _ in range(6):
        result = retrying.describe_source_servers(maxResults=1)
        attempts += result["ResponseMetadata"]["RetryAttempts"]
        assert len(result["items"]) == 1
    assert attempts > 0  # some calls were throttled and retried


def test_describe_source_servers_pagination_and_filters(sandbox: Sandbox, drs):
    all_ids = sandbox.drs.server_ids()
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"maxResults": 25} | ({"nextToken": token} if token else {})
        page = drs.describe_source_servers(**kwargs)
        seen += [i["sourceServerID"] for i in page["items"]]
        pages += 1
        token = page.get("nextToken")
        if not token:
            break
    assert pages == 3 and seen == all_ids
    paginated = drs.get_paginator("describe_source_servers").paginate(PaginationConfig={"PageSize": 7})
    assert [i["sourceServerID"] for p in paginated for i in p["items"]] == all_ids
    assert len(drs.describe_source_servers()["items"]) == 60
    some = drs.describe_source_servers(filters={"sourceServerIDs": all_ids[:3]})["items"]
    assert [i["sourceServerID"] for i in some] == all_ids[:3]
    items = drs.describe_source_servers()["items"]
    hw = items[5]["sourceProperties"]["identificationHints"]["awsInstanceID"]
    assert [
        i["sourceServerID"] for i in drs.describe_source_servers(filters={"hardwareId": hw})["items"]
    ] == [all_ids[5]]
    extended = [i for i in items if i["stagingArea"]["status"] == "EXTENDED"]
    staging = extended[0]["stagingArea"]["stagingAccountID"]
    by_staging = drs.describe_source_servers(filters={"stagingAccountIDs": [staging]})["items"]
    assert by_staging and all(i["stagingArea"]["stagingAccountID"] == staging for i in by_staging)
    with pytest.raises(ClientError) as exc:
        drs.describe_source_servers(nextToken="garbage")
    assert _error(exc) == ("ValidationException", 400)
    assert len(servers_from_drs(items)) == 60


def test_describe_jobs_order_dates_and_pagination(sandbox: Sandbox, drs):
    ids = sandbox.drs.server_ids()
    made = []
    for i in range(5):
        made.append(_start(drs, [ids[i]]))
        sandbox.clock.advance(3600)
    newest_first = [j["jobID"] for j in drs.describe_jobs()["items"]]
    assert newest_first == [j["jobID"] for j in reversed(made)]
    assert all(j["status"] == "COMPLETED" for j in drs.describe_jobs()["items"])

    pages = drs.get_paginator("describe_jobs").paginate(PaginationConfig={"PageSize": 2})
    assert [j["jobID"] for p in pages for j in p["items"]] == newest_first

    t1 = made[1]["creationDateTime"]
    t3 = made[3]["creationDateTime"]
    ranged = drs.describe_jobs(filters={"fromDate": t1, "toDate": t3})["items"]
    assert [j["jobID"] for j in ranged] == [made[3]["jobID"], made[2]["jobID"], made[1]["jobID"]]
    # 'Z' form as the model's pattern has it
    z = (sandbox.clock.now() - timedelta(hours=2, minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [j["jobID"] for j in drs.describe_jobs(filters={"fromDate": z})["items"]] == [
        made[4]["jobID"],
        made[3]["jobID"],
    ]
    assert (
        drs.describe_jobs(filters={"toDate": drs_time(sandbox.clock.now() - timedelta(days=1))})["items"]
        == []
    )


def test_recovery_instances_and_is_drill(sandbox: Sandbox, drs):
    ids = _healthy(sandbox)
    drill = _start(drs, ids[:2], drill=True)
    recovery = _start(drs, ids[2:3], drill=False)
    sandbox.clock.advance(600)
    instances = drs.describe_recovery_instances()["items"]
    assert len(instances) == 3
    by_source = {i["sourceServerID"]: i for i in instances}
    assert by_source[ids[0]]["isDrill"] is True and by_source[ids[0]]["jobID"] == drill["jobID"]
    assert by_source[ids[2]]["isDrill"] is False and by_source[ids[2]]["jobID"] == recovery["jobID"]
    for inst in instances:
        assert inst["recoveryInstanceID"] == inst["ec2InstanceID"] and inst["recoveryInstanceID"].startswith(
            "i-"
        )
        assert inst["ec2InstanceState"] == "RUNNING"
        assert inst["originEnvironment"] == "AWS"
        assert inst["tags"]["Name"]
        assert drs.list_tags_for_resource(resourceArn=inst["arn"])["tags"] == inst["tags"]
    rid = by_source[ids[1]]["recoveryInstanceID"]
    only = drs.describe_recovery_instances(filters={"recoveryInstanceIDs": [rid]})["items"]
    assert [i["sourceServerID"] for i in only] == [ids[1]]
    assert [
        i["recoveryInstanceID"]
        for i in drs.describe_recovery_instances(filters={"sourceServerIDs": [ids[1]]})["items"]
    ] == [rid]

    # a new drill replaces the previous recovery instance
    again = _start(drs, [ids[1]])
    sandbox.clock.advance(600)
    new_rid = _server(drs, ids[1])["recoveryInstanceId"]
    assert new_rid != rid
    states = {
        i["recoveryInstanceID"]: i["ec2InstanceState"] for i in drs.describe_recovery_instances()["items"]
    }
    assert states[rid] == "TERMINATED" and states[new_rid] == "RUNNING"
    assert _job(drs, again["jobID"])["participatingServers"][0]["recoveryInstanceID"] == new_rid


def test_terminate_recovery_instances(sandbox: Sandbox, drs):
    ids = _healthy(sandbox)[:2]
    _start(drs, ids)
    sandbox.clock.advance(600)
    rids = [i["recoveryInstanceID"] for i in drs.describe_recovery_instances()["items"]]
    job = drs.terminate_recovery_instances(recoveryInstanceIDs=rids)["job"]
    assert job["type"] == "TERMINATE" and job["initiatedBy"] == "TERMINATE_RECOVERY_INSTANCES"
    assert job["status"] == "PENDING"
    assert {p["recoveryInstanceID"] for p in job["participatingServers"]} == set(rids)
    with pytest.raises(ClientError) as exc:
        drs.terminate_recovery_instances(recoveryInstanceIDs=rids[:1])
    assert _error(exc) == ("ConflictException", 409)

    sandbox.clock.advance(20)
    assert {i["ec2InstanceState"] for i in drs.describe_recovery_instances()["items"]} == {"SHUTTING-DOWN"}
    sandbox.clock.advance(120)
    job = _job(drs, job["jobID"])
    assert job["status"] == "COMPLETED"
    assert {p["launchStatus"] for p in job["participatingServers"]} == {"TERMINATED"}
    assert {i["ec2InstanceState"] for i in drs.describe_recovery_instances()["items"]} == {"TERMINATED"}
    assert all("recoveryInstanceId" not in _server(drs, sid) for sid in ids)
    events = [e["event"] for e in _events(drs, job["jobID"])]
    assert events[0] == "JOB_START" and events[-1] == "JOB_END" and events.count("CLEANUP_END") == 2
    sandbox.clock.advance(3600)  # DRS forgets terminated recovery instances
    assert drs.describe_recovery_instances()["items"] == []
    with pytest.raises(ClientError) as exc:
        drs.terminate_recovery_instances(recoveryInstanceIDs=rids)
    assert _error(exc) == ("ResourceNotFoundException", 404)


def test_delete_job(sandbox: Sandbox, drs):
    job = _start(drs, _healthy(sandbox)[:1])
    with pytest.raises(ClientError) as exc:
        drs.delete_job(jobID=job["jobID"])
    assert _error(exc) == ("ConflictException", 409)
    sandbox.clock.advance(600)
    response = drs.delete_job(jobID=job["jobID"])
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert drs.describe_jobs()["items"] == []
    with pytest.raises(ClientError) as exc:
        drs.delete_job(jobID=job["jobID"])
    assert _error(exc) == ("ResourceNotFoundException", 404)


def test_list_tags_for_resource(sandbox: Sandbox, drs):
    item = drs.describe_source_servers(maxResults=1)["items"][0]
    assert drs.list_tags_for_resource(resourceArn=item["arn"])["tags"] == item["tags"]
    drs.tag_resource(resourceArn=item["arn"], tags={"Wave": "1"})
    drs.untag_resource(resourceArn=item["arn"], tagKeys=["Tier"])
    expected = {k: v for k, v in item["tags"].items() if k != "Tier"} | {"Wave": "1"}
    assert drs.list_tags_for_resource(resourceArn=item["arn"])["tags"] == expected
    with pytest.raises(ClientError) as exc:
        drs.list_tags_for_resource(
            resourceArn="arn:aws:drs:us-east-1:123456789012:job/drsjob-00000000000000000"
        )
    assert _error(exc) == ("ResourceNotFoundException", 404)


def test_validation_errors(sandbox: Sandbox, drs_unvalidated):
    drs = drs_unvalidated
    cases = [
        (lambda: drs.describe_job_log_items(), "jobID"),
        (lambda: drs.describe_job_log_items(jobID="nope"), "jobID"),
        (lambda: drs.describe_source_servers(maxResults=0), "maxResults"),
        (lambda: drs.start_recovery(sourceServers=[]), "sourceServers"),
        (
            lambda: drs.start_recovery(sourceServers=[{"sourceServerID": "s-1"}]),
            "sourceServers[0].sourceServerID",
        ),
        (lambda: drs.describe_jobs(filters={"fromDate": "yesterday"}), "filters.fromDate"),
        (
            lambda: drs.start_recovery(
                sourceServers=[{"sourceServerID": "s-0000000000000000f"}], isDrill="yes"
            ),
            "isDrill",
        ),
    ]
    for call, field in cases:
        with pytest.raises(ClientError) as exc:
            call()
        assert _error(exc) == ("ValidationException", 400), field
        response = exc.value.response
        assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ValidationException"
        assert response["reason"] == "fieldValidationFailed"
        assert field in [f["name"] for f in response["fieldList"]], (field, response["fieldList"])
        assert response["Error"]["Message"]
    assert sandbox.drs.job_ids() == []


def _raw_post(sandbox: Sandbox, path: str, body: bytes) -> tuple[int, dict, dict]:
    """A signed request that no SDK would send (botocore cannot serialize unknown members)."""
    import json
    import urllib.error
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = sandbox.endpoint_url + path
    req = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials("x", "y"), "drs", sandbox.region).add_auth(req)
    prepared = urllib.request.Request(url, data=body, headers=dict(req.headers.items()), method="POST")
    try:
        with urllib.request.urlopen(prepared, timeout=10) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read() or b"{}")


def test_unknown_parameters_and_bad_json_are_rejected(sandbox: Sandbox):
    status, headers, body = _raw_post(sandbox, "/DescribeJobs", b'{"filters": {"bogus": 1}, "extra": true}')
    assert status == 400 and headers["x-amzn-ErrorType"] == "ValidationException"
    assert {f["name"] for f in body["fieldList"]} == {"filters.bogus", "extra"}
    status, headers, body = _raw_post(sandbox, "/DescribeJobs", b"{not json")
    assert status == 400 and body["reason"] == "cannotParse"
    status, _, body = _raw_post(sandbox, "/DescribeJobs", b"")
    assert status == 200 and body == {"items": []}


def test_concurrent_clients(sandbox: Sandbox):
    sandbox.clock.set_manual(False)
    sandbox.clock.speed = 1000.0
    ids = sandbox.drs.server_ids()

    def work(i: int) -> int:
        client = sandbox.client("drs")
        client.start_recovery(sourceServers=[{"sourceServerID": ids[i]}], isDrill=True)
        n = 0
        for _ in range(5):
            n += len(client.describe_source_servers()["items"])
            client.describe_jobs()
        return n

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(work, range(8))) == [300] * 8
    assert len(sandbox.drs.job_ids()) == 8


def test_clean_state_after_stop_and_start():
    with Sandbox(manual_clock=True, servers=12, seed=11) as first:
        drs = first.client("drs")
        ids = first.drs.server_ids()
        drs.start_recovery(sourceServers=[{"sourceServerID": ids[0]}])
        first.clock.advance(600)
        assert drs.describe_recovery_instances()["items"]
    assert not first.running
    first.stop()  # idempotent
    with Sandbox(manual_clock=True, servers=12, seed=11) as second:
        drs = second.client("drs")
        assert second.drs.server_ids() == ids  # same seed, same servers
        assert drs.describe_jobs()["items"] == []
        assert drs.describe_recovery_instances()["items"] == []
        assert {i["lastLaunchResult"] for i in drs.describe_source_servers()["items"]} == {"NOT_STARTED"}
    with Sandbox(manual_clock=True, servers=5, seed=12) as third:
        assert len(third.drs.server_ids()) == 5 and third.drs.server_ids()[0] not in ids


def test_connection_params_and_one_sandbox_at_a_time(sandbox: Sandbox):
    import os

    params = sandbox.connection_params()
    assert params.is_sandbox and params.label == "Sandbox"
    assert params.static_credentials == ("sandbox-access-key", "sandbox-secret")
    assert params.endpoint_url == sandbox.endpoint_url and params.region == "us-east-1"
    assert os.environ["MOTO_PORT"] == str(sandbox.port)
    assert sandbox.account_id == "123456789012"
    sts = sandbox.client("sts")
    assert sts.get_caller_identity()["Account"] == "123456789012"
    with pytest.raises(RuntimeError):
        Sandbox().start()


def test_in_process_mock_aws_path():
    from moto import mock_aws

    from drs_console.sandbox import install_drs

    install_drs()
    install_drs()  # idempotent
    import moto.backend_index

    assert sum(name == "drs" for name, _ in moto.backend_index.backend_url_patterns) == 1
    with mock_aws():
        client = boto3.client(
            "drs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        items = client.describe_source_servers()["items"]
        assert items and all(i["sourceServerID"].startswith("s-") for i in items)
        other = boto3.client("drs", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
        assert other.describe_source_servers()["items"] == []
