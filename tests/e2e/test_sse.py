"""docs/protocol.md §6: Server-Sent Events push state changes, button events, OTA progress."""

from __future__ import annotations

import json
import socket
import time

from .plug import wait_until


class EventStream:
    def __init__(self, port: int, headers: str = "") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), 5)
        head = (
            f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Accept: text/event-stream\r\n"
        )
        self.sock.sendall(f"{head}{headers}\r\n".encode())
        self.buf = b""
        self.head = b""
        self.unread: list[tuple[str, object]] = []  # events read past the one next_event returned

    def read_head(self) -> bytes:
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            assert chunk, "closed before the response head"
            self.buf += chunk
        self.head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        return self.head

    def _chunk(self, timeout: float) -> bytes | None:
        """One chunk of the chunked body, or None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if b"\r\n" in self.buf:
                size_line, rest = self.buf.split(b"\r\n", 1)
                size = int(size_line, 16)
                if len(rest) >= size + 2:
                    data, self.buf = rest[:size], rest[size + 2 :]
                    return data
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(4096)
            except TimeoutError:
                return None
            if not chunk:
                raise AssertionError("stream closed")
            self.buf += chunk

    def events(self, timeout: float, until_closed: bool = False) -> list[tuple[str, object]]:
        """Events within timeout; with until_closed the plug closing the stream ends the list."""
        out, self.unread = self.unread, []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data = self._chunk(deadline - time.monotonic())
            except AssertionError:
                if until_closed:
                    break
                raise
            if data is None:
                break
            text = data.decode()
            if text.startswith(":"):
                out.append(("comment", text.strip()))
                continue
            lines = dict(line.split(": ", 1) for line in text.strip().split("\n"))
            out.append((lines["event"], json.loads(lines["data"])))
        return out

    def next_event(self, name: str, timeout: float = 10.0) -> object:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            batch = self.events(min(0.5, deadline - time.monotonic()))
            for i, (ev, data) in enumerate(batch):
                if ev == name:
                    self.unread = batch[
                        i + 1 :
                    ]  # a settled value may follow its relay report at once
                    return data
        raise AssertionError(f"no {name} event within {timeout} s")

    def close(self) -> None:
        self.sock.close()


def test_stream_head_and_first_state_event(sims):
    sim = sims("sse")
    s = EventStream(sim.http_port)
    head = s.read_head().decode()
    assert head.startswith("HTTP/1.1 200 OK")
    assert "Content-Type: text/event-stream" in head
    assert "Transfer-Encoding: chunked" in head
    first = s.events(2)[0]
    assert first[0] == "state"
    assert first[1]["relay"] is False
    s.close()


def test_state_pushed_on_relay_change_without_polling(sims):
    sim = sims("ssepush", load="200W")
    s = EventStream(sim.http_port)
    s.read_head()
    s.next_event("state")
    t0 = time.monotonic()
    sim.relay(True)
    ev = s.next_event("state", 3)
    assert ev["relay"] is True
    assert time.monotonic() - t0 < 2
    # the power reading arrives as its own report when it moves beyond the deltas
    ev = wait_until(
        lambda: next((d for e, d in s.events(1) if e == "state" and d["power_w"] > 190), None),
        10,
        "power report",
    )
    assert abs(ev["power_w"] - 200) < 4
    s.close()


def test_button_events(sims):
    sim = sims("ssebutton")
    s = EventStream(sim.http_port)
    s.read_head()
    s.next_event("state")
    assert sim.control("press 100") == "ok press"
    assert s.next_event("button") == {"action": "single"}
    assert s.next_event("state")["relay"] is True  # a short press toggles the relay
    assert sim.control("double").startswith("ok")
    assert s.next_event("button") == {"action": "double"}
    assert sim.control("hold 1500").startswith("ok")
    assert s.next_event("button") == {"action": "long"}
    s.close()


def test_at_most_two_streams(sims, raw):
    sim = sims("ssemax")
    a, b = EventStream(sim.http_port), EventStream(sim.http_port)
    a.read_head()
    b.read_head()
    answer = raw(
        sim.http_port,
        b"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % sim.http_port,
        3,
    )
    assert answer.startswith(b"HTTP/1.1 503 ")
    assert b'"busy"' in answer
    a.close()
    b.close()


def test_events_need_auth_when_password_set(sims):
    sim = sims("sseauth")
    assert sim.patch("/api/v1/config", {"api_password": "s3cret-pass"}).status == 200
    s = EventStream(sim.http_port)
    assert s.read_head().startswith(b"HTTP/1.1 401 ")
    s.close()
    s = EventStream(sim.http_port, "Authorization: Bearer s3cret-pass\r\n")
    assert s.read_head().startswith(b"HTTP/1.1 200 ")
    assert s.next_event("state")["relay"] is False
    s.close()


def test_keepalive_comment_after_quiet_time(sims):
    """§6: a comment line after 15 s without events (plug clock 10x: 1.5 s here)."""
    sim = sims("ssekeep", time_scale=10.0)
    s = EventStream(sim.http_port)
    s.read_head()
    s.next_event("state")
    events = s.events(4)
    assert ("comment", ": keepalive") in events
    s.close()


def test_switch_on_pushes_zero_then_the_real_power_never_a_small_value(sims):
    """§6 follows §8.4: after 2.4 s off, switching a 1000 W load on pushes 0 W with the relay
    (not the old load's decaying reading), then 1000 W."""
    sim = sims("sseon", load="1000W")
    s = EventStream(sim.http_port)
    s.read_head()
    s.next_event("state")
    sim.relay(True)
    wait_until(lambda: abs(sim.state()["power_w"] - 1000) < 10, 15, "1000 W")
    sim.relay(False)
    time.sleep(2.4)
    s.events(0.1)
    sim.relay(True)
    shown: list[float] = []

    def real_power_pushed() -> bool:
        for ev, data in s.events(0.5):
            if ev == "state" and data["relay"]:  # type: ignore[index]
                shown.append(data["power_w"])  # type: ignore[index]
        return any(abs(p - 1000) < 10 for p in shown)

    wait_until(real_power_pushed, 10, "1000 W pushed")
    assert all(p == 0 or abs(p - 1000) < 10 for p in shown), shown
    s.close()
