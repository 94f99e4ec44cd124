"""Make moto 5.2.5's Step Functions interpreter behave like AWS for what the backend uses.

The reference state machine (resources/backend/state-machine.asl.json) is written for AWS and is
never bent to moto. Where moto differs from AWS (measured; the team keeps the notes in shared/notes)
this module patches moto, in this process only, without touching moto's files:

* aws-sdk parameter casing (``drs``): AWS turns the PascalCase names of an aws-sdk Task
  (``SourceServers``, ``IsDrill``, ``SourceServerID``) into the SDK's member names
  (``sourceServers``, ``isDrill``, ``sourceServerID``) and PascalCases the response
  (``items`` -> ``Items``, ``jobID`` -> ``JobID``); moto passes both through unchanged.
* aws-sdk error names: AWS says ``Drs.ThrottlingException``, moto ``drs.ThrottlingException``.
* JSONPath: a definite path with a field after a literal index (``$.Items[0].Status``) is the
  value, not a one-element list; a filter that matches nothing (``[?(@.x == 'y')]``) is ``[]``
  on AWS, not a ``States.Runtime`` error.
* speed: moto parses every JSONPath again each time it is evaluated (jsonpath_ng builds a new
  LALR parser per parse, ~10-40 ms); parsed paths are cached (``cached_parse``), and so are the
  other things moto redoes with the same result (``moto_speed``).
* StopExecution of an execution parked in a ``.waitForTaskToken`` task ends it ABORTED (moto
  leaves it RUNNING or turns it FAILED); the ``error``/``cause`` of StopExecution and the
  ``cause`` of SendTaskFailure are kept. StopExecution of an execution inside a ``Map`` state
  ends it quietly: moto's aborted iteration carries the stop's error *string* as its event details
  and the Map state then calls ``.get`` on it (``AttributeError('str' object has no attribute
  'get')``, logged as an ERROR by every process that stops such an execution); the details are
  read as ``{"error": ..., "cause": ...}`` here.
* DynamoDB conditional writes are atomic on AWS; moto checks the condition and writes in two
  steps, so two executions taking the same server lease at once could both succeed, and it
  changes items in place, so a read could see one half written. Each DynamoDB request runs whole,
  one at a time, here. (The optimized ``dynamodb:*`` integration
  already names a refused condition ``DynamoDB.ConditionalCheckFailedException``, like AWS.)
* Speed only: moto builds a new boto3 client for every Task it runs (a service model load each
  time, the bulk of a Task's cost); the clients are reused, one per service, region and port.

* CloudFormation's state machines, ``AWS::NoValue`` and change-set outputs: cloudformation_compat.

``apply()`` is idempotent and thread-safe; ``applied()`` tells whether it ran.
"""

from __future__ import annotations

import datetime
import functools
import logging
import re
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from . import cloudformation_compat
from .moto_speed import parse_json_path as cached_parse  # one parse per JSONPath per process

log = logging.getLogger(__name__)

MOTO_VERSION = "5.2.5"
# aws-sdk services whose request/response names are converted like AWS does.
SDK_CASE_SERVICES = frozenset({"drs"})
# Service name prefixes of aws-sdk error names, as AWS spells them.
SDK_ERROR_PREFIXES = {"drs": "Drs"}

_lock = threading.Lock()
_applied = False


def applied() -> bool:
    return _applied


def apply() -> None:
    """Install every adaptation. Safe to call many times, from any thread."""
    global _applied
    with _lock:
        if _applied:
            return
        import moto

        if moto.__version__ != MOTO_VERSION:
            log.warning(
                "stepfunctions_compat was measured against moto %s, this is moto %s",
                MOTO_VERSION,
                moto.__version__,
            )
        _patch_error_names()
        _patch_sdk_casing()
        _patch_json_path_cache()
        _patch_json_path()
        _patch_stop_and_callbacks()
        cloudformation_compat.apply()
        _patch_context_start_time()
        _patch_dynamodb_atomic_writes()
        _patch_task_clients()
        _patch_map_iteration_errors()
        from . import moto_speed

        moto_speed.apply()
        _applied = True


