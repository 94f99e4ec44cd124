"""``BackendService``: the backend stack and its Step Functions executions on one connection.

The two halves live along the engine seam (``backend_stack.BackendStack``,
``engines.stepfunctions.StepFunctionsExecutions``); this class is both, for the callers that use
the stack and the executions together.
"""

from __future__ import annotations

from .backend_stack import BackendStack
from .engines.stepfunctions import StepFunctionsExecutions


class BackendService(BackendStack, StepFunctionsExecutions):
    """Stack, state machine and history operations on one connection. All methods are async."""
