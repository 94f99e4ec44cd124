"""Where moto 5.2.5's CloudFormation differs from AWS for what the reference template uses (part of
stepfunctions_compat.apply(), in this process only, without touching moto's files):

* an ``AWS::StepFunctions::StateMachine`` is created, updated and deleted in the Step Functions
  backend the API serves (moto's executing parser backend), not in the plain one;
* ``AWS::NoValue`` in a list removes the element;
* ExecuteChangeSet fills in the stack's Outputs.
"""

from __future__ import annotations

from typing import Any


def apply() -> None:
    """Install the CloudFormation adaptations (called under stepfunctions_compat's lock)."""
    _patch_cloudformation_state_machine()
    _patch_cloudformation_change_set_outputs()
    _patch_cloudformation_no_value()


# -- CloudFormation: AWS::StepFunctions::StateMachine ---------------------------------------------
def _patch_cloudformation_state_machine() -> None:
    """moto's CloudFormation creates state machines in the plain Step Functions backend even when
    the API serves the executing (parser) backend, so a stack's state machine is invisible to
    StartExecution. Create, update and delete them in the backend the API uses."""
    from moto.stepfunctions.models import StateMachine
    from moto.stepfunctions.responses import get_backend

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        name = props.get("StateMachineName", resource_name)
        tags = [{"key": t["Key"], "value": t["Value"]} for t in props.get("Tags", []) or []]
        return get_backend(account_id, region_name).create_state_machine(
            name,
            props.get("DefinitionString", ""),
            props.get("RoleArn", ""),
            tags=tags,
            sm_type=props.get("StateMachineType"),
        )

    def delete(cls, resource_name, cloudformation_json, account_id, region_name):
        get_backend(account_id, region_name).delete_state_machine(resource_name)

    def update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        props = cloudformation_json.get("Properties", {})
        name = props.get("StateMachineName", original_resource.name)
        backend = get_backend(account_id, region_name)
        if name != original_resource.name:
            new = create(cls, name, cloudformation_json, account_id, region_name)
            backend.delete_state_machine(original_resource.arn)
            return new
        return backend.update_state_machine(
            original_resource.arn, definition=props.get("DefinitionString"), role_arn=props.get("RoleArn")
        )

    StateMachine.create_from_cloudformation_json = classmethod(create)
    StateMachine.delete_from_cloudformation_json = classmethod(delete)
    StateMachine.update_from_cloudformation_json = classmethod(update)


def _patch_cloudformation_no_value() -> None:
    """AWS::NoValue in a list removes the element (CloudFormation: an ``!If`` choosing it in a
    role's Policies); moto leaves a None there and fails the stack."""
    from moto.cloudformation import parsing

    original = parsing.clean_json
    if getattr(original, "_drs_console_compat", False):
        return

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        out = original(resource_json, resources_map)
        if isinstance(resource_json, list) and isinstance(out, list):
            return [v for v in out if v is not None]
        return out

    clean_json._drs_console_compat = True  # type: ignore[attr-defined]
    parsing.clean_json = clean_json


def _patch_cloudformation_change_set_outputs() -> None:
    """moto's ExecuteChangeSet creates the resources but leaves the stack without Outputs;
    CloudFormation fills them in. Rebuild them after the change set ran."""
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.execute_change_set
    if getattr(original, "_drs_console_compat", False):
        return

    def execute_change_set(self, change_set_name, stack_name=None):
        result = original(self, change_set_name, stack_name)
        change_set = self.change_sets.get(change_set_name) or next(
            (cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name), None
        )
        if change_set is not None:
            stack = self.stacks[change_set.stack_id]
            stack._parse_template()
            stack.output_map = stack._create_output_map()
        return result

    execute_change_set._drs_console_compat = True  # type: ignore[attr-defined]
    CloudFormationBackend.execute_change_set = execute_change_set
