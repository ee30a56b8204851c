"""docs/protocol.md §5.1: bounded requests; malformed input gets 400/408/413/503, never a crash."""

from __future__ import annotations

import contextlib
import socket
import time

from .plug import wait_until


def status(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:80]
    return int(answer[9:12])


def test_malformed_requests_each_get_400(sims, raw):
    sim = sims("malformed")
    port = sim.http_port
    cases = [
        b"GARBAGE\r\n\r\n",
        b"GET /api/v1/info\r\n\r\n",
        b"GET /api/v1/info HTTP/2.0\r\n\r\n",
        b"GET http://x/api/v1/info HTTP/1.1\r\n\r\n",
        b"GET /api/v1/info HTTP/1.1\r\nNoColonHere\r\n\r\n",
        b"GET /api/v1/info HTTP/1.1\r\nBad Name: x\r\n\r\n",
        b"GET /api/v1/info HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
        b"POST /api/v1/relay HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"POST /api/v1/relay HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        b"POST /api/v1/relay HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"GET /" + b"a" * 300 + b" HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nX: " + b"v" * 600 + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(30)) + b"\r\n",
        b"GET /\x00 HTTP/1.1\r\n\r\n",
        b"\xff\xfe\xfd\r\n\r\n",
    ]
    for req in cases:
        answer = raw(port, req, 5)
        assert status(answer) == 400, req[:60]
        assert b'"code":"bad_request"' in answer
    assert sim.state()["relay"] is False  # still alive and unchanged


def test_bad_json_bodies(sims):
    sim = sims("badjson")
    for body in [b"{", b"[]", b'{"on":true,}', b'{"on":true}x', b"\xff", b'{"on":tru}']:
        r = sim.post("/api/v1/relay", body, headers={"Content-Type": "application/json"})
        assert r.status == 400, body
        assert r.json()["error"]["code"] == "invalid_json", body


def test_body_too_large_413(sims, raw):
    sim = sims("big")
    body = b"{" + b" " * 3000 + b"}"
    req = (
        b"PATCH /api/v1/config HTTP/1.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body
    )
    answer = raw(sim.http_port, req, 5)
    assert status(answer) == 413
    assert b"payload_too_large" in answer


def test_slow_request_times_out_408(sims):
    sim = sims("slow")
    with socket.create_connection(("127.0.0.1", sim.http_port), 15) as s:
        s.sendall(b"GET /api/v1/info HTTP/1.1\r\nHost: x")
        t0 = time.monotonic()
        answer = s.recv(4096)
        elapsed = time.monotonic() - t0
    assert status(answer) == 408
    assert 3 < elapsed < 8  # §5.1: 4 s to send the request head


def test_fifth_connection_takes_the_slot_of_the_oldest_slow_head(sims, raw):
    sim = sims("busy")
    # The readiness probe is a connection too: let the plug finish and free every slot first,
    # or a slot that frees up late makes room for the fifth connection on a loaded machine.
    assert sim.get("/api/v1/info").status == 200
    time.sleep(0.5)
    held = [socket.create_connection(("127.0.0.1", sim.http_port), 5) for _ in range(4)]
    for s in held:
        s.sendall(b"GET /api/v1/info HTTP/1.1\r\n")  # incomplete: holds its slot
    time.sleep(0.5)  # all four accepted and holding their slots
    # §5.1: a connection still sending its head gives its slot to a new one (one source: its own
    # oldest)
    answer = raw(sim.http_port, b"GET /api/v1/info HTTP/1.1\r\n\r\n", 5)
    assert status(answer) == 200
    held[0].settimeout(5)
    assert held[0].recv(100) == b""  # the oldest was closed
    for s in held:
        s.close()
    wait_until(lambda: sim.get("/api/v1/info").status == 200, 5, "served")


def test_garbage_flood_does_not_kill_the_plug(sims):
    sim = sims("flood")
    for i in range(20):
        with socket.create_connection(("127.0.0.1", sim.http_port), 5) as s:
            s.sendall(bytes((i * 37 + k) % 256 for k in range(2000)))
            s.settimeout(5)
            with contextlib.suppress(ConnectionResetError, TimeoutError):
                s.recv(4096)
    assert sim.get("/api/v1/info").status == 200
    assert sim.proc is not None
    assert sim.proc.poll() is None
