"""The sandbox's one clock: timestamps are real time, the speed factor only shortens durations.

The time model
--------------

* **Every timestamp a client can see is real UTC time** (in real-time mode, the default and the only
  mode ``sandbox serve``, the GUI and the CLI use): DRS job creation and end times, job log items,
  recovery instance launch times, recovery snapshots, source server "last seen" times. They are
  the same clock Step Functions and DynamoDB (moto) write with, the system's (``datetime.now``,
  not a monotonic count from the start, which stops while a laptop sleeps and drifts from it), so
  a wave's record, its DRS job and its log agree to the second, and **nothing is ever later than
  now**. Were the system clock set back, the sandbox's stands still until it catches up: no
  timestamp goes back.
* **The speed factor shortens how long things take**, never where they sit in time: at speed 30 a
  DRS step that takes 20 minutes on AWS takes 40 real seconds, and its log items are stamped
  within those 40 seconds. ``SimClock.duration(seconds)`` turns a simulated duration (what AWS
  would take) into the real one (``seconds / speed``); the DRS simulator plans every step of a job
  with it when the job is created. Changing the speed changes jobs created from then on.
* **Nothing sleeps.** The simulator reads ``now()`` whenever it serves a request and applies the
  planned steps whose time has come, so what it reports depends only on the seed, the requests
  and the clock.
* **Manual mode** (tests only): time stands still until ``advance(seconds)`` moves it, and durations
  are not shortened (the test decides how fast time goes). ``advance`` is refused in real-time
  mode, where it would push timestamps ahead of now.
* **The past** is reachable, the future is not: history is seeded by creating jobs at past times
  (``DrsSimulator.start_recovery_at``); their steps up to now apply at once.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

NEVER = timedelta(days=365 * 100)
SPEED_ENV = "DRS_CONSOLE_SANDBOX_SPEED"


def speed_from_env() -> float | None:
    """The clock speed ``$DRS_CONSOLE_SANDBOX_SPEED`` asks for (None when unset); ValueError, saying
    what to set, when it is not a number >= 0."""
    import math
    import os

    value = os.environ.get(SPEED_ENV, "").strip()
    if not value:
        return None
    try:
        speed = float(value)
    except ValueError:
        speed = math.nan
    if not math.isfinite(speed) or speed < 0:
        raise ValueError(f"${SPEED_ENV} is {value!r}, not a speed factor: set it to a number like 300")
    return speed


class SimClock:
    """The sandbox's UTC clock and speed factor.

    * real-time mode (default): ``now()`` is the system's UTC time (shifted back to ``start``
      when that is in the past), never going backwards; ``duration(s)`` is ``s / speed``;
    * manual mode: ``now()`` stands still until ``advance(seconds)``; ``duration(s)`` is ``s``.

    ``speed`` can be changed while running; ``now()`` is not affected. Speed 0: nothing that
    takes time finishes.
    """

    def __init__(self, *, speed: float = 1.0, manual: bool = False, start: datetime | None = None):
        if speed < 0:
            raise ValueError("speed must be >= 0")
        real_now = datetime.now(UTC)
        if start is None:
            start = real_now.replace(microsecond=0) if manual else real_now
        elif start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        elif not manual and start > real_now:
            raise ValueError("a real-time clock cannot start ahead of now")
        self._lock = threading.Lock()
        self._manual = manual
        self._speed = float(speed)
        self._base = start.astimezone(UTC)  # manual mode: now
        self._behind = real_now - self._base  # real-time mode: now is the system's time less this
        self._last = self._base  # real-time mode: the latest now() returned

    # -- reading ---------------------------------------------------------------------------------
    def now(self) -> datetime:
        with self._lock:
            return self._now_locked()

    def _now_locked(self) -> datetime:
        if self._manual:
            return self._base
        now = datetime.now(UTC) - self._behind
        if now > self._last:
            self._last = now
        return self._last

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
            self._speed = float(value)

    def duration(self, seconds: float) -> timedelta:
        """How long something that takes ``seconds`` on AWS takes here (real-time: / speed)."""
        if self._manual:
            return timedelta(seconds=seconds)
        if self._speed == 0:
            return NEVER  # speed 0: nothing that takes time ever finishes
        return timedelta(seconds=seconds / self._speed)

    # -- moving (manual mode) --------------------------------------------------------------------
    def advance(self, seconds: float) -> datetime:
        """Manual mode: move ``seconds`` ahead; returns the new now."""
        if seconds < 0:
            raise ValueError("the clock never goes backwards")
        with self._lock:
            if not self._manual:
                raise RuntimeError(
                    "advance() needs a manual clock: a real-time sandbox clock never runs ahead of now"
                )
            self._base += timedelta(seconds=seconds)
            return self._base

    def set_manual(self, manual: bool) -> None:
        """Switch between manual and real-time mode without a jump in time."""
        with self._lock:
            self._base = self._last = self._now_locked()
            # a manual clock moved ahead of the system's stands still until the system's catches up
            self._behind = max(timedelta(0), datetime.now(UTC) - self._base)
            self._manual = manual

    def __repr__(self) -> str:
        mode = "manual" if self._manual else f"x{self._speed:g}"
        return f"SimClock({mode}, now={self.now().isoformat()})"
