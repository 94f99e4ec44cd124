"""The sandbox's own plan library: with --sandbox (desktop and CLI alike) plans are never mixed
with real ones."""

from __future__ import annotations

import logging

from ..resources import sample_plan_files
from .paths import SANDBOX_LIBRARY_DIR, app_paths
from .plans import PlanLibrary

log = logging.getLogger(__name__)

__all__ = ["SANDBOX_LIBRARY_DIR", "sandbox_library"]


def sandbox_library() -> PlanLibrary:
    """The library of --sandbox, beside the real one; on first use it starts with the sample plans
    shipped in resources/plans."""
    folder = app_paths().sandbox_plan_library
    first_use = not folder.exists()
    library = PlanLibrary(folder)
    if first_use:
        folder.mkdir(parents=True, exist_ok=True)
        for sample in sample_plan_files():
            try:
                library.import_file(sample)
            except Exception as exc:  # noqa: BLE001 - a broken sample must not stop the app
                log.warning("sample plan %s not imported: %s", sample, exc)
    return library
