"""Home Assistant's websocket API: service calls, the entity registry and state_changed events."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp


@dataclass(frozen=True)
class StateChange:
    """One state_changed event: when HA fired it (epoch seconds, HA's clock) and the new state."""

    entity_id: str
    state: str | None
    fired: float


class HaSocket:
    """One authenticated websocket; a reader task routes results to callers and events to a list."""

    def __init__(self, base: str, token: str) -> None:
        self.url = base.rstrip("/").replace("http", "ws", 1) + "/api/websocket"
        self.token = token
        self.changes: list[StateChange] = []
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._subscription: int | None = None

    async def __aenter__(self) -> HaSocket:
        self._session = aiohttp.ClientSession()
        try:
            self._ws = await self._session.ws_connect(self.url, max_msg_size=0)
            await self._ws.receive_json()  # auth_required
            await self._ws.send_json({"type": "auth", "access_token": self.token})
            reply = await self._ws.receive_json()
        except BaseException:
            await self._session.close()
            raise
        if reply.get("type") != "auth_ok":
            await self._session.close()
            raise RuntimeError(f"websocket login refused: {reply}")
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()

    async def _read(self) -> None:
        assert self._ws is not None
        async for msg in self._ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                break
            data = msg.json()
            # HA may coalesce several messages into one JSON array.
            for item in data if isinstance(data, list) else [data]:
                self._dispatch(item)
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(ConnectionError("websocket closed"))

    def _dispatch(self, item: dict[str, Any]) -> None:
        if item.get("type") == "event":
            event = item["event"]
            new = event["data"].get("new_state")
            self.changes.append(
                StateChange(
                    event["data"]["entity_id"],
                    None if new is None else str(new["state"]),
                    datetime.fromisoformat(event["time_fired"]).timestamp(),
                )
            )
            return
        fut = self._pending.pop(int(item.get("id", -1)), None)
        if fut is None or fut.done():
            return
        if item.get("success", True):
            fut.set_result(item.get("result"))
        else:
            fut.set_exception(RuntimeError(f"websocket command failed: {item.get('error')}"))

    async def command(self, message: dict[str, Any], wait_s: float = 60.0) -> Any:
        assert self._ws is not None
        ident = next(self._ids)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[ident] = fut
        await self._ws.send_json({"id": ident, **message})
        return await asyncio.wait_for(fut, wait_s)

    async def call_service(self, domain: str, service: str, entity_id: str) -> None:
        await self.command(
            {
                "type": "call_service",
                "domain": domain,
                "service": service,
                "target": {"entity_id": entity_id},
            }
        )

    async def entity_registry(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.command({"type": "config/entity_registry/list"})
        return result

    async def states(self) -> dict[str, str]:
        return {e: s for e, (s, _) in (await self.states_since()).items()}

    async def states_since(self) -> dict[str, tuple[str, float]]:
        """Each entity's state and when it last changed (epoch seconds)."""
        result: list[dict[str, Any]] = await self.command({"type": "get_states"})
        return {
            s["entity_id"]: (
                str(s["state"]),
                datetime.fromisoformat(s["last_changed"]).timestamp(),
            )
            for s in result
        }

    async def watch(self) -> None:
        """Record state_changed events from now on (they cost HA CPU: off while measuring CPU)."""
        if self._subscription is None:
            ident = next(self._ids)
            fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._pending[ident] = fut
            assert self._ws is not None
            await self._ws.send_json(
                {"id": ident, "type": "subscribe_events", "event_type": "state_changed"}
            )
            await asyncio.wait_for(fut, 30)
            self._subscription = ident

    async def unwatch(self) -> None:
        if self._subscription is not None:
            await self.command({"type": "unsubscribe_events", "subscription": self._subscription})
            self._subscription = None

    async def long_lived_token(self) -> str:
        token: str = await self.command(
            {"type": "auth/long_lived_access_token", "client_name": "bench", "lifespan": 30}
        )
        return token
