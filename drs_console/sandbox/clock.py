"""The simulator clock: simulated time that runs at a multiple of real time, or only when told.

Nothing in the sandbox sleeps. The DRS simulator reads ``SimClock.now()`` whenever it serves a
request and brings its jobs up to that moment, so the state it reports is a pure function of the
seed, the requests made and the clock.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class SimClock:
    """Simulated UTC time.

    * real-time mode (default): simulated time advances ``speed`` seconds per real second;
    * manual mode: simulated time stands still until ``advance(seconds)`` is called.

    ``advance`` works in both modes (it jumps ahead). ``speed`` can be changed while running;
    the simulated time stays continuous.
    """

    def __init__(self, *, speed: float = 1.0, manual: bool = False, start: datetime | None = None):
        if speed < 0:
            raise ValueError("speed must be >= 0")
        if start is None:
            start = datetime.now(UTC).replace(microsecond=0)
        elif start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._lock = threading.Lock()
        self._manual = manual
        self._speed = float(speed)
        self._base_sim = start.astimezone(UTC)
        self._base_real = time.monotonic()

    # -- reading ---------------------------------------------------------------------------------
    def now(self) -> datetime:
        with self._lock:
            return self._now_locked()

    def _now_locked(self) -> datetime:
        if self._manual:
            return self._base_sim
        elapsed = (time.monotonic() - self._base_real) * self._speed
        return self._base_sim + timedelta(seconds=elapsed)

    @property
    def manual(self) -> bool:
        return self._manual

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if value < 0:
            raise ValueError("speed must be >= 0")
        with self._lock:
            self._rebase()
            self._speed = float(value)

    # -- moving ----------------------------------------------------------------------------------
    def advance(self, seconds: float) -> datetime:
        """Jump ``seconds`` of simulated time ahead; returns the new now."""
        if seconds < 0:
            raise ValueError("the clock never goes backwards")
        with self._lock:
            self._rebase()
            self._base_sim += timedelta(seconds=seconds)
            return self._base_sim

    def set_manual(self, manual: bool) -> None:
        """Switch between manual and real-time mode without a jump in simulated time."""
        with self._lock:
            self._rebase()
            self._manual = manual

    def _rebase(self) -> None:
        self._base_sim = self._now_locked()
        self._base_real = time.monotonic()

    def __repr__(self) -> str:
        mode = "manual" if self._manual else f"x{self._speed:g}"
        return f"SimClock({mode}, now={self.now().isoformat()})"
