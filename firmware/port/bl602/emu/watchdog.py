"""The BL602 watchdog (TIMER block), modelled far enough to say whether a plug would reset.

Registers (offsets in the TIMER block at 0x4000A500): WMER 0x64 (bit 0 enable, bit 1 reset on
expiry), WMR 0x68 (compare value), WCR 0x98 (write 1: counter reset, i.e. a feed, after the
WFAR/WSAR key writes), TCDR 0xBC bits 31:24 (watchdog clock divider). The SDK clocks it from the
32 kHz oscillator: with divider 31 one count is ~1 ms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TIMER_BASE = 0x4000A500
WMER = 0x64
WMR = 0x68
WCR = 0x98
TCDR = 0xBC
CLOCK_HZ = 32768


@dataclass
class Watchdog:
    enabled: bool = False
    compare: int = 0
    divider: int = 0
    last_feed_us: float = 0.0
    feeds: int = 0
    feed_times_us: list[float] = field(default_factory=list)
    max_gap_us: float = 0.0
    expired_at_us: float | None = None

    def timeout_us(self) -> float:
        return self.compare * (self.divider + 1) * 1e6 / CLOCK_HZ

    def write(self, offset: int, value: int, now_us: float) -> None:
        if offset == WMER:
            was = self.enabled
            self.enabled = bool(value & 1)
            if self.enabled and not was:
                self.last_feed_us = now_us
        elif offset == WMR:
            self.compare = value & 0xFFFF
        elif offset == TCDR:
            self.divider = (value >> 24) & 0xFF
        elif offset == WCR and value & 1:
            self.feeds += 1
            if self.enabled:
                self.max_gap_us = max(self.max_gap_us, now_us - self.last_feed_us)
            self.last_feed_us = now_us
            self.feed_times_us.append(now_us)

    def check(self, now_us: float) -> bool:
        """False once the counter would have reached the compare value: the chip would reset."""
        if self.enabled and self.compare and now_us - self.last_feed_us > self.timeout_us():
            if self.expired_at_us is None:
                self.expired_at_us = now_us
            return False
        return True
