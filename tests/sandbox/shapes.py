"""Validate a DRS response body against botocore's service model, recursively.

``violations(operation, body)`` checks a 2xx body against the operation's OUTPUT shape,
``error_violations(code, body)`` an error body against the error's shape. Both return a list of
``"path: problem"`` strings (empty: the body is exactly what the model allows):

* structures: unknown members, missing required members, members that belong in a header or the URI;
* strings: type, enum values, length, the model's pattern (matched in full);
* integers/longs/floats/doubles/booleans: type (a bool is not a number), min/max;
* lists and maps: type, min/max size, every item/key/value;
* timestamps: the protocol's format (rest-json: epoch seconds unless ``timestampFormat`` says otherwise);
* blobs: base64 text.

Why the raw body: a boto3 client PARSES the response with the same model, dropping members the model
does not know and coercing types, so a parsed dict cannot show an unknown member or a number sent as a
string. ``RawCapture`` hooks botocore's ``before-parse`` event, which hands over the HTTP response
(status, headers, raw body bytes) of every call before parsing: the tests see exactly what the
simulator sent over HTTP, through the real client and server (routing, serialization, status codes),
without calling simulator internals.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import botocore.session
from botocore.model import ServiceModel, Shape


@functools.cache
def service_model(service: str = "drs") -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def violations(operation: str, body: Any, service: str = "drs") -> list[str]:
    """Problems of ``body`` (a decoded JSON success body) against ``operation``'s output shape."""
    shape = service_model(service).operation_model(operation).output_shape
    if shape is None:
        return [] if body in (None, {}, "") else [f"{operation} has no output, got {type(body).__name__}"]
    out: list[str] = []
    _check(body, shape, "", out)
    return out


def error_violations(code: str, body: Any, service: str = "drs") -> list[str]:
    """Problems of an error body against the model's shape of error ``code``."""
    model = service_model(service)
    try:
        shape = model.shape_for(code)
    except Exception:  # noqa: BLE001 - botocore raises NoShapeFoundError
        common = {"ThrottlingException", "AccessDeniedException", "InternalServerException",
                  "UnknownOperationException"}
        return [] if code in common else [f"{code} is not an error of the model"]
    out: list[str] = []
    _check(body, shape, "", out)
    return out


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _check(value: Any, shape: Shape, path: str, out: list[str]) -> None:
    kind = shape.type_name
    meta = shape.metadata
    where = path or "<body>"
    if kind == "structure":
        if not isinstance(value, dict):
            out.append(f"{where}: expected an object ({shape.name}), got {type(value).__name__}")
            return
        body_members = {k: m for k, m in shape.members.items() if "location" not in m.serialization}
        for key in shape.required_members:
            if key in body_members and value.get(key) is None:
                out.append(f"{_join(path, key)}: required member missing")
        for key, item in value.items():
            member = body_members.get(key)
            if member is None:
                where_from = " (it belongs in a header or the URI)" if key in shape.members else ""
                out.append(f"{_join(path, key)}: unknown member of {shape.name}{where_from}")
            elif item is not None:
                _check(item, member, _join(path, key), out)
        if meta.get("union") and sum(1 for k in value if k in body_members) != 1:
            out.append(f"{where}: a union ({shape.name}) must set exactly one member")
    elif kind == "list":
        if not isinstance(value, list):
            out.append(f"{where}: expected a list ({shape.name}), got {type(value).__name__}")
            return
        _size(len(value), meta, where, "items", out)
        for i, item in enumerate(value):
            _check(item, shape.member, f"{path}[{i}]", out)
    elif kind == "map":
        if not isinstance(value, dict):
            out.append(f"{where}: expected a map ({shape.name}), got {type(value).__name__}")
            return
        _size(len(value), meta, where, "entries", out)
        for k, v in value.items():
            _check(k, shape.key, f"{path}<key {k!r}>", out)
            _check(v, shape.value, f"{path}[{k!r}]", out)
    elif kind == "string":
        if not isinstance(value, str):
            out.append(f"{where}: expected a string ({shape.name}), got {type(value).__name__}")
            return
        _size(len(value), meta, where, "characters", out)
        if shape.enum and value not in shape.enum:
            out.append(f"{where}: {value!r} is not one of {shape.name}'s values {list(shape.enum)}")
        pattern = meta.get("pattern")
        if pattern and not re.fullmatch(pattern, value, flags=re.DOTALL):
            out.append(f"{where}: {value!r} does not match {shape.name}'s pattern {pattern}")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            out.append(f"{where}: expected an integer ({shape.name}), got {type(value).__name__}")
            return
        _range(value, meta, where, out)
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            out.append(f"{where}: expected a number ({shape.name}), got {type(value).__name__}")
            return
        _range(value, meta, where, out)
    elif kind == "boolean":
        if not isinstance(value, bool):
            out.append(f"{where}: expected a boolean ({shape.name}), got {type(value).__name__}")
    elif kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat") or "unixTimestamp"
        if fmt == "unixTimestamp":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                out.append(f"{where}: expected epoch seconds ({shape.name}), got {type(value).__name__}")
        elif not isinstance(value, str) or not _iso8601(value):
            out.append(f"{where}: expected an ISO-8601 timestamp ({shape.name}), got {value!r}")
    elif kind == "blob":
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, TypeError, ValueError):
            out.append(f"{where}: expected base64 text ({shape.name})")
    else:  # pragma: no cover - the model has no other types
        out.append(f"{where}: unknown shape type {kind}")