# -- error names ----------------------------------------------------------------------------------
def _patch_error_names() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as sdk,
    )

    sdk._SERVICE_ERROR_NAMES.update(SDK_ERROR_PREFIXES)


# -- aws-sdk parameter and response casing --------------------------------------------------------
_models: dict[str, Any] = {}
_models_lock = threading.Lock()


def _service_model(service: str):
    with _models_lock:
        model = _models.get(service)
        if model is None:
            import botocore.session

            model = botocore.session.get_session().get_service_model(service)
            _models[service] = model
        return model


def _operation_model(service: str, action: str):
    model = _service_model(service)
    wanted = action.replace("_", "").lower()
    for name in model.operation_names:
        if name.lower() == wanted:
            return model.operation_model(name)
    return None


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def to_sdk_request(value: Any, shape: Any) -> Any:
    """PascalCase names of a Step Functions aws-sdk request -> the SDK's member names."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        by_pascal = {_pascal(m): m for m in shape.members}
        out = {}
        for key, item in value.items():
            member = key if key in shape.members else by_pascal.get(key)
            if member is None:
                out[key] = item  # unknown: leave it for botocore to reject, like AWS would
            else:
                out[member] = to_sdk_request(item, shape.members[member])
        return out
    if kind == "list" and isinstance(value, list):
        return [to_sdk_request(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: to_sdk_request(v, shape.value) for k, v in value.items()}
    return value


def from_sdk_response(value: Any, shape: Any) -> Any:
    """SDK member names of a response -> PascalCase, as Step Functions returns them."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        out = {}
        for key, item in value.items():
            member = shape.members.get(key)
            out[_pascal(key)] = from_sdk_response(item, member) if member is not None else item
        return out
    if kind == "list" and isinstance(value, list):
        return [from_sdk_response(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: from_sdk_response(v, shape.value) for k, v in value.items()}
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value


def _patch_sdk_casing() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk,
    )

    def _normalise_parameters(self, parameters: dict, boto_service_name=None, service_action_name=None):
        service = self.resource.api_name
        if service not in SDK_CASE_SERVICES:
            return
        op = _operation_model(service, self.resource.api_action)
        if op is None or op.input_shape is None:
            return
        converted = to_sdk_request(dict(parameters), op.input_shape)
        parameters.clear()
        parameters.update(converted)

    def _normalise_response(self, response: Any, boto_service_name=None, service_action_name=None):
        service = self.resource.api_name
        if service not in SDK_CASE_SERVICES or not isinstance(response, dict):
            return
        op = _operation_model(service, self.resource.api_action)
        if op is None or op.output_shape is None:
            return
        converted = from_sdk_response(dict(response), op.output_shape)
        response.clear()
        response.update(converted)

    StateTaskServiceAwsSdk._normalise_parameters = _normalise_parameters
    StateTaskServiceAwsSdk._normalise_response = _normalise_response


# -- JSONPath -------------------------------------------------------------------------------------
_INDEFINITE = re.compile(r"\[\s*(\*|\?|[-\d]*:)|\.\.|\.\*")


def is_definite_path(path: str) -> bool:
    """True when a JSONPath names one value (no wildcard, slice, filter or deep scan)."""
    return not _INDEFINITE.search(path)


def _patch_json_path_cache() -> None:
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    json_path.parse = cached_parse
    result_path.parse = functools.partial(cached_parse, extended=False)


