"""Slowing down a kiosk that issues tickets faster than a person can.

A kiosk page sends its device id with each ticket request. Each device has a token bucket:
``burst`` tickets at once, then one per ``interval`` seconds. A request that finds the bucket
empty is held back for the short wait a person would not notice (up to ``max_delay``); beyond
that it is refused with 429 and the number of seconds to wait. A jammed touchscreen or a child
hammering the button thus gets a few tickets, not a hundred.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class DeviceThrottle:
    burst: int = 3
    interval: float = 5.0
    max_delay: float = 3.0
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def wait_for(self, device: str, now: float | None = None) -> float:
        """Take one ticket's token: 0 to go ahead, else the seconds until one is available.

        A positive answer up to ``max_delay`` has already reserved the token (the caller waits,
        then issues); above it nothing was taken (the caller refuses)."""
        if self.interval <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(device)
        if bucket is None:
            bucket = self._buckets[device] = _Bucket(float(self.burst), now)
            if len(self._buckets) > 10_000:  # forget idle devices; kiosks are few
                self._buckets = {device: bucket}
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) / self.interval)
        bucket.updated = now
        wait = (1 - bucket.tokens) * self.interval if bucket.tokens < 1 else 0.0
        if wait <= self.max_delay:
            bucket.tokens -= 1
        return wait
