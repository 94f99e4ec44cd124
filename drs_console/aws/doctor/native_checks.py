"""Doctor: the DRS native plans linked to library plans (tag drs-console:plan-id), and whether each
drifted from its plan (servers, order, waits) since it was published."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ...domain.plan import Plan
from ...domain.wording import plural
from ..engines.native_plans import linked_plans
from ..session import AwsConnection
from .findings import PASS, WARN, DoctorFinding, finding

CHECK = "native-plans"


async def native_plans_check(conn: AwsConnection, plans: Iterable[Plan],
                             version_of: Callable[[Plan], int]) -> DoctorFinding:
    plans = list(plans)
    linked = await linked_plans(conn, plans, version_of=version_of)
    if not linked:
        return finding(CHECK, PASS, f"No DRS native plan in {conn.region} is linked to a library plan.")
    drifted = [lp for lp in linked if lp.differences]
    details = [f"{lp.plan_name!r} -> {lp.recovery_plan_arn} (version {lp.published_version or '?'}): "
               + ("; ".join(lp.differences) if lp.differences else "in sync") for lp in linked]
    if not drifted:
        return finding(CHECK, PASS, f"{plural(len(linked), 'DRS native plan')} linked to library plans, all in sync.",
                       details=details)
    return finding(CHECK, WARN,
                   f"{plural(len(drifted), 'DRS native plan')} of {len(linked)} linked drifted from the library plan.",
                   "Publish them again ('drs-console plan publish FILE'), or import the native change "
                   "('drs-console plan import-native ARN').", details=details)
