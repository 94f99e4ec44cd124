"""Who stalled the GUI: an optional probe for the GUI perf benchmark (``DRS_PERF_ATTRIBUTE=1``).

During a run it records
- every garbage collection (``gc.callbacks``: generation, duration, on which thread),
- the page's work per update (start and end),
- what the GUI thread was doing while it was late: a watchdog thread samples the GUI thread's
  stack every 2 ms once the 10 ms meter has not ticked for 25 ms, and notes how late the watchdog
  itself woke (a watchdog that cannot run either means another thread held the GIL).
``report(meter_ticks)`` then prints, for the longest stalls, what overlapped them.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
import traceback
from collections import Counter


class StallProbe:
    def __init__(self, gui_thread: threading.Thread | None = None):
        self.gui_ident = (gui_thread or threading.current_thread()).ident
        self.gcs: list[tuple[float, float, int, str]] = []  # start, end, generation, thread
        self.work: list[tuple[float, float, str]] = []  # start, end, what
        self.samples: list[tuple[float, str, float]] = []  # time, GUI stack summary, watchdog lateness
        self.others: list[tuple[float, str]] = []  # after a late wake-up: what the other threads were doing
        self.heartbeat = time.perf_counter()
        self._gc_start: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="stall-watchdog", daemon=True)

    # -- recording -----------------------------------------------------------------------------
    def start(self) -> None:
        gc.callbacks.append(self._gc)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._gc in gc.callbacks:
            gc.callbacks.remove(self._gc)
        self._thread.join(1)

    def beat(self) -> None:
        self.heartbeat = time.perf_counter()

    def _gc(self, phase: str, info: dict) -> None:
        ident = threading.get_ident()
        if phase == "start":
            self._gc_start[ident] = time.perf_counter()
        else:
            t0 = self._gc_start.pop(ident, None)
            if t0 is not None:
                name = "gui" if ident == self.gui_ident else threading.current_thread().name
                self.gcs.append((t0, time.perf_counter(), info["generation"], name))

    def timed(self, what: str, fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.work.append((t0, time.perf_counter(), what))
        return wrapper

    def _watch(self) -> None:
        while not self._stop.is_set():
            t0 = time.perf_counter()
            time.sleep(0.002)
            now = time.perf_counter()
            lag = now - t0 - 0.002
            if now - self.heartbeat > 0.025:
                frames = sys._current_frames()
                self.samples.append((now, _summary(frames.get(self.gui_ident)), lag))
                if lag > 0.010:  # another thread held the GIL: which one, doing what (where it is now)
                    me = threading.get_ident()
                    names = {t.ident: t.name for t in threading.enumerate()}
                    for ident, frame in frames.items():
                        if ident not in (me, self.gui_ident):
                            text = _summary(frame)
                            if not _idle(text):
                                self.others.append((now, f"{names.get(ident, '?')}: {text}"))

    # -- the report ----------------------------------------------------------------------------
    def report(self, ticks: list[tuple[float, float, float, float]], *, top: int = 8,
               over_ms: float = 40.0) -> list[str]:
        """``ticks``: (time of the tick, its lateness in s, process CPU, GUI thread CPU). One line per
        stall of the ``top`` longest."""
        stalls = []
        for i in range(1, len(ticks)):
            t, late, cpu, gui_cpu = ticks[i]
            if late * 1000 > over_ms:
                _t, _late, cpu0, gui0 = ticks[i - 1]
                stalls.append((ticks[i - 1][0], t, late, cpu - cpu0, gui_cpu - gui0))
        stalls.sort(key=lambda s: -s[2])
        # the longest ones, then the longest during which this process had the CPU (not the machine's)
        own = [st for st in stalls if st[3] >= (st[2] + 0.010) / 4]
        picked = stalls[:top] + [st for st in own[:top] if st not in stalls[:top]]
        lines = []
        for begin, end, late, cpu, gui_cpu in picked:
            gcs = [(g, min(e, end) - max(s, begin), th) for s, e, g, th in self.gcs if s < end and e > begin]
            work = [(w, min(e, end) - max(s, begin)) for s, e, w in self.work if s < end and e > begin]
            stacks = Counter(s for t, s, _ in self.samples if begin <= t <= end)
            gil = max((lag for t, _, lag in self.samples if begin <= t <= end), default=0.0)
            parts = [f"stall {late * 1000:.0f} ms (CPU meanwhile: process {cpu * 1000:.0f} ms, "
                     f"GUI thread {gui_cpu * 1000:.0f} ms)"]
            if gcs:
                parts.append("gc " + ", ".join(f"gen{g} {d * 1000:.0f} ms ({th})" for g, d, th in gcs if d > 0.0005))
            if work:
                parts.append("page " + ", ".join(f"{w} {d * 1000:.0f} ms" for w, d in work))
            if gil > 0.010:
                parts.append(f"watchdog woke {gil * 1000:.0f} ms late (GIL held)")
            if stacks:
                parts.append("GUI thread in: " + " | ".join(f"{n}x {s}" for s, n in stacks.most_common(3)))
            others = Counter(s for t, s in self.others if begin <= t <= end + 0.05)
            if others:
                parts.append("other threads: " + " | ".join(f"{n}x {s}" for s, n in others.most_common(3)))
            lines.append("; ".join(parts))
        total_gc = {}
        for s, e, g, th in self.gcs:
            key = (g, th)
            n, d, mx = total_gc.get(key, (0, 0.0, 0.0))
            total_gc[key] = (n + 1, d + e - s, max(mx, e - s))
        lines.append("gc over the run: " + ", ".join(
            f"gen{g} on {th}: {n}x, {d * 1000:.0f} ms in all, longest {mx * 1000:.0f} ms"
            for (g, th), (n, d, mx) in sorted(total_gc.items())))
        return lines


def _summary(frame) -> str:
    """The innermost frames of our code (and the one it called), short."""
    if frame is None:
        return "?"
    stack = traceback.extract_stack(frame)
    ours = [f for f in stack if "drs_console" in f.filename or "qasync" in f.filename or "tests/perf" in f.filename]
    inner = stack[-1]
    pick = ours[-2:] if ours else stack[-3:-1]
    text = " > ".join(f"{_short(f.filename)}:{f.name}:{f.lineno}" for f in pick)
    if not pick or inner is not pick[-1]:
        text += f" > {_short(inner.filename)}:{inner.name}:{inner.lineno}"
    return text


def _idle(text: str) -> bool:
    """A thread waiting (a lock, a queue, a socket, a sleep): it did not hold the GIL."""
    inner = text.rsplit(" > ", 1)[-1]
    return any(w in inner for w in ("threading.py:wait", "queue.py:get", "selectors.py:select", "socket.py:readinto",
                                    ":_worker:", "thread.py:_worker", "threading.py:_wait_for_tstate_lock",
                                    "connection.py:_recv", "ssl.py:read", "selectors.py", "base_events.py:_run_once",
                                    "time.sleep", "stall_attribution"))


def _short(path: str) -> str:
    path = path.replace("\\", "/")
    for mark in ("drs_console/", "site-packages/", "lib/python3"):
        if mark in path:
            return path.split(mark, 1)[1]
    return path.rsplit("/", 1)[-1]