def _iso8601(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _size(n: int, meta: dict, where: str, unit: str, out: list[str]) -> None:
    if "min" in meta and n < meta["min"]:
        out.append(f"{where}: {n} {unit}, fewer than the model's minimum {meta['min']}")
    if "max" in meta and n > meta["max"]:
        out.append(f"{where}: {n} {unit}, more than the model's maximum {meta['max']}")


def _range(n: float, meta: dict, where: str, out: list[str]) -> None:
    if "min" in meta and n < meta["min"]:
        out.append(f"{where}: {n} is below the model's minimum {meta['min']}")
    if "max" in meta and n > meta["max"]:
        out.append(f"{where}: {n} is above the model's maximum {meta['max']}")


_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
FORECASTS = frozenset({"etaDateTime"})  # the only DRS times that may lie ahead (an estimate)


def _stamps(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in FORECASTS:
                yield from _stamps(v, _join(path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _stamps(v, f"{path}[{i}]")
    elif isinstance(value, str) and _STAMP.fullmatch(value):
        yield path, value


def future_stamps(body: Any, now: datetime) -> list[str]:
    """Timestamps in ``body`` later than ``now`` (the sandbox never answers one; ETAs excepted)."""
    return [f"{path}: {text} is after now ({now.isoformat()})" for path, text in _stamps(body)
            if datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC) > now]


@dataclass
class Captured:
    operation: str
    status: int
    headers: dict[str, str]
    body: bytes
    now: datetime | None = None  # the sandbox clock when the answer arrived

    def problems(self) -> list[str]:
        text = self.body.decode("utf-8") if self.body else ""
        try:
            decoded = json.loads(text) if text.strip() else {}
        except ValueError:
            return [f"{self.operation}: the body is not JSON: {text[:200]!r}"]
        if self.status < 300:
            found = violations(self.operation, decoded)
        else:
            code = self.headers.get("x-amzn-errortype", "").split(":")[0] or decoded.get("code", "")
            found = error_violations(code, decoded)
        if self.now is not None:
            found += future_stamps(decoded, self.now)
        return [f"{self.operation} (HTTP {self.status}) {p}" for p in found]


@dataclass
class RawCapture:
    """Records the raw HTTP response of every call a botocore client makes (``attach(client)``);
    with ``clock`` (the sandbox's ``clock.now``) it also checks that no timestamp is after now."""

    clock: Callable[[], datetime] | None = None
    calls: list[Captured] = field(default_factory=list)

    def attach(self, client: Any) -> Any:
        client.meta.events.register("before-parse", self._record)
        return client

    def _record(self, operation_model: Any = None, response_dict: Any = None, **_: Any) -> None:
        if operation_model is None or response_dict is None:
            return
        headers = {k.lower(): v for k, v in (response_dict.get("headers") or {}).items()}
        self.calls.append(Captured(operation_model.name, int(response_dict.get("status_code", 0)), headers,
                                   response_dict.get("body") or b"", self.clock() if self.clock else None))

    def problems(self) -> list[str]:
        return [p for call in self.calls for p in call.problems()]

    def operations(self) -> set[str]:
        return {c.operation for c in self.calls if c.status < 300}
