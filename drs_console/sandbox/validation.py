"""Validate a DRS request body against botocore's DRS service model, as the real service does."""

from __future__ import annotations

import functools
import re
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

from .records import parse_drs_time
from .simulator import DrsError


@functools.cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("drs")


def operation_model(name: str) -> OperationModel:
    return service_model().operation_model(name)


def validate(operation: str, params: Any) -> None:
    """Raise a DRS ValidationException (HTTP 400) listing every problem with ``params``."""
    shape = operation_model(operation).input_shape
    problems: list[tuple[str, str]] = []
    if shape is None:
        if params:
            problems.append(("", "This operation takes no parameters."))
    else:
        _check(params, shape, "", problems)
    if problems:
        message = "; ".join(f"{name}: {msg}" if name else msg for name, msg in problems)
        raise DrsError(
            "ValidationException",
            f"Invalid request: {message}",
            400,
            fields={
                "reason": "fieldValidationFailed",
                "fieldList": [{"name": n, "message": m} for n, m in problems],
            },
        )


def _check(value: Any, shape: Shape, path: str, problems: list[tuple[str, str]]) -> None:
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            problems.append((path, f"expected an object, got {type(value).__name__}"))
            return
        for req in shape.required_members:
            if req not in value or value[req] is None:
                problems.append((_join(path, req), "is required"))
        for key, val in value.items():
            member = shape.members.get(key)
            if member is None:
                problems.append((_join(path, key), "is not a known parameter"))
                continue
            if val is None:
                continue
            _check(val, member, _join(path, key), problems)
    elif kind == "list":
        if not isinstance(value, list):
            problems.append((path, f"expected a list, got {type(value).__name__}"))
            return
        _check_len(len(value), meta, path, problems, "items")
        for i, item in enumerate(value):
            _check(item, shape.member, f"{path}[{i}]", problems)
    elif kind == "map":
        if not isinstance(value, dict):
            problems.append((path, f"expected an object, got {type(value).__name__}"))
            return
        _check_len(len(value), meta, path, problems, "entries")
        for k, v in value.items():
            _check(k, shape.key, f"{path}.<key>", problems)
            _check(v, shape.value, f"{path}.{k}", problems)
    elif kind == "string":
        if not isinstance(value, str):
            problems.append((path, f"expected a string, got {type(value).__name__}"))
            return
        _check_len(len(value), meta, path, problems, "characters")
        enum = shape.enum
        if enum and value not in enum:
            problems.append((path, f"must be one of {', '.join(enum)}"))
        if shape.name == "ISO8601DatetimeString":
            try:
                parse_drs_time(value)
            except ValueError:
                problems.append((path, "is not an ISO-8601 date and time"))
        elif meta.get("pattern") and not re.fullmatch(meta["pattern"], value, flags=re.DOTALL):
            problems.append((path, f"does not match the pattern {meta['pattern']}"))
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append((path, f"expected an integer, got {type(value).__name__}"))
            return
        if "min" in meta and value < meta["min"]:
            problems.append((path, f"must be at least {meta['min']}"))
        if "max" in meta and value > meta["max"]:
            problems.append((path, f"must be at most {meta['max']}"))
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append((path, f"expected a boolean, got {type(value).__name__}"))
    elif kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append((path, f"expected a number, got {type(value).__name__}"))


def _check_len(n: int, meta: dict, path: str, problems: list[tuple[str, str]], unit: str) -> None:
    if "min" in meta and n < meta["min"]:
        problems.append((path, f"must have at least {meta['min']} {unit}"))
    if "max" in meta and n > meta["max"]:
        problems.append((path, f"must have at most {meta['max']} {unit}"))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
