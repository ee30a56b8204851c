"""Push from the plug over server-sent events: one subscription that keeps itself connected.

Like aioshelly's subscribe API: the caller hands in callbacks and gets decoded payloads; this
module owns the reconnect loop (backoff 1 s doubling to 60 s, reset by any event), decoding and
dispatch. MQTT push arrives through Home Assistant's MQTT integration and uses the same decoders
(payloads.py), so both transports dispatch identically.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .exceptions import AuthFailed, BadPayload, OblError
from .http import OblHttpClient
from .models import ButtonEvent, OtaProgress, PlugState
from .payloads import decode_event, loads_object, parse_state

_LOGGER = logging.getLogger(__name__)

RETRY_MIN = 1.0
RETRY_MAX = 60.0


@dataclass(frozen=True, slots=True)
class PushCallbacks:
    """What the subscriber is told. disconnected is awaited before the next attempt (the
    subscriber may poll meanwhile); auth_failed ends the subscription."""

    state: Callable[[PlugState], None]
    button: Callable[[ButtonEvent], None]
    ota: Callable[[OtaProgress], None]
    disconnected: Callable[[], Awaitable[None]]
    auth_failed: Callable[[], None]
    malformed: Callable[[str, BadPayload], None]


def dispatch(kind: str, data: str | bytes, callbacks: PushCallbacks) -> None:
    """Decode one event ("state", "button", "ota") and hand it to its callback; others are
    ignored (protocol §1: clients ignore what they do not know)."""
    try:
        if kind == "state":
            state = parse_state(loads_object(data))
        elif kind in ("ota", "button"):
            event = decode_event(kind, loads_object(data))
        else:
            return
    except BadPayload as err:
        callbacks.malformed(kind, err)
        return
    if kind == "state":
        callbacks.state(state)
    elif isinstance(event, OtaProgress):
        callbacks.ota(event)
    else:
        callbacks.button(event)


async def subscribe_events(
    client: OblHttpClient,
    callbacks: PushCallbacks,
    retry_min: float = RETRY_MIN,
    retry_max: float = RETRY_MAX,
) -> None:
    """Stay subscribed to the plug's event stream until cancelled or the password is refused."""
    delay = retry_min
    while True:
        try:
            async for event in client.events():
                dispatch(event.event, event.data, callbacks)
                delay = retry_min
        except AuthFailed:
            callbacks.auth_failed()
            return
        except OblError as err:
            _LOGGER.debug("%s: event stream ended: %s", client.host, err)
        except Exception:
            # A bug must not end push for good while everything looks live: log it, reconnect.
            _LOGGER.exception("%s: unexpected error in the event stream", client.host)
        await callbacks.disconnected()
        await asyncio.sleep(delay)
        delay = min(delay * 2, retry_max)
