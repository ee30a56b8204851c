"""docs/protocol.md §10, RFC 6762 §8, §9: two simulated plugs on one machine claim the same name.

Both run with the same `--id` and the same private mDNS port (the responder binds it with
SO_REUSEPORT, so both hear every multicast through loopback). The first one owns
`openbl602-twin.local`; the second one probes, gets the first one's answer and takes
`openbl602-twin-2`. Afterwards each answers for its own name only, reports it in its info, and
accepts it in `Host`.
"""

from __future__ import annotations

import socket
import struct
import time
from pathlib import Path

from .plug import Sim, wait_until

GROUP = "224.0.0.251"
SRV, A = 33, 1


def udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def encode(name: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00"


def read_name(data: bytes, off: int) -> tuple[str, int]:
    labels: list[str] = []
    end = 0
    while True:
        n = data[off]
        if n & 0xC0 == 0xC0:
            if not end:
                end = off + 2
            off = ((n & 0x3F) << 8) | data[off + 1]
            continue
        if n == 0:
            return ".".join(labels), end or off + 1
        labels.append(data[off + 1 : off + 1 + n].decode())
        off += 1 + n


def records(data: bytes) -> list[tuple[str, int, bytes, int]]:
    """(name, type, rdata, offset of rdata) of every record in a response."""
    qd, an, ns, ar = struct.unpack(">HHHH", data[4:12])
    off = 12
    for _ in range(qd):
        _, off = read_name(data, off)
        off += 4
    out = []
    for _ in range(an + ns + ar):
        name, off = read_name(data, off)
        rtype, _, _, rdlen = struct.unpack(">HHIH", data[off : off + 10])
        out.append((name, rtype, data[off + 10 : off + 10 + rdlen], off + 10))
        off += 10 + rdlen
    return out


def ask(port: int, name: str, qtype: int) -> list[bytes]:
    """A one-shot query sent to the group from an ephemeral port: every plug hears it, only the
    owner of the name answers, straight back to us. Returns the answers' raw packets."""
    q = struct.pack(">HHHHHH", 0x5151, 0, 1, 0, 0, 0) + encode(name) + struct.pack(">HH", qtype, 1)
    answers: list[bytes] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as s:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.1)
        s.sendto(q, (GROUP, port))
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            try:
                data = s.recv(2048)
            except TimeoutError:
                continue
            if data[2] & 0x80 and data[:2] == b"\x51\x51":
                answers.append(data)
    return answers


def srv_of(port: int, instance: str) -> list[tuple[int, str]]:
    """(port, target) of every SRV answer for instance."""
    found = []
    for pkt in ask(port, instance, SRV):
        for name, rtype, rdata, at in records(pkt):
            if name == instance and rtype == SRV:
                found.append((struct.unpack(">H", rdata[4:6])[0], read_name(pkt, at + 6)[0]))
    return found


def lo_member(port: int) -> socket.socket:
    """Joins the group on loopback: the plugs join on the default interface, and Linux delivers the
    group traffic we send from 127.0.0.1 only where someone is a member on lo."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("", port))
    mreq = socket.inet_aton(GROUP) + socket.inet_aton("127.0.0.1")
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    return s


def test_second_plug_with_the_same_name_renames_and_both_resolve(
    sim_path: Path, tmp_path: Path
) -> None:
    port = udp_port()
    member = lo_member(port)
    extra = ("--mdns-port", str(port))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = Sim(sim_path, "twin", tmp_path / "a", extra=extra)
    second = Sim(sim_path, "twin", tmp_path / "b", extra=extra)
    try:
        first.start()
        first_srv = "openbl602-twin._openbl602._tcp.local"
        wait_until(lambda: srv_of(port, first_srv), 10, "the first plug's name")
        second.start()
        wait_until(
            lambda: second.info()["hostname"] == "openbl602-twin-2", 10, "the second plug's -2"
        )
        time.sleep(1.5)  # past the renamed plug's announcements: nothing should move any more
        assert first.info()["hostname"] == "openbl602-twin"
        assert second.info()["hostname"] == "openbl602-twin-2"

        # each name resolves to its own plug, and only to it
        assert srv_of(port, "openbl602-twin._openbl602._tcp.local") == [
            (first.http_port, "openbl602-twin.local")
        ]
        assert srv_of(port, "openbl602-twin-2._openbl602._tcp.local") == [
            (second.http_port, "openbl602-twin-2.local")
        ]
        a_answers = [
            rdata
            for pkt in ask(port, "openbl602-twin-2.local", A)
            for name, rtype, rdata, _ in records(pkt)
            if name == "openbl602-twin-2.local" and rtype == A
        ]
        assert a_answers == [bytes([127, 0, 0, 1])]

        # the DHCP hostname follows too (the simulated plug logs what it would send)
        assert "DHCP hostname openbl602-twin-2" in second.log.read_text()
        assert "DHCP hostname openbl602-twin-2" not in first.log.read_text()

        # the HTTP Host check follows the name each plug won
        host2 = {"Host": f"openbl602-twin-2.local:{second.http_port}"}
        assert second.get("/api/v1/info", headers=host2).status == 200
        host2_on_first = {"Host": f"openbl602-twin-2.local:{first.http_port}"}
        assert first.get("/api/v1/info", headers=host2_on_first).status == 421
        host1 = {"Host": f"openbl602-twin.local:{first.http_port}"}
        assert first.get("/api/v1/info", headers=host1).status == 200
    finally:
        second.stop()
        first.stop()
        member.close()
