"""Spreading a stage's outputs over the next topic's partitions by the work they carry.

Keyed partitioning puts a document on a partition by its id's hash, so the next stage's workers
are independent queues: a short article hashed behind a long one waits for it while the other
worker idles (at half the peak rate, the first cause of the strip→extract hop's tail:
docs/performance.md). A stage that can estimate the next stage's work for an output
(``Stage.downstream_work``) has the runtime send each output to the partition with the least
work still outstanding: the work sent to it, drained at the rate the next stage gets through it.
Without feedback from the consumers this is an estimate, but it is the join-the-shortest-queue
rule for queues that cannot be shared.

A key keeps its partition while it is remembered (the last ``remembered`` keys), so that two
versions of one document in flight together stay in order.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class LeastWorkPartitioner:
    """``partition(key, work)``: the partition with the least estimated work outstanding."""

    def __init__(
        self,
        partitions: int,
        drained_per_s: float,
        remembered: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if partitions < 1 or drained_per_s <= 0:
            raise ValueError("need at least one partition and a positive drain rate")
        self.drained_per_s = drained_per_s
        self.remembered = remembered
        self.clock = clock
        self.outstanding = [0.0] * partitions
        self._updated = clock()
        self._partition_of: OrderedDict[bytes, int] = OrderedDict()

    def partition(self, key: bytes, work: float) -> int:
        """Where to send a record of ``key`` that brings ``work`` to the next stage."""
        now = self.clock()
        drained = (now - self._updated) * self.drained_per_s
        self._updated = now
        self.outstanding = [max(0.0, w - drained) for w in self.outstanding]
        chosen = self._partition_of.get(key)
        if chosen is None:
            chosen = min(range(len(self.outstanding)), key=self.outstanding.__getitem__)
        else:
            self._partition_of.move_to_end(key)
        self.outstanding[chosen] += max(work, 0.0)
        self._partition_of[key] = chosen
        if len(self._partition_of) > self.remembered:
            self._partition_of.popitem(last=False)
        return chosen
