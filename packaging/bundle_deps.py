"""Which installed distributions the sandbox adds, and which import names they provide.

Used by the PyInstaller spec (to collect the data files of the sandbox's libraries, which moto's
and their own code read at runtime, e.g. openapi_schema_validator's schemas) and by
tests/packaging (to report how much of the bundle the sandbox takes). Standard library plus
`packaging` (a PyInstaller dependency) only.
"""

from __future__ import annotations

import re
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

APP_DIST = "drs-console"
SANDBOX_EXTRA = "sandbox"


def closure(requirements: list[str]) -> set[str]:
    """Canonical names of the installed distributions these requirement strings pull in, with
    their extras, transitively (a requirement whose marker does not hold here is skipped)."""
    seen: dict[str, set[str]] = {}
    stack: list[tuple[str, set[str]]] = []
    for text in requirements:
        req = _parse(text)
        if req is not None and _applies(req, {""}):
            stack.append((req.name, set(req.extras)))
    while stack:
        name, extras = stack.pop()
        key = canonicalize_name(name)
        if key in seen and extras <= seen[key]:
            continue
        seen.setdefault(key, set()).update(extras)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            seen.pop(key, None)
            continue
        for text in dist.requires or []:
            req = _parse(text)
            if req is not None and _applies(req, extras | {""}):
                stack.append((req.name, set(req.extras)))
    return set(seen)


def _parse(text: str) -> Requirement | None:
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def _applies(req: Requirement, extras: set[str]) -> bool:
    if req.marker is None:
        return True
    return any(req.marker.evaluate({"extra": extra}) for extra in extras)


def app_requirements() -> tuple[list[str], list[str]]:
    """(the app's base requirements, its sandbox extra's requirements) from the installed metadata."""
    base: list[str] = []
    sandbox: list[str] = []
    extra_marker = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")
    for text in metadata.distribution(APP_DIST).requires or []:
        req = _parse(text)
        if req is None:
            continue
        if req.marker is None:
            base.append(str(req))
            continue
        extras = extra_marker.findall(str(req.marker))
        if extras == [SANDBOX_EXTRA]:
            req.marker = None
            sandbox.append(str(req))
        elif not extras:
            base.append(text)
    return base, sandbox


def sandbox_only_distributions() -> set[str]:
    """Distributions installed only because of the sandbox (moto and what it alone needs)."""
    base, sandbox = app_requirements()
    return closure(sandbox) - closure(base)


def import_names(dists: set[str]) -> set[str]:
    """Top-level import names provided by these distributions."""
    names: set[str] = set()
    for top, providers in metadata.packages_distributions().items():
        if any(canonicalize_name(p) in dists for p in providers):
            names.add(top)
    return names


if __name__ == "__main__":
    dists = sandbox_only_distributions()
    print("sandbox-only distributions:", ", ".join(sorted(dists)))
    print("their import names:", ", ".join(sorted(import_names(dists))))
