"""UART0 as the test needs it: every byte written to the TX FIFO is captured; it never fills."""

from __future__ import annotations

UART0_BASE = 0x4000A000
FIFO_CONFIG_1 = 0x84  # bits 5:0 TX FIFO free count, bits 13:8 RX FIFO count
FIFO_WDATA = 0x88
TX_FIFO_FREE = 0x20


class UartCapture:
    def __init__(self, echo: bool = False) -> None:
        self.data = bytearray()
        self.echo = echo

    def read(self, offset: int) -> int | None:
        """Register value for a read at `offset` in the UART block, None if plain memory."""
        if offset == FIFO_CONFIG_1:
            return TX_FIFO_FREE  # TX always has room, RX always empty
        return None

    def write(self, offset: int, value: int) -> bool:
        if offset != FIFO_WDATA:
            return False
        self.data.append(value & 0xFF)
        if self.echo:
            print(chr(value & 0xFF), end="", flush=True)
        return True

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")

    def lines(self) -> list[str]:
        return [line.rstrip("\r") for line in self.text.split("\n")]
