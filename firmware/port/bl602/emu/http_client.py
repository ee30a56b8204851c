"""HTTP requests to the plug's own server over lwIP's loopback interface, from inside the image.

There is no radio model, so nothing reaches the plug from outside. Instead the parked Wi-Fi
firmware task becomes a client: at its entry the harness calls the image's own socket functions
(lwip_socket, lwip_connect to 127.0.0.1:80, lwip_send, lwip_recv, lwip_close) one after the other,
each returning to the task's entry address, where the next call is made. The task blocks inside
lwIP like any other, so the requests go through the real tcpip thread and are served by obl_net's
real HTTP code (its stack high-water mark then includes that path). Buffers live on the task's own
stack, below its sp. When the requests are done the task parks in vTaskDelay(forever).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Generator
from dataclasses import dataclass, field

from unicorn import riscv_const as r

from .machine import PARK_TICKS, Bl602

AF_INET, SOCK_STREAM = 2, 1
CHUNK = 1024
BUFFERS = 3 * 1024  # request (<= 2 KiB) + receive chunk, carved off the task's stack
MAX_RESPONSE = 64 * 1024

Call = tuple[str, tuple[int, ...]]


@dataclass
class Exchange:
    request: Request
    response: bytes = b""
    error: str | None = None

    @property
    def status(self) -> int | None:
        head = self.response.split(b"\r\n", 1)[0].split()
        return int(head[1]) if len(head) >= 2 and head[1].isdigit() else None

    @property
    def body(self) -> bytes:
        return self.response.partition(b"\r\n\r\n")[2]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes = b""

    def encode(self, host: str | None) -> bytes:
        """Host names the plug (its API refuses other names); none is allowed too."""
        head = f"{self.method} {self.path} HTTP/1.1\r\nConnection: close\r\n"
        if host:
            head += f"Host: {host}\r\n"
        if self.body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(self.body)}\r\n"
        return head.encode() + b"\r\n" + self.body


HOSTNAME = re.compile(r"^\d+ I app: (\S+) up: ")


@dataclass
class LoopbackHttp:
    requests: list[Request]
    start_ms: int = 1000  # after the app is up and listening
    port: int = 80
    exchanges: list[Exchange] = field(default_factory=list)

    def attach(self, m: Bl602) -> None:
        """Makes the Wi-Fi firmware task (wifi_main) run the requests, then park."""
        self.m = m
        self._steps: Generator[Call, int] | None = None
        self.done = False
        m.wifi_task = self._entry

    def _entry(self) -> None:
        m, uc = self.m, self.m.uc
        call: Call = ("vTaskDelay", (PARK_TICKS,))  # when done: park
        if self._steps is None:  # the task's first instruction: set up the buffers
            sp = uc.reg_read(r.UC_RISCV_REG_SP)
            self.buf = (sp - BUFFERS) & ~15
            self.sp = self.buf - 16
            self._steps = self._run()
            call = next(self._steps)
        elif not self.done:  # back from the previous call
            try:
                call = self._steps.send(uc.reg_read(r.UC_RISCV_REG_A0))
            except StopIteration:
                self.done = True
        name, args = call
        for i, a in enumerate(args):
            uc.reg_write(r.UC_RISCV_REG_A0 + i, a & 0xFFFFFFFF)
        uc.reg_write(r.UC_RISCV_REG_SP, self.sp)
        uc.reg_write(r.UC_RISCV_REG_RA, m.elf.addr("wifi_main"))
        uc.reg_write(r.UC_RISCV_REG_PC, m.elf.addr(name))

    def _run(self) -> Generator[Call, int]:
        uc = self.m.uc
        sa, req, rx = self.buf, self.buf + 16, self.buf + 16 + 2048
        yield ("vTaskDelay", (self.start_ms,))
        names = [m.group(1) for line in self.m.uart.lines() if (m := HOSTNAME.match(line))]
        host = names[0] + ".local" if names else None
        for rq in self.requests:
            ex = Exchange(rq)
            self.exchanges.append(ex)
            raw = rq.encode(host)
            if len(raw) > 2048:
                ex.error = "request longer than the 2 KiB buffer"
                continue
            fd = yield ("lwip_socket", (AF_INET, SOCK_STREAM, 0))
            if fd >= 0x80000000:
                ex.error = "lwip_socket failed"
                continue
            uc.mem_write(sa, struct.pack("<BBH4s8x", 16, AF_INET, 0, bytes([127, 0, 0, 1])))
            uc.mem_write(sa + 2, struct.pack(">H", self.port))
            if (yield ("lwip_connect", (fd, sa, 16))) != 0:
                ex.error = "connect to 127.0.0.1 failed"
            else:
                uc.mem_write(req, raw)
                sent = yield ("lwip_send", (fd, req, len(raw), 0))
                if sent != len(raw):
                    ex.error = f"send returned {sent}"
                while ex.error is None and len(ex.response) < MAX_RESPONSE:
                    n = yield ("lwip_recv", (fd, rx, CHUNK, 0))
                    if n == 0 or n >= 0x80000000:
                        break
                    ex.response += bytes(uc.mem_read(rx, n))
            yield ("lwip_close", (fd,))
