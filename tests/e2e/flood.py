"""Slow-socket ("slowloris") attackers and a legitimate client's measurements, for the HTTP slot
tests
and the flood benchmark (issue #13 item 3). Numbers are printed, never asserted against a time."""

from __future__ import annotations

import contextlib
import http.client
import select
import socket
import threading
import time
from dataclasses import dataclass, field


class SlowSockets:
    """n sockets that each send a request head one header line every `period` s and reconnect at
    once
    when the plug closes them; spread over the given source addresses."""

    def __init__(self, port: int, n: int, sources: list[str], period: float = 2.0) -> None:
        self.port, self.n, self.sources, self.period = port, n, sources, period
        self.stop = threading.Event()
        self.reconnects = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self, i: int) -> socket.socket | None:
        s = socket.socket()
        try:
            s.bind((self.sources[i % len(self.sources)], 0))
            s.settimeout(2)
            s.connect(("127.0.0.1", self.port))
            s.sendall(f"GET /api/v1/info HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n".encode())
            s.setblocking(False)
        except OSError:
            s.close()
            return None
        return s

    def _run(self) -> None:
        socks: list[socket.socket | None] = [self._open(i) for i in range(self.n)]
        next_line = time.monotonic() + self.period
        while not self.stop.is_set():
            live = [s for s in socks if s is not None]
            readable = select.select(live, [], [], 0.05)[0] if live else []
            for i, s in enumerate(socks):
                dead = s is None
                if s is not None and s in readable:
                    try:
                        dead = s.recv(4096) == b""
                    except (BlockingIOError, InterruptedError):
                        dead = False
                    except OSError:
                        dead = True
                if dead:
                    if s is not None:
                        s.close()
                    self.reconnects += 1
                    socks[i] = self._open(i)
            if time.monotonic() >= next_line:
                next_line += self.period
                for s in socks:
                    if s is not None:
                        with contextlib.suppress(OSError):
                            s.send(b"X-Slow: 1\r\n")
        for s in socks:
            if s is not None:
                s.close()

    def __enter__(self) -> SlowSockets:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)


@dataclass
class Measured:
    statuses: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    @property
    def success(self) -> float:
        return sum(s == 200 for s in self.statuses) / max(1, len(self.statuses))

    @property
    def p99_ms(self) -> float:
        lat = sorted(self.latencies)
        return 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else float("nan")

    def line(self, label: str) -> str:
        n503 = sum(s == 503 for s in self.statuses)
        errors = sum(s == 0 for s in self.statuses)
        return (
            f"{label}: {len(self.statuses)} requests, success {100 * self.success:.1f} %, "
            f"503: {n503}, connection errors: {errors}, p99 {self.p99_ms:.0f} ms"
        )


def legit_requests(port: int, n: int, pause: float = 0.05, path: str = "/api/v1/info") -> Measured:
    m = Measured()
    for _ in range(n):
        t0 = time.monotonic()
        status = 0
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                status = r.status
            finally:
                conn.close()
        m.statuses.append(status)
        m.latencies.append(time.monotonic() - t0)
        time.sleep(pause)
    return m
