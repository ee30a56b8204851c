"""Push from the plug: which transport carries it, and decoding and dispatch for all of them.

Like aioshelly's subscribe API: the caller hands in callbacks and gets decoded payloads.
`subscribe_events` is one server-sent-events subscription that keeps itself connected (backoff
1 s doubling to 60 s, reset by any event). `PushSession` chooses between MQTT and server-sent
events and falls back while MQTT cannot carry the plug; it takes the MQTT subscribe function as an
argument (Home Assistant's MQTT integration in the integration, anything in tests), so it stays
independent of any MQTT library.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from . import mqtt as mqtt_msg
from .exceptions import AuthFailed, BadPayload, OblError
from .http import OblHttpClient
from .models import ButtonEvent, CommandResult, OtaProgress, PlugState
from .payloads import decode_event, loads_object, parse_state

_LOGGER = logging.getLogger(__name__)

RETRY_MIN = 1.0
RETRY_MAX = 60.0
# While MQTT cannot carry a plug that has no event stream, read its state this often.
FALLBACK_POLL = 1.0
# MQTT chosen but nothing at all arrives: the plug publishes to another broker.
MQTT_SILENCE = 30.0


def _ignore(*_args: object) -> None:
    return None


def _never() -> bool:
    return False


def _nothing() -> PlugState | None:
    return None


@dataclass(frozen=True, slots=True)
class PushCallbacks:
    """What the subscriber is told. disconnected is awaited before the next attempt (the
    subscriber may poll meanwhile); auth_failed ends the subscription.

    Only a PushSession uses the rest: result (MQTT command answers); unreachable (the plug's
    last will came and the plug does not answer HTTP either); paused (the plug said goodbye
    before a restart the subscriber asked for, see restarting: the subscriber polls); held (the
    state the subscriber shows, for the older-retained-state rule)."""

    state: Callable[[PlugState], None]
    button: Callable[[ButtonEvent], None]
    ota: Callable[[OtaProgress], None]
    disconnected: Callable[[], Awaitable[None]]
    auth_failed: Callable[[], None]
    malformed: Callable[[str, BadPayload], None]
    result: Callable[[CommandResult], None] = _ignore
    unreachable: Callable[[OblError], None] = _ignore
    paused: Callable[[], None] = _ignore
    restarting: Callable[[], bool] = _never
    held: Callable[[], PlugState | None] = _nothing


def dispatch(kind: str, data: str | bytes, callbacks: PushCallbacks) -> None:
    """Decode one event ("state", "button", "ota") and hand it to its callback; others are
    ignored (protocol §1: clients ignore what they do not know)."""
    if kind not in ("state", "ota", "button"):
        return
    try:
        obj = loads_object(data)
    except BadPayload as err:
        callbacks.malformed(kind, err)
        return
    dispatch_object(kind, obj, callbacks)


def dispatch_object(kind: str, obj: Mapping[str, Any], callbacks: PushCallbacks) -> None:
    """dispatch() for a body already decoded from JSON."""
    try:
        if kind == "state":
            callbacks.state(parse_state(obj))
            return
        event = decode_event(kind, obj)
    except BadPayload as err:
        callbacks.malformed(kind, err)
        return
    if isinstance(event, OtaProgress):
        callbacks.ota(event)
    else:
        callbacks.button(event)


def is_older(state: PlugState, held: PlugState | None) -> bool:
    """Same boot, less uptime: sent before what is held (a broker's retained copy can be)."""
    if held is None or state.uptime_s is None or held.uptime_s is None:
        return False
    return state.reset_reason == held.reset_reason and state.uptime_s < held.uptime_s


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


# -- choosing the transport ------------------------------------------------------------------

type MqttHandler = Callable[[bytes | str, bool], None]
"""Called with a message's payload and its retain flag."""
type MqttSubscribe = Callable[[str, MqttHandler, int], Awaitable[Callable[[], None]]]
"""Subscribe a handler to a topic at a QoS; returns the unsubscribe function."""
type Spawn = Callable[[Coroutine[Any, Any, None], str], asyncio.Task[None]]
"""Run a coroutine as a task the caller owns (cancelled with it)."""


class Transport(StrEnum):
    """What carries the plug's push by choice (a fallback may stand in for MQTT for a while)."""

    POLLING = "polling"
    MQTT = "mqtt"
    SSE = "sse"


def _spawn(coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
    return asyncio.get_running_loop().create_task(coro, name=name)


class PushSession:
    """One plug's push, on the transport that can carry it.

    - MQTT when the caller's broker is the plug's (start(mqtt=...)): state, status, event and
      result topics, decoded once and dispatched. Nothing at all within MQTT_SILENCE: the plug
      publishes elsewhere, server-sent events for good.
    - Server-sent events otherwise, when the plug has them (capability `events`).
    - While MQTT cannot carry the plug, a fallback does: the caller's MQTT client is disconnected
      (mqtt_connection(False)), or the plug's last will came while the plug still answers HTTP
      (the broker went away under it). The fallback is server-sent events, or a state read every
      FALLBACK_POLL s for a plug without them; it ends at the first message the plug sends over
      MQTT again (after a broker restart the plug republishes its retained state).
    - A last will is checked over HTTP before anything is reported: only a plug that does not
      answer is `unreachable`. A planned restart (callbacks.restarting) only pauses push.
    """

    def __init__(
        self,
        client: OblHttpClient,
        device_id: str,
        callbacks: PushCallbacks,
        *,
        events: bool,
        spawn: Spawn = _spawn,
        retry_min: float = RETRY_MIN,
        retry_max: float = RETRY_MAX,
        fallback_poll: float = FALLBACK_POLL,
        silence: float = MQTT_SILENCE,
    ) -> None:
        """Nothing runs until start()."""
        self._client = client
        self._topics = mqtt_msg.Topics(device_id)
        self._callbacks = callbacks
        self._events = events
        self._spawn = spawn
        self._retry = (retry_min, retry_max)
        self._fallback_poll = fallback_poll
        self._silence = silence
        self.transport = Transport.POLLING
        self._unsubscribe: list[Callable[[], None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._fallback: asyncio.Task[None] | None = None
        self._heard = False
        self._mqtt_messages = 0  # from the plug, for telling what came during an HTTP check
        # MQTT delivers the plug (until the broker or the plug's will says otherwise).
        self._mqtt_carries = True
        # The last will was checked and the plug did not answer: the caller's polling has it.
        self._plug_gone = False
        # When the plug last published over MQTT (monotonic), and whether its status is online:
        # a command published now reaches it (mqtt_live).
        self._last_heard: float | None = None
        self._online = True

    def mqtt_live(self, within: float) -> bool:
        """MQTT carries the plug now: the caller's client is connected to the plug's broker, the
        plug's status is not its last will, and it published within `within` seconds."""
        return (
            self.transport is Transport.MQTT
            and self._mqtt_carries
            and self._online
            and self._last_heard is not None
            and time.monotonic() - self._last_heard <= within
        )

    @property
    def fallback_active(self) -> bool:
        """A fallback stands in for MQTT right now."""
        return self._fallback is not None

    async def start(self, mqtt_subscribe: MqttSubscribe | None) -> None:
        """MQTT when a subscribe function is given, else server-sent events if the plug has them
        (else nothing: the caller polls)."""
        if mqtt_subscribe is not None:
            self.transport = Transport.MQTT
            topics = self._topics
            # The state is a whole retained snapshot, replaced by the next one and re-sent on
            # every (re)subscription: QoS 0 spares a PUBACK per message, the busiest topic.
            for topic, handler, qos in (
                (topics.state, self._on_state, 0),
                (topics.status, self._on_status, 1),
                (topics.event, self._on_event, 1),
                (topics.result, self._on_result, 1),
            ):
                self._unsubscribe.append(await mqtt_subscribe(topic, handler, qos))
            self._run(self._silence_check(), "silence check")
        elif self._events:
            self._start_events()

    def stop(self) -> None:
        """Unsubscribe and end every task."""
        while self._unsubscribe:
            self._unsubscribe.pop()()
        self._fallback = None
        for task in list(self._tasks):
            task.cancel()

    def mqtt_connection(self, connected: bool) -> None:
        """The caller's MQTT client went down or came back."""
        if self.transport is not Transport.MQTT:
            return
        if not connected:
            # Nothing arrives until it is back and the plug has published again.
            self._mqtt_carries = False
            self._update_fallback()

    # -- MQTT messages ------------------------------------------------------------------------

    def _mqtt_heard(self) -> None:
        self._heard = True
        self._last_heard = time.monotonic()
        self._online = True
        self._mqtt_messages += 1
        if not self._mqtt_carries or self._plug_gone:
            self._mqtt_carries = True
            self._plug_gone = False
            self._update_fallback()

    def _on_state(self, payload: bytes | str, retained: bool) -> None:
        self._mqtt_heard()
        try:
            state = parse_state(loads_object(payload))
        except BadPayload as err:
            self._callbacks.malformed("state", err)
            return
        if retained and is_older(state, self._callbacks.held()):
            _LOGGER.debug("%s: ignoring an older retained state", self._client.host)
            return
        self._callbacks.state(state)

    def _on_status(self, payload: bytes | str, retained: bool) -> None:
        try:
            online = mqtt_msg.parse_status(payload)
        except BadPayload as err:
            self._callbacks.malformed("status", err)
            return
        if online:
            self._mqtt_heard()
            return
        self._heard = True
        self._online = False
        if self._callbacks.restarting():
            self._callbacks.paused()  # the plug says goodbye before a planned restart
            return
        self._run(self._check_will(), "last will check")

    def _on_event(self, payload: bytes | str, retained: bool) -> None:
        self._mqtt_heard()
        try:
            body = loads_object(payload)
        except BadPayload as err:
            self._callbacks.malformed("event", err)
            return
        kind = body.get("type") or body.get("event")
        if kind not in ("button", "ota"):
            self._callbacks.malformed("event", BadPayload(f"unknown event type {kind!r}"))
            return
        dispatch_object(str(kind), body, self._callbacks)

    def _on_result(self, payload: bytes | str, retained: bool) -> None:
        self._mqtt_heard()
        try:
            result = mqtt_msg.parse_result_message(payload)
        except BadPayload:
            return
        self._callbacks.result(result)

    async def _check_will(self) -> None:
        """The broker published the plug's last will: ask the plug itself."""
        seen = self._mqtt_messages
        try:
            state = await self._client.state()
        except AuthFailed:
            self._callbacks.auth_failed()
            return
        except OblError as err:
            self._plug_gone = True
            self._mqtt_carries = False
            self._update_fallback()
            self._callbacks.unreachable(err)
            return
        _LOGGER.debug("%s: last will on MQTT but the plug answers", self._client.host)
        self._callbacks.state(state)
        if self._mqtt_messages == seen:  # not back on the broker while we asked
            self._mqtt_carries = False
            self._update_fallback()

    async def _silence_check(self) -> None:
        await asyncio.sleep(self._silence)
        if self._heard or self.transport is not Transport.MQTT or not self._events:
            return
        _LOGGER.info(
            "%s: nothing from the plug on Home Assistant's MQTT broker; using server-sent events",
            self._client.host,
        )
        while self._unsubscribe:
            self._unsubscribe.pop()()
        self._stop_fallback()
        self._start_events()

    # -- fallback -----------------------------------------------------------------------------

    def _update_fallback(self) -> None:
        wanted = self.transport is Transport.MQTT and not self._mqtt_carries and not self._plug_gone
        if wanted and self._fallback is None:
            _LOGGER.debug("%s: MQTT cannot carry the plug; push by fallback", self._client.host)
            body = self._sse_loop() if self._events else self._poll_loop()
            self._fallback = self._run(body, "fallback")
        elif not wanted:
            self._stop_fallback()

    def _stop_fallback(self) -> None:
        if self._fallback is not None:
            _LOGGER.debug("%s: MQTT carries the plug again", self._client.host)
            self._fallback.cancel()
            self._fallback = None

    def _start_events(self) -> None:
        self.transport = Transport.SSE
        self._run(self._sse_loop(), "events")

    async def _sse_loop(self) -> None:
        await subscribe_events(self._client, self._callbacks, *self._retry)

    async def _poll_loop(self) -> None:
        while True:
            try:
                state = await self._client.state()
            except AuthFailed:
                self._callbacks.auth_failed()
                return
            except OblError as err:
                self._callbacks.unreachable(err)
            else:
                self._callbacks.state(state)
            await asyncio.sleep(self._fallback_poll)

    def _run(self, coro: Coroutine[Any, Any, None], what: str) -> asyncio.Task[None]:
        task = self._spawn(coro, f"{self._client.host} {what}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