def _make_extract_json(original: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
    from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

    def extract_json(path: str, data: Any) -> Any:
        if is_definite_path(path):
            matches = cached_parse(path).find(data)
            if not matches:
                raise NoSuchJsonPathError(json_path=path, data=data)
            if len(matches) == 1:
                return matches[0].value
            return original(path, data)
        try:
            return original(path, data)
        except NoSuchJsonPathError:
            return []  # AWS: an indefinite path (filter, wildcard) that matches nothing is []

    extract_json._drs_console_compat = True  # type: ignore[attr-defined]
    return extract_json


def _patch_json_path() -> None:
    import importlib

    from moto.stepfunctions.parser.asl.utils import json_path

    original = json_path.extract_json
    if getattr(original, "_drs_console_compat", False):
        return
    patched = _make_extract_json(original)
    json_path.extract_json = patched
    # every module that did `from ...json_path import extract_json` holds its own reference
    for name in (
        "moto.stepfunctions.parser.asl.component.common.string.string_expression",
        "moto.stepfunctions.parser.asl.component.intrinsic.argument.argument",
        "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.timestamp_operators",
        "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.boolean_equals",
        "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.numeric",
        "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.string_operators",
        "moto.stepfunctions.parser.asl.eval.states",
    ):
        importlib.import_module(name)
    for module in list(sys.modules.values()):
        if (
            getattr(module, "__name__", "").startswith("moto.stepfunctions.parser")
            and getattr(module, "extract_json", None) is original
        ):
            module.extract_json = patched


# -- StopExecution, SendTaskFailure ---------------------------------------------------------------
STOP_WAIT_SECONDS = 5.0


def _patch_stop_and_callbacks() -> None:
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.responses import StepFunctionResponse

    original_set_error = Environment.set_error

    def set_error(self, error):
        # A stopped program stays stopped: the interrupted task's failure must not turn it FAILED.
        if isinstance(self._program_state, ProgramStopped):
            return
        original_set_error(self, error)

    Environment.set_error = set_error

    def stop(self, stop_date, error, cause):
        worker = self.exec_worker
        if worker is None or worker.env is None:
            return
        env = worker.env
        env.set_stop(stop_date=stop_date, cause=cause, error=error)
        # wake a task parked on a task token (moto waits on its endpoint until the task timeout)
        pool = getattr(env.callback_pool_manager, "_pool", {})
        for endpoint in list(pool.values()):
            endpoint.interrupt_all()

    Execution.stop = stop

    from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState

    original_error_output = ExecutionState._construct_error_output_value

    def construct_error_output_value(failure_event):
        details = list(failure_event.event_details.values()) if failure_event.event_details else []
        if len(details) == 1 and not isinstance(details[0], dict):
            # a Map iteration aborted by StopExecution: moto puts ProgramStopped.error (a str) here
            return {"Error": "" if details[0] is None else str(details[0]), "Cause": ""}
        return original_error_output(failure_event)

    ExecutionState._construct_error_output_value = staticmethod(construct_error_output_value)

    def stop_execution(self):
        from moto.stepfunctions.parser.api import ExecutionStatus

        arn = self._get_param("executionArn")
        error = self._get_param("error")
        cause = self._get_param("cause")
        backend = self.stepfunction_backend
        execution = backend.describe_execution(arn)
        now = datetime.datetime.now(tz=datetime.UTC)
        if isinstance(execution, Execution):
            if execution.exec_status == ExecutionStatus.RUNNING:
                execution.stop(stop_date=now, error=error, cause=cause)
                deadline = time.monotonic() + STOP_WAIT_SECONDS
                while execution.exec_status == ExecutionStatus.RUNNING and time.monotonic() < deadline:
                    time.sleep(0.02)
                if execution.exec_status == ExecutionStatus.RUNNING:
                    execution.exec_status = ExecutionStatus.ABORTED
                    execution.stop_date = now
                if execution.exec_status == ExecutionStatus.ABORTED:
                    execution.error = error
                    execution.cause = cause
        else:
            execution = backend.stop_execution(arn)
        from moto.core.responses import ActionResult

        return ActionResult({"stopDate": execution.stop_date or now})

    StepFunctionResponse.stop_execution = stop_execution

    def send_task_failure(self):
        from moto.core.responses import EmptyResult
        from moto.stepfunctions.parser.models import StepFunctionsParserBackend

        backend = self.stepfunction_backend
        kwargs = {"error": self._get_param("error")}
        if isinstance(backend, StepFunctionsParserBackend):
            kwargs["cause"] = self._get_param("cause")
        backend.send_task_failure(self._get_param("taskToken"), **kwargs)
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure


# -- context object -------------------------------------------------------------------------------
def aws_timestamp(value: Any) -> Any:
    """A datetime as Step Functions writes it in the context object: 2024-01-31T12:00:00.123Z."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value


def _patch_context_start_time() -> None:
    """moto puts a datetime in $$.Execution.StartTime (AWS: an ISO 8601 string), which no
    integration can serialize."""
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original = ExecutionWorker._get_evaluation_environment
    if getattr(original, "_drs_console_compat", False):
        return

    def _get_evaluation_environment(self):
        env = original(self)
        data = env.states.context_object.context_object_data
        execution = data.get("Execution") or {}
        if "StartTime" in execution:
            execution["StartTime"] = aws_timestamp(execution["StartTime"])
        return env

    _get_evaluation_environment._drs_console_compat = True  # type: ignore[attr-defined]
    ExecutionWorker._get_evaluation_environment = _get_evaluation_environment


# -- DynamoDB: atomic conditional writes ----------------------------------------------------------
_ddb_write_lock = threading.RLock()
ATOMIC_DYNAMODB_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")


def _patch_dynamodb_atomic_writes() -> None:
    """moto's DynamoDB reads the item, evaluates the ConditionExpression and writes, with nothing
    in between to stop another request thread doing the same: serialize the writes, so that a
    conditional write is check-and-set like on AWS (server leases rely on it). moto also changes an
    item in place, attribute by attribute (an UpdateItem of a new item first stores its keys alone),
    and turns items into the response after the write: each request, its response included, runs
    whole, so that a Scan, Query or GetItem never sees an item half made (AWS never shows one) and
    a response is never read from an item another request is changing (``RuntimeError: dictionary
    changed size during iteration``, answered as InternalFailure: a drill's write that fails)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    targets = [(DynamoDBBackend, name) for name in ATOMIC_DYNAMODB_WRITES] + [(DynamoHandler, "call_action")]
    for owner, name in targets:
        original = getattr(owner, name)
        if getattr(original, "_drs_console_compat", False):
            continue

        def locked(self, *args, _original=original, **kwargs):
            with _ddb_write_lock:
                return _original(self, *args, **kwargs)

        locked._drs_console_compat = True  # type: ignore[attr-defined]
        locked.__wrapped__ = original  # type: ignore[attr-defined]
        setattr(owner, name, locked)


# -- Map iterations -------------------------------------------------------------------------------
def _patch_map_iteration_errors() -> None:
    """A Map iteration that fails with a States.* error (States.TaskFailed of a Task whose role
    cannot be assumed) fails the Map with that error, as in AWS; moto's iteration worker wraps
    every name as a custom one and rejects the States. prefix (a ValueError: States.Runtime)."""
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import iteration_worker

    if getattr(iteration_worker.CustomErrorName, "_drs_console_compat", False):
        return

    def error_name(error_name: Any) -> Any:
        if isinstance(error_name, str) and error_name.startswith("States."):
            try:
                return StatesErrorName.from_name(error_name)
            except Exception:  # noqa: BLE001 - a States.* name moto does not know: keep its own error
                pass
        return CustomErrorName(error_name=error_name)

    error_name._drs_console_compat = True  # type: ignore[attr-defined]
    iteration_worker.CustomErrorName = error_name


# -- Task clients ---------------------------------------------------------------------------------
_clients: dict[tuple, Any] = {}
_clients_lock = threading.Lock()


class TaskRoleDenied(Exception):
    """The role of a Task's ``Credentials`` could not be assumed (the Task fails: States.TaskFailed)."""


TaskCredentials: Any = None  # the StateCredentials subclass marking a Task's own Credentials field


def _role_client(region: str, service: str, role_arn: str, original: Callable[..., Any]) -> Any:
    """A client with the credentials of ``role_arn``, assumed (as the state machine's role, in the hub)
    through moto's STS, which decides it by the role's trust policy; moto then maps the credentials to
    the role's account, so the call lands there. Each Task assumes anew, as Step Functions does."""
    import boto3
    from botocore.exceptions import ClientError

    sts = original(region, "sts", None)
    try:
        creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="drs-console-state-machine")["Credentials"]
    except ClientError as exc:
        err = exc.response.get("Error") or {}
        raise TaskRoleDenied(
            f"The state machine could not assume the task role {role_arn}: {err.get('Code', 'AccessDenied')}: "
            f"{err.get('Message', '')}"
        ) from None
    return boto3.client(
        service, region_name=region, endpoint_url=sts.meta.endpoint_url if _via_server() else None,
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], config=sts.meta.config,
    )


