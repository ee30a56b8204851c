"""Issue #13 item 3: slow or many connections cannot lock the owner out of the HTTP API (§5.1).

Attackers use other loopback source addresses than the legitimate client (127.0.0.1). The flood
benchmark prints the legitimate client's success rate and p99 latency (run with -s to see it); only
the success rate is asserted.
"""

from __future__ import annotations

import socket
import time

from ..images import obli
from .flood import SlowSockets, legit_requests
from .plug import wait_until
from .test_sse import EventStream

ATTACKERS = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]


def test_flood_benchmark_4_and_16_slow_sockets(sims):
    sim = sims("slots-bench")
    assert sim.get("/api/v1/info").status == 200
    results = []
    for n, sources in [(4, ATTACKERS[:1]), (4, ATTACKERS), (16, ATTACKERS[:1]), (16, ATTACKERS)]:
        with SlowSockets(sim.http_port, n, sources) as slow:
            time.sleep(3)  # the slow sockets hold their slots (a line every 2 s)
            m = legit_requests(sim.http_port, 60)
        label = f"{n:2d} slow sockets from {len(sources)} address(es), {slow.reconnects} reconnects"
        print("\n[flood] " + m.line(label))
        results.append(m)
    for m in results:
        assert m.success == 1.0, m.statuses


def test_two_event_streams_and_slow_sockets_do_not_lock_everyone_out(sims):
    sim = sims("slots-sse")
    a, b = EventStream(sim.http_port), EventStream(sim.http_port)
    a.read_head()
    b.read_head()
    with SlowSockets(sim.http_port, 2, ATTACKERS[:2]):
        time.sleep(3)
        m = legit_requests(sim.http_port, 20)
    print("\n[flood] " + m.line("2 SSE streams + 2 slow sockets"))
    assert m.success == 1.0, m.statuses
    a.close()
    b.close()


def test_trickled_firmware_upload_is_cut_off(sims):
    """§5.1: an upload must average 2 KiB/s after 30 s (plug clock at 10x: 3 s here)."""
    sim = sims("slots-ota", time_scale=10.0)
    image = obli(payload=b"\x13" * 400_000)
    total = len(image)
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", sim.http_port), 5) as s:
        s.sendall(
            b"POST /api/v1/ota HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            b"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n"
            % (sim.http_port, total)
        )
        s.settimeout(0.5)
        answer = b""
        sent = 0
        while time.monotonic() - t0 < 20 and not answer:
            try:  # a valid image, trickled: never idle for 30 s, far below the minimum rate
                s.sendall(image[sent : sent + 100])
                sent += 100
                answer = s.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
    assert b"too slow" in answer
    wait_until(lambda: sim.get("/api/v1/ota").json()["state"] != "receiving", 5, "upload ended")
