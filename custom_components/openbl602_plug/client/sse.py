"""Server-sent events framing (the text/event-stream format of the WHATWG HTML standard)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from .exceptions import BadPayload

# The plug's largest event is a full state report (well under 1 KiB); a longer line is garbage.
MAX_EVENT_BYTES = 16384


class LineReader(Protocol):
    """What read_sse needs from a stream (aiohttp's StreamReader provides it)."""

    async def readline(self) -> bytes:
        """Return one line including its newline, or b"" at end of stream."""


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One dispatched event: its type ("message" when the server gave none) and data."""

    event: str
    data: str
    id: str | None = None


async def read_sse(stream: LineReader) -> AsyncIterator[SseEvent]:
    """Yield events from a stream until it ends. Comment lines (keep-alives) are skipped."""
    event = ""
    data: list[str] = []
    size = 0
    last_id: str | None = None
    while True:
        raw = await stream.readline()
        if not raw:
            return
        size += len(raw)
        if size > MAX_EVENT_BYTES:
            raise BadPayload("server-sent event too long")
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            if data:
                yield SseEvent(event or "message", "\n".join(data), last_id)
            event, data, size = "", [], 0
            continue
        if line.startswith(":"):
            size = 0 if not data and not event else size
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            last_id = value
