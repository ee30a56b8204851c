"""The energy total Home Assistant records: monotonic, whatever the plug's counter does.

The plug's lifetime counter (protocol §3) legitimately reads up to ENERGY_LOSS_WH lower after a
power cut, and messages can arrive out of order (a retained MQTT state older than an HTTP reading,
a poll racing a push). HA's statistics count a drop to >= 90 % of the previous value as a dip, so
any drop would be recorded as negative consumption. Rules:

- a reading at most ENERGY_LOSS_WH below the highest one is a dip: the total holds the highest;
- a reading further below is a counter reset (factory reset, replaced storage) only when the next
  reading confirms it (a single stale message is dropped); HA's total then continues from where it
  was (the plug's new counter is added on top): no reset, no negative value, no spike;
- a reset the user asked for (the reset_energy action) restarts the total at the plug's value:
  HA records one meter reset (a drop to 0 is far below 90 %).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

_LOGGER = logging.getLogger(__package__)

# protocol §3: energy is written to flash every 10 Wh of growth; a power cut loses less than that.
ENERGY_LOSS_WH = 10


@dataclass
class EnergyTotal:
    """offset_wh (earlier counter epochs) + the highest plug reading of the current epoch."""

    offset_wh: int = 0
    plug_max_wh: int | None = None
    suspect_wh: int | None = None
    reset_requested: bool = False

    @property
    def total_wh(self) -> int | None:
        """What the energy sensor shows."""
        return None if self.plug_max_wh is None else self.offset_wh + self.plug_max_wh

    def add(self, plug_wh: int) -> None:
        """Take one reading of the plug's counter."""
        if self.reset_requested and (self.plug_max_wh is None or plug_wh < self.plug_max_wh):
            self.offset_wh, self.plug_max_wh = 0, plug_wh
            self.suspect_wh = None
            self.reset_requested = False
            return
        if self.plug_max_wh is None or plug_wh >= self.plug_max_wh:
            self.plug_max_wh = plug_wh
            self.suspect_wh = None
            return
        if self.plug_max_wh - plug_wh <= ENERGY_LOSS_WH:
            self.suspect_wh = None  # a power cut's loss or an older message: hold
            return
        if self.suspect_wh is None:
            self.suspect_wh = plug_wh  # one reading far below: stale, or a reset; wait and see
            return
        _LOGGER.info(
            "Energy counter restarted at %s Wh (was %s Wh): the total continues from %s Wh",
            plug_wh,
            self.plug_max_wh,
            self.total_wh,
        )
        self.offset_wh += self.plug_max_wh
        self.plug_max_wh = plug_wh
        self.suspect_wh = None

    def restore(self, offset_wh: int, plug_max_wh: int) -> None:
        """Continue from what HA recorded before a restart or reload."""
        current = self.plug_max_wh
        self.offset_wh, self.plug_max_wh, self.suspect_wh = offset_wh, plug_max_wh, None
        if current is not None:
            self.add(current)
            if self.suspect_wh is not None:
                # The plug was away while HA was down: nothing newer will contradict the drop.
                self.add(current)

    def request_reset(self) -> None:
        """The user reset the counter: the next lower reading starts a new total."""
        self.reset_requested = True

    def end_reset_request(self) -> None:
        """The reset command finished (or failed)."""
        self.reset_requested = False
