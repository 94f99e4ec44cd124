"""Where the shipped resources (backend files, sample plans, icons) are: the source tree's
``resources/`` folder, or ``<bundle>/resources`` in a frozen build."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_root() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resources_root().joinpath(*parts)


def sample_plan_files() -> list[Path]:
    folder = resource_path("plans")
    return sorted(folder.glob("*.json")) if folder.is_dir() else []
