"""The client's push subscription (client/push.py) against the fake plug over real sockets:
decoded callbacks, reconnect with backoff after the plug closes the stream, auth end."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from custom_components.openbl602_plug.client import OblHttpClient
from custom_components.openbl602_plug.client.push import PushCallbacks, subscribe_events

from ..fakeplug import FakePlug


async def test_subscription_decodes_dispatches_and_reconnects(fake_plug: FakePlug) -> None:
    got: list[tuple[str, Any]] = []
    drops = 0

    async def disconnected() -> None:
        nonlocal drops
        drops += 1

    callbacks = PushCallbacks(
        state=lambda s: got.append(("state", s.power_w)),
        button=lambda b: got.append(("button", b.action)),
        ota=lambda o: got.append(("ota", o.progress)),
        disconnected=disconnected,
        auth_failed=lambda: got.append(("auth", None)),
        malformed=lambda kind, err: got.append(("malformed", kind)),
    )
    async with aiohttp.ClientSession() as session:
        client = OblHttpClient(session, fake_plug.host, fake_plug.port)
        task = asyncio.create_task(subscribe_events(client, callbacks, 0.05, 0.1))
        for _ in range(100):
            if fake_plug.stream_count:
                break
            await asyncio.sleep(0.02)
        fake_plug.push("button", {"action": "double"})
        fake_plug.push("ota", {"state": "receiving", "progress": 40, "error": None})
        fake_plug.push("state", {"relay": "maybe"})
        fake_plug.push("weather", {"rain": True})
        fake_plug.drop_streams()
        for _ in range(200):
            if drops and fake_plug.stream_count:
                break
            await asyncio.sleep(0.02)
        fake_plug.push_state(power_w=9.5)
        for _ in range(100):
            if ("state", 9.5) in got:
                break
            await asyncio.sleep(0.02)
        fake_plug.password = "now-locked"
        fake_plug.drop_streams()
        await asyncio.wait_for(task, 5)
    assert got[0] == ("state", 115.2)  # the first event of every connection
    assert ("button", "double") in got
    assert ("ota", 40) in got
    assert ("malformed", "state") in got
    assert ("state", 9.5) in got
    assert got[-1] == ("auth", None)
    assert drops >= 1
