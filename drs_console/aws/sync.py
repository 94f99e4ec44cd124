"""Running an async service call from synchronous code."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


def run_sync(coro_factory: Callable[[], Any]) -> Any:
    """Run an async call to completion from synchronous code, even if the caller's thread has a
    running event loop (the work runs on a fresh loop in a helper thread)."""
    import threading

    box: dict[str, Any] = {}

    def runner() -> None:
        try:
            box["value"] = asyncio.run(coro_factory())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=runner, name="drs-console-sync", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")
