"""Plans and files shared by the store tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from drs_console.domain.plan import Plan, ServerRef, Wave

PLAN_ID = "5b0c7f3e-9a41-4c2e-8d7a-2f6e1c9b4a10"


def sample_plan(name: str = "Payments", plan_id: str = PLAN_ID) -> Plan:
    t = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
    return Plan(
        name=name,
        id=plan_id,
        target_account_id="123456789012",
        target_region="us-east-1",
        waves=[
            Wave(name="DB", servers=[ServerRef("s-00000000000000001", "db-01")], id="w1"),
            Wave(name="Web", selector="Tier=web", pause_before=True, id="w2"),
        ],
        created_at=t,
        modified_at=t,
    )


def sample_bytes(**kw) -> bytes:
    return json.dumps(sample_plan(**kw).to_dict(), indent=2).encode()


def v1_document() -> dict:
    return {
        "schemaVersion": 1,
        "id": PLAN_ID,
        "name": "Legacy payments",
        "description": "made by 0.x",
        "targetAccountId": "123456789012",
        "targetRegion": "us-east-1",
        "pollIntervalSeconds": 20,
        "failurePolicy": "CONTINUE",
        "tags": {"Owner": "dr"},
        "createdAt": "2023-01-02T03:04:05Z",
        "modifiedAt": "2023-01-02T03:04:05Z",
        "waves": [
            {"id": "a", "name": "DB", "serverIds": ["s-1", "s-2"], "timeoutMinutes": 90},
            {"id": "b", "name": "Web", "serverIds": []},
        ],
    }
