"""Interop: python-zeroconf (what Home Assistant uses) browses and resolves our mDNS responder.

Usage: zeroconf_interop.py PATH/TO/mdns_serve
Starts mdns_serve on the real port 5353 with a unique id, then browses _openbl602._tcp.local. and
resolves the instance; checks address, port, host name and every TXT key the protocol promises.
"""

import asyncio
import os
import subprocess
import sys

from zeroconf import IPVersion, ServiceStateChange
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

SERVICE = "_openbl602._tcp.local."


async def check(ident: str) -> list[str]:
    problems: list[str] = []
    azc = AsyncZeroconf(ip_version=IPVersion.V4Only)
    seen: list[str] = []

    def on_change(
        zeroconf: object, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change is ServiceStateChange.Added:
            seen.append(name)

    browser = AsyncServiceBrowser(azc.zeroconf, SERVICE, handlers=[on_change])
    instance = f"openbl602-{ident}.{SERVICE}"
    for _ in range(60):
        if instance in seen:
            break
        await asyncio.sleep(0.1)
    if instance not in seen:
        problems.append(f"browse did not find {instance} (saw {seen})")
    info = AsyncServiceInfo(SERVICE, instance)
    if not await info.async_request(azc.zeroconf, 3000):
        problems.append("resolve failed")
    else:
        if info.parsed_addresses() != ["192.0.2.2"]:
            problems.append(f"address {info.parsed_addresses()}")
        if info.port != 8080:
            problems.append(f"port {info.port}")
        if info.server != f"openbl602-{ident}.local.":
            problems.append(f"server {info.server}")
        want = {
            b"id": ident.encode(),
            b"mac": b"02aabbccddee",
            b"model": b"sim",
            b"fw": b"0.1.0",
            b"protocol": b"1",
            b"board": b"posix-sim",
        }
        if info.properties != want:
            problems.append(f"TXT {info.properties}")
    await browser.async_cancel()
    await azc.async_close()
    return problems


def main() -> int:
    ident = f"interop-{os.getpid()}"
    proc = subprocess.Popen([sys.argv[1], ident, "15"], stdout=subprocess.PIPE, text=True)
    try:
        problems = asyncio.run(check(ident))
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=5)
    for p in problems:
        print("FAIL", p)
    print("responder:", out.strip() or "(killed before its summary)")
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
