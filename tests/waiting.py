"""Polling shared by the tests that watch a real cluster change."""
from __future__ import annotations

import time


def eventually(probe, timeout: float = 60, interval: float = 0.5):
    """Return probe()'s first truthy value, or fail with the last value or error it gave."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except Exception as e:  # noqa: BLE001 - a transient refusal while endpoints change is retried
            last = e
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")
