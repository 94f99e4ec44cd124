"""DynamoDB items as plain Python (the history table's records, the leases)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _dynamo_value(value: Any) -> Any:
    """DynamoDB's Decimal numbers -> int/float, sets -> sorted lists (plain Python for the domain)."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):
        return sorted(_dynamo_value(v) for v in value)
    if isinstance(value, list):
        return [_dynamo_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _dynamo_value(v) for k, v in value.items()}
    return value


def deserialize_item(item: Mapping[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    des = TypeDeserializer()
    return {k: _dynamo_value(des.deserialize(v)) for k, v in item.items()}
