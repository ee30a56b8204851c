"""Faults found by trying the merged firmware and integration as a user and as an attacker
(tryout session, 2026-12-06). Each test reproduces one fault against the real simulated plug and
is marked xfail(strict) until it is fixed: a fix makes it XPASS, which fails the suite and asks
for the marker to go."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time

import aiohttp
import paho.mqtt.client as mqtt
import pytest

from custom_components.openbl602_plug.client import OblHttpClient

from .plug import Recorder, wait_until
from .test_mdns_conflict import GROUP, A, encode, lo_member, udp_port

PASSWORD = "s3cret-pass"


async def test_concurrent_relay_commands_from_the_client_are_all_carried_out(sims) -> None:
    """Twelve service calls to one plug at once (a script or scene touching several of its
    entities, a dashboard tapped quickly) must all be answered; the plug is up the whole time."""
    sim = sims("busy", extra=("--mdns-port", "0"))
    assert sim.patch("/api/v1/config", {"api_password": PASSWORD}).status == 200
    sim.password = PASSWORD
    failures: list[str] = []
    async with aiohttp.ClientSession() as session:
        client = OblHttpClient(session, "127.0.0.1", sim.http_port, PASSWORD)
        for _ in range(3):
            results = await asyncio.gather(
                *(client.toggle_relay() for _ in range(12)), return_exceptions=True
            )
            failures += [repr(r) for r in results if isinstance(r, BaseException)]
            await asyncio.sleep(0.3)
    print(f"\n[tryout] {len(failures)} of 36 concurrent relay commands failed: {failures[:1]}")
    assert failures == []


def test_an_on_off_flood_cannot_keep_an_overload_powered(sims, broker) -> None:
    """An overload is cut whatever the commands do (protocol.md §5.4: the protections never
    wait). The ON-flood case is covered by test_relay_interval; an MQTT publisher (no password
    needed, §8.5) that opens the relay itself between ON commands restarts the hold time at every
    opening, so the overload never trips and the load keeps getting power. A toggle flood does
    the same (measured in the demo: 3 kW on a 500 W limit, relay closed 49 % of 8 s, no trip)."""
    sim = sims("togtrip", load="100W", mqtt_port=broker.port, extra=("--mdns-port", "0"))
    assert (
        sim.patch("/api/v1/config", {"protection": {"max_power_w": 500, "hold_s": 1}}).status == 200
    )
    topic = "openbl602/togtrip"
    with Recorder(broker.port, [f"{topic}/state"]) as rec:
        sim.relay(True)
        time.sleep(1.0)
        sim.control("load 3000")  # six times the limit
        attacker = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        attacker.connect("127.0.0.1", broker.port)
        attacker.loop_start()
        rec.clear()
        t0 = time.monotonic()
        on_samples = samples = 0
        on = False
        next_command = t0
        try:
            while time.monotonic() - t0 < 8.0:
                if time.monotonic() >= next_command:
                    attacker.publish(f"{topic}/cmd/relay", "on" if on else "off", qos=0)
                    on = not on
                    next_command += 0.25  # each command after the 200 ms interval: applied at once
                on_samples += sim.outputs()["relay"]
                samples += 1
                time.sleep(0.02)
        finally:
            attacker.loop_stop()
            attacker.disconnect()
        wait_until(lambda: rec.on(f"{topic}/state"), 5, "state reports")
        trips = [m.json()["tripped"] for m in rec.on(f"{topic}/state")]
        locked = sim.state()["lockout"]
    powered = on_samples / max(samples, 1)
    print(
        f"\n[tryout] 3 kW on a 500 W limit under an MQTT on/off flood: relay closed "
        f"{powered:.0%} of 8 s, trips reported {sum(t != 'none' for t in trips)}, lockout {locked}"
    )
    # hold_s is 1: 8 s with the overload on for about half of it must have tripped at least once
    assert any(t != "none" for t in trips) or locked


class _RefusedRequests:
    """n connections from one source, each a request without a password that the plug refuses
    with 401, never closed from this side; reopened when the plug closes them. trickle: a POST
    head announcing a 2000-byte body, then one body byte every 0.5 s; else a plain GET."""

    def __init__(self, port: int, source: str, trickle: bool, n: int = 3) -> None:
        self.port, self.source, self.trickle, self.n = port, source, trickle, n
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self) -> socket.socket:
        s = socket.socket()
        s.bind((self.source, 0))
        s.connect(("127.0.0.1", self.port))
        host = f"Host: 127.0.0.1:{self.port}\r\n"
        if self.trickle:
            s.sendall(
                f"POST /api/v1/relay HTTP/1.1\r\n{host}"
                "Content-Type: application/json\r\nContent-Length: 2000\r\n\r\n{".encode()
            )
        else:
            s.sendall(f"GET /api/v1/state HTTP/1.1\r\n{host}\r\n".encode())
        s.setblocking(False)
        return s

    def _run(self) -> None:
        socks: list[socket.socket] = []
        while not self.stop.is_set():
            for s in list(socks):
                try:
                    closed = s.recv(4096) == b""
                except BlockingIOError:
                    closed = False
                except OSError:
                    closed = True
                if not closed and self.trickle:
                    try:
                        s.send(b" ")
                    except OSError:
                        closed = True
                if closed:
                    socks.remove(s)
                    s.close()
            while len(socks) < self.n:
                socks.append(self._open())
            time.sleep(0.5 if self.trickle else 0.01)
        for s in socks:
            s.close()

    def __enter__(self) -> _RefusedRequests:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)


@pytest.mark.parametrize("trickle", [False, True], ids=["get_not_closed", "post_body_trickled"])
def test_refused_requests_do_not_hold_the_owners_slots(sims, trickle: bool) -> None:
    """HA on an HTTP-only plug keeps one SSE stream open; one LAN device without the password
    must not be able to keep HA's commands out (§7: a request without credentials costs nothing;
    §5.1: one source holds at most 3 slots)."""
    sim = sims("refused", extra=("--mdns-port", "0"))
    assert sim.patch("/api/v1/config", {"api_password": PASSWORD}).status == 200
    sim.password = PASSWORD
    stream = socket.create_connection(("127.0.0.1", sim.http_port), 5)
    try:
        stream.sendall(
            f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:{sim.http_port}\r\n"
            f"Authorization: Bearer {PASSWORD}\r\n\r\n".encode()
        )
        assert stream.recv(64).startswith(b"HTTP/1.1 200")
        statuses: dict[int, int] = {}
        with _RefusedRequests(sim.http_port, "127.0.0.2", trickle):
            time.sleep(1.0)
            for _ in range(20):
                r = sim.post("/api/v1/relay", {"toggle": True})
                statuses[r.status] = statuses.get(r.status, 0) + 1
                time.sleep(0.25)
    finally:
        stream.close()
    print(f"\n[tryout] owner's relay commands while one address holds refused requests: {statuses}")
    assert statuses == {200: 20}


def _claim(name: str) -> bytes:
    """An mDNS response (no question) with an A record for name pointing elsewhere."""
    rr = encode(name) + struct.pack(">HHIH", A, 0x8001, 120, 4) + bytes([10, 9, 9, 9])
    return struct.pack(">HHHHHH", 0, 0x8400, 0, 1, 0, 0) + rr


def _name_index(hostname: str, device_id: str) -> int:
    suffix = hostname.removeprefix(f"openbl602-{device_id}")
    return int(suffix[1:]) if suffix else 1


def test_a_flood_of_name_claims_cannot_rename_the_plug_endlessly(sims) -> None:
    """§10: after 15 conflicts within 10 s each further probe waits 5 s. An attacker on the LAN
    that keeps claiming the plug's current name and the next few (no need to wait for probes)
    must not get more than those 15 renames plus one per 5 s."""
    port = udp_port()
    member = lo_member(port)
    sim = sims("claim", extra=("--mdns-port", str(port)))
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        wait_until(lambda: sim.info()["hostname"] == "openbl602-claim", 10, "the plug's name")
        time.sleep(1.5)  # probed and announced
        tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
        tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        tx.bind(("127.0.0.1", 0))
        t0 = time.monotonic()
        while time.monotonic() - t0 < 6.0:
            n = _name_index(sim.info()["hostname"], "claim")
            for k in range(n, n + 10):
                name = "openbl602-claim" + ("" if k == 1 else f"-{k}") + ".local"
                tx.sendto(_claim(name), (GROUP, port))
            time.sleep(0.1)
        renames = _name_index(sim.info()["hostname"], "claim") - 1
        assert sim.get("/api/v1/info").status == 200  # by address it answers whatever its name
    finally:
        tx.close()
        member.close()
    print(f"\n[tryout] renames under 6 s of unsolicited name claims: {renames}")
    assert renames <= 15 + 2
