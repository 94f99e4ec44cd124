"""`drs-console doctor`: what is deployed, compared with what this console ships.

One module per family of checks: ``stack_checks`` (where the backend is, the stack, its template
and resources), ``definition_checks`` (contract version, the definition against the bundled one,
Tasks that are not ours), ``role_checks`` (the state machine's role and the operator's
permissions), ``table_checks`` (the history table), ``run_checks`` (recent executions and
records), ``account_checks`` (each known account reached, DRS initialized there, and its role one
the state machine may assume and that trusts it); ``service`` runs them in order, with the probe.
"""

from .findings import FAIL, FIX_DEPLOY, PASS, WARN, DoctorFinding, worst
from .role_checks import OPERATOR_ACTIONS
from .service import DoctorService, fixable

__all__ = [
    "FAIL", "FIX_DEPLOY", "OPERATOR_ACTIONS", "PASS", "WARN", "DoctorFinding", "DoctorService", "fixable", "worst",
]
