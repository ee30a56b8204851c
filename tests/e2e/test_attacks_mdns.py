"""Issue #13 item 7: the mDNS responder is no amplifier (docs/protocol.md §10, RFC 6762 §6, §11).

A query flood draws one multicast answer per record per second, and direct (one-shot) answers are
capped
at 8 a second. Each simulated plug here has its own mDNS port, so the counts are its alone.
"""

from __future__ import annotations

import socket
import struct
import time

GROUP = "224.0.0.251"


def query(name: str, qtype: int = 12) -> bytes:
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00"
    return struct.pack(">HHHHHH", 0, 0, 1, 0, 0, 0) + q + struct.pack(">HH", qtype, 1)


def is_response_for(data: bytes, needle: bytes) -> bool:
    return len(data) > 12 and data[2] & 0x80 != 0 and needle in data


def udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def group_socket(port: int) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "SO_REUSEPORT"):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("", port))
    mreq = socket.inet_aton(GROUP) + socket.inet_aton("127.0.0.1")
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
    s.settimeout(0.05)
    return s


def drain(s: socket.socket, seconds: float, needle: bytes) -> int:
    n, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            data = s.recv(2048)
        except (TimeoutError, BlockingIOError):
            continue
        n += is_response_for(data, needle)
    return n


def test_query_flood_draws_one_multicast_answer_per_second(sims):
    port = udp_port()
    sims("mdns-flood", extra=("--mdns-port", str(port)))
    s = group_socket(port)
    try:
        drain(s, 3.5, b"")  # the three start-up announcements (0, 1, 2 s)
        q = query("_openbl602._tcp.local")
        answers = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3.0:  # 20 queries a second for 3 s
            s.sendto(q, (GROUP, port))
            answers += drain(s, 0.05, b"openbl602-mdns-flood")
        answers += drain(s, 0.5, b"openbl602-mdns-flood")
        print(f"\n[mdns] 60 multicast queries in 3 s -> {answers} multicast answers")
        assert 1 <= answers <= 4
    finally:
        s.close()


def test_one_shot_query_flood_is_capped(sims):
    port = udp_port()
    sims("mdns-legacy", extra=("--mdns-port", str(port)))
    time.sleep(2.5)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.05)
        q = query("openbl602-mdns-legacy.local", 1)
        for _ in range(50):
            s.sendto(q, ("127.0.0.1", port))
        answers = drain(s, 1.0, b"openbl602-mdns-legacy")
    print(f"\n[mdns] 50 one-shot queries at once -> {answers} direct answers")
    assert 1 <= answers <= 8
