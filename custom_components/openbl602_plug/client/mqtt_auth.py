"""The authenticated MQTT command form (protocol §8.5): `obl-hmac1 <counter> <mac>\\n<body>`."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable

SCHEME = "obl-hmac1"
COUNTER_MAX = 2**53 - 1


def mac_hex(password: str, topic: str, counter: int, body: bytes) -> str:
    """HMAC-SHA256 keyed by the API password over `<topic>\\n<counter>\\n<body>`."""
    message = f"{topic}\n{counter}\n".encode() + body
    return hmac.new(password.encode(), message, hashlib.sha256).hexdigest()


def sign(password: str, topic: str, counter: int, body: str | bytes) -> bytes:
    """The payload of an authenticated command: the plug checks it against `topic`, so a signed
    command is good for that plug and command only, and once only (the counter)."""
    if not password:
        raise ValueError("a plug without an API password cannot check a signature")
    if not 1 <= counter <= COUNTER_MAX:
        raise ValueError(f"counter {counter} outside 1 … 2**53-1")
    raw = body.encode() if isinstance(body, str) else body
    return f"{SCHEME} {counter} {mac_hex(password, topic, counter, raw)}\n".encode() + raw


class CounterSource:
    """Counters for signed commands: Unix time in ms, never equal to or below one handed out
    before by this source (two commands in one millisecond, or a clock stepped back).

    The plug keeps the highest counter it accepted across reboots; a client with no stored
    counter of its own stays above it as long as the wall clock is not behind its last run.
    """

    def __init__(self, clock_ms: Callable[[], int] | None = None) -> None:
        """clock_ms: the time source (tests inject one)."""
        self._clock_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        """A counter strictly above every one returned before."""
        with self._lock:
            counter = max(self._clock_ms(), self._last + 1)
            if counter > COUNTER_MAX:
                raise OverflowError("counter exhausted")
            self._last = counter
            return counter


# One source per process: several plugs share it harmlessly (each plug only needs its own
# counters to rise), and several entries for one plug cannot hand out the same counter.
COUNTERS = CounterSource()