def _via_server() -> bool:
    from moto.core.models import botocore_stubber

    return not botocore_stubber.enabled


def _patch_task_credentials() -> None:
    """Mark the credentials of a Task that names its own (``Credentials``: moto otherwise hands every
    Task the execution's role and ignores it), and fail such a Task as Step Functions does when the
    role cannot be assumed: States.TaskFailed, the cause naming the role and STS's AccessDenied."""
    global TaskCredentials
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import credentials, state_task
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    if TaskCredentials is not None:
        return

    class _TaskCredentials(credentials.StateCredentials):
        pass

    TaskCredentials = _TaskCredentials
    original_eval = state_task.StateTask._eval_state_credentials

    def _eval_state_credentials(self, env):
        creds = original_eval(self, env)
        if self.credentials and not isinstance(creds, _TaskCredentials):
            creds = _TaskCredentials(role_arn=creds.role_arn)
        return creds

    state_task.StateTask._eval_state_credentials = _eval_state_credentials  # type: ignore[method-assign]
    original_from_error = execute_state.ExecutionState._from_error

    def _from_error(self, env, ex):
        if isinstance(ex, TaskRoleDenied):
            name = StatesErrorNameType.StatesTaskFailed
            return FailureEvent(
                env=env, error_name=StatesErrorName(typ=name), event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(
                    error=name.to_name(), cause=str(ex))),
            )
        return original_from_error(self, env, ex)

    execute_state.ExecutionState._from_error = _from_error  # type: ignore[method-assign]


