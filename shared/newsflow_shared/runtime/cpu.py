"""How busy the machine's CPUs were: the share of their time that was idle between two readings.

A stage that spaces its batches to save CPU (the index: one commit per batch) need only do so
while CPU is scarce. At half the peak rate two cores are about half idle, and spacing the index's
commits then only adds latency (p50 +100 ms); at the peak they are not, and spacing gives the
extract workers the CPU a commit per document would take (docs/performance.md).

Read from ``/proc/stat`` (Linux; on Kubernetes the node's, which is what a neighbour competes
for). Where it cannot be read the machine counts as busy, so spacing stays as configured.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

PROC_STAT = Path("/proc/stat")
_IDLE_FIELDS = (3, 4)
"""idle and iowait, in the aggregate ``cpu`` line's fields after its name."""
MIN_WINDOW_JIFFIES = 10
"""Fewer CPU ticks (1/100 s per CPU) than this in the window say too little (just after start)."""


def _cpu_times(path: Path) -> tuple[int, int] | None:
    """(idle, total) jiffies of all CPUs since boot, or None where unreadable."""
    try:
        with path.open("rb") as f:
            first = f.readline().split()
    except OSError:
        return None
    if not first or first[0] != b"cpu":
        return None
    try:
        values = [int(v) for v in first[1:]]
    except ValueError:
        return None
    return sum(values[i] for i in _IDLE_FIELDS if i < len(values)), sum(values)


class IdleShare:
    """``recent()``: the share (0..1) of CPU time that was idle over about the last ``window_s``.

    The window is seconds, not one batch: a stage asking between two batches would otherwise see
    every long document's moment of full load as a busy machine (at half the peak rate that
    spaced the index's commits exactly for the slowest documents)."""

    def __init__(self, window_s: float = 2.0, path: Path = PROC_STAT, clock: Callable[[], float] = time.monotonic):
        self.window_s = window_s
        self.path = path
        self.clock = clock
        self._readings: deque[tuple[float, int, int]] = deque()
        """(time, idle, total) readings; the first is the newest one at least ``window_s`` old."""
        self.recent()

    def recent(self) -> float | None:
        """Idle share since the baseline reading; None when unknown (unreadable, or too few ticks)."""
        times = _cpu_times(self.path)
        if times is None:
            return None
        now = self.clock()
        readings = self._readings
        readings.append((now, *times))
        while len(readings) > 2 and readings[1][0] <= now - self.window_s:
            readings.popleft()
        _, idle, total = readings[0]
        if times[1] - total < MIN_WINDOW_JIFFIES:
            return None
        return (times[0] - idle) / (times[1] - total)
