"""docs/protocol.md §10: the plug answers mDNS for _openbl602._tcp with the promised TXT keys,
checked with python-zeroconf (what Home Assistant uses)."""

from __future__ import annotations

import asyncio

from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

SERVICE = "_openbl602._tcp.local."


async def resolve(instance: str) -> AsyncServiceInfo | None:
    azc = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    try:
        info = AsyncServiceInfo(SERVICE, instance)
        for _ in range(3):
            if await info.async_request(azc.zeroconf, 3000):
                return info
        return None
    finally:
        await azc.async_close()


def test_mdns_service_and_txt(sims):
    sim = sims("mdns-e2e")
    info = asyncio.run(resolve(f"openbl602-mdns-e2e.{SERVICE}"))
    assert info is not None, "the plug did not answer the mDNS query"
    assert info.port == sim.http_port
    assert info.server == "openbl602-mdns-e2e.local."
    assert info.parsed_addresses() == ["127.0.0.1"]
    plug = sim.info()
    assert info.properties == {
        b"id": b"mdns-e2e",
        b"mac": plug["mac"].encode(),
        b"model": plug["model"].encode(),
        b"fw": plug["fw"].encode(),
        b"protocol": b"1",
        b"board": plug["board"].encode(),
    }
