"""Deploy the reference backend (resources/backend) into a running Sandbox, exactly as deployed
on AWS: the same template through moto's CloudFormation, the same ASL file run by moto's Step
Functions interpreter (adapted to AWS behaviour by ``stepfunctions_compat``) against the DRS
simulator."""

from __future__ import annotations

from typing import Any

from ..aws.backend import run_sync
from ..aws.deploy import deploy_backend
from ..aws.session import AwsConnection
from ..domain import contract as c
from ..domain.errors import ConsoleError, ProblemKind
from . import stepfunctions_compat


def deploy_reference_backend(sandbox: Any, stack_name: str = c.DEFAULT_STACK_NAME) -> dict[str, str]:
    """Deploy resources/backend/template.yaml into ``sandbox`` (started) and return the stack
    outputs (StateMachineArn, HistoryTableName, ContractVersion). Idempotent."""
    stepfunctions_compat.apply()
    conn = AwsConnection(sandbox.connection_params())
    try:
        # as `backend deploy` does it: the change set, then what moto's CloudFormation leaves out (TTL)
        # a sandbox of several accounts: the state machine may assume each target account's role
        roles = [t.role_arn for t in getattr(sandbox, "targets", ())]
        result = run_sync(lambda: deploy_backend(conn, stack_name, poll_seconds=0.05, timeout=120.0,
                                                 target_roles=roles or None)).result
    finally:
        conn.close()
    if not result.ok:
        reasons = "; ".join(f"{f.logical_id}: {f.status} {f.reason}" for f in result.failures) or result.status
        raise ConsoleError(
            ProblemKind.AWS_ERROR,
            f"The reference backend did not deploy into the sandbox: {reasons}",
            "This is a bug in the sandbox or the template; run the backend tests.",
        )
    return dict(result.outputs)