def _patch_task_clients() -> None:
    """Reuse the interpreter's boto3 clients (botocore clients are thread-safe once built); a Task
    naming its own ``Credentials`` gets a client of that role (``_role_client``)."""
    import importlib

    from moto.stepfunctions.parser.asl.utils import boto_client

    _patch_task_credentials()
    original = boto_client.boto_client_for
    if getattr(original, "_drs_console_compat", False):
        return

    def boto_client_for(region: str, service: str, state_credentials: Any = None):
        from moto.core.models import botocore_stubber
        from moto.settings import moto_server_port

        role = getattr(state_credentials, "role_arn", "") if isinstance(state_credentials, TaskCredentials) else ""
        if role:
            return _role_client(region, service, role, original)
        key = (region, service, botocore_stubber.enabled, moto_server_port())
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = original(region, service, state_credentials)
            return client

    boto_client_for._drs_console_compat = True  # type: ignore[attr-defined]
    boto_client.boto_client_for = boto_client_for
    for name in (
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb",
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk",
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn",
    ):
        importlib.import_module(name)
    for module in list(sys.modules.values()):
        if (
            getattr(module, "__name__", "").startswith("moto.stepfunctions.parser")
            and getattr(module, "boto_client_for", None) is original
        ):
            module.boto_client_for = boto_client_for
