"""Issue #13 item 4: whoever can publish on the broker cannot disarm the plug (docs/protocol.md
§8.5).

Protection, calibration, button and startup settings and leaving safe mode need the authenticated
command form (HMAC-SHA256 keyed by the API password, with a counter that never repeats); a QoS 1
command
the broker redelivers (DUP) runs once.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time

from .mqtt_auth import envelope
from .plug import Recorder, wait_until
from .test_device import _crash_until_safe_mode, alive_state

PASSWORD = "s3cret-pass"

DISARMING = [
    ("config", {"protection": {"max_power_w": 0}}),
    ("config", {"protection": {"max_current_a": 0}}),
    ("config", {"calibration": {"current_gain": 0.5}}),
    ("config", {"button": {"enabled": False}}),
    ("config", {"startup": "on"}),
    ("config", {"led": "off", "protection": {"hold_s": 60}}),  # smuggled next to a harmless key
    ("calibrate", {"reset": True}),
]


def test_publishers_cannot_disarm_protections(sims, broker):
    sim = sims("mq-disarm", mqtt_port=broker.port)
    before = sim.get("/api/v1/config").json()
    topic = f"openbl602/{sim.id}"
    with Recorder(broker.port, [f"{topic}/result", f"{topic}/info"]) as rec:
        rec.wait(f"{topic}/info")
        for i, (cmd, body) in enumerate(DISARMING):
            rec.publish(f"{topic}/cmd/{cmd}", json.dumps({**body, "req": f"d{i}"}))
            res = rec.wait(f"{topic}/result", lambda m, r=f"d{i}": m.json()["req"] == r).json()
            assert res["ok"] is False, (cmd, body)
            assert res["error"]["code"] == "not_allowed", res
        # harmless settings still work over MQTT
        rec.publish(f"{topic}/cmd/config", json.dumps({"led": "off", "req": "ok"}))
        assert rec.wait(f"{topic}/result", lambda m: m.json()["req"] == "ok").json()["ok"] is True
    after = sim.get("/api/v1/config").json()
    for key in ("protection", "calibration", "button", "startup"):
        assert after[key] == before[key], key


def test_authenticated_command_runs_once_and_cannot_be_replayed(sims, broker):
    sim = sims("mq-hmac", mqtt_port=broker.port)
    assert sim.patch("/api/v1/config", {"api_password": PASSWORD}).status == 200
    sim.password = PASSWORD
    topic = f"openbl602/{sim.id}"
    body = json.dumps({"protection": {"max_power_w": 1500}, "req": "a1"})
    signed = envelope(PASSWORD, f"{topic}/cmd/config", 1765000000000, body)
    with Recorder(broker.port, [f"{topic}/result", f"{topic}/info"]) as rec:
        rec.wait(f"{topic}/info")
        rec.publish(f"{topic}/cmd/config", signed)
        assert rec.wait(f"{topic}/result").json() == {
            "cmd": "config",
            "req": "a1",
            "ok": True,
            "error": None,
        }
        assert sim.get("/api/v1/config").json()["protection"]["max_power_w"] == 1500
        assert sim.patch("/api/v1/config", {"protection": {"max_power_w": 2500}}).status == 200
        rec.clear()
        rec.publish(f"{topic}/cmd/config", signed)  # the captured message, replayed
        res = rec.wait(f"{topic}/result").json()
        assert res["ok"] is False
        assert res["error"]["code"] == "not_allowed"
        for bad in [
            envelope("guess-pass", f"{topic}/cmd/config", 1765000000001, body),  # wrong key
            envelope(PASSWORD, "openbl602/other/cmd/config", 1765000000002, body),  # another plug's
            signed.replace(b"1500", b"9999"),  # tampered
        ]:
            rec.clear()
            rec.publish(f"{topic}/cmd/config", bad)
            res = rec.wait(f"{topic}/result").json()
            assert res["ok"] is False
            assert res["error"]["code"] == "not_allowed"
    assert sim.get("/api/v1/config").json()["protection"]["max_power_w"] == 2500
    # the counter survives a restart: the replay still fails afterwards
    sim.restart()
    with Recorder(broker.port, [f"{topic}/result", f"{topic}/info"]) as rec:
        rec.wait(f"{topic}/info")
        rec.publish(f"{topic}/cmd/config", signed)
        assert rec.wait(f"{topic}/result").json()["ok"] is False
    assert sim.get("/api/v1/config").json()["protection"]["max_power_w"] == 2500


def test_publishers_cannot_reboot_the_plug_out_of_safe_mode(sims, broker, monkeypatch):
    monkeypatch.setenv("OBL_CRASH_RESETS", "1")
    sim = sims("mq-safe", mqtt_port=broker.port)
    _crash_until_safe_mode(sim)
    topic = f"openbl602/{sim.id}"
    with Recorder(broker.port, [f"{topic}/result", f"{topic}/info"]) as rec:
        rec.wait(f"{topic}/info")
        rec.publish(f"{topic}/cmd/reboot", "{}")
        res = rec.wait(f"{topic}/result").json()
        assert res["ok"] is False
        assert res["error"]["code"] == "not_allowed"
    time.sleep(1.5)
    assert alive_state(sim)["safe_mode"] is True


# ---- DUP: a scripted broker, since Mosquitto only redelivers on its own schedule ---


def _read_packet(s: socket.socket) -> tuple[int, bytes]:
    head = s.recv(1)
    if not head:
        raise ConnectionError
    length, mult = 0, 1
    while True:
        b = s.recv(1)[0]
        length += (b & 0x7F) * mult
        mult *= 128
        if not b & 0x80:
            break
    data = b""
    while len(data) < length:
        chunk = s.recv(length - len(data))
        if not chunk:
            raise ConnectionError
        data += chunk
    return head[0], data


def _publish(topic: str, payload: bytes, packet_id: int, dup: bool) -> bytes:
    t = topic.encode()
    body = struct.pack(">H", len(t)) + t + struct.pack(">H", packet_id) + payload
    return bytes([0x30 | 0x02 | (0x08 if dup else 0), len(body)]) + body


class ScriptedBroker:
    """Accepts the plug, answers CONNECT/SUBSCRIBE/PUBLISH/PINGREQ like a broker would, and lets the
    test send raw PUBLISH packets to it."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.conn: socket.socket | None = None
        self.subscribed = threading.Event()
        self.pubacks: list[int] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.server.settimeout(30)
        conn, _ = self.server.accept()
        self.conn = conn
        try:
            while True:
                kind, data = _read_packet(conn)
                t = kind >> 4
                if t == 1:
                    conn.sendall(b"\x20\x02\x00\x00")
                elif t == 3 and (kind >> 1) & 3 == 1:
                    tl = struct.unpack(">H", data[:2])[0]
                    conn.sendall(b"\x40\x02" + data[2 + tl : 4 + tl])
                elif t == 4:
                    self.pubacks.append(struct.unpack(">H", data[:2])[0])
                elif t == 8:
                    conn.sendall(b"\x90\x03" + data[:2] + b"\x01")
                    self.subscribed.set()
                elif t == 12:
                    conn.sendall(b"\xd0\x00")
        except (ConnectionError, OSError):
            pass

    def send(self, packet: bytes) -> None:
        assert self.conn is not None
        self.conn.sendall(packet)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.server.close()


def test_redelivered_toggle_runs_once(sims):
    broker = ScriptedBroker()
    try:
        sim = sims("mq-dup", mqtt_port=broker.port)
        assert broker.subscribed.wait(15)
        topic = f"openbl602/{sim.id}/cmd/relay"
        broker.send(_publish(topic, b"toggle", 7, dup=False))
        wait_until(lambda: 7 in broker.pubacks, 5, "PUBACK 7")
        broker.send(_publish(topic, b"toggle", 7, dup=True))  # our PUBACK "got lost": resent
        wait_until(lambda: broker.pubacks.count(7) == 2, 5, "second PUBACK 7")
        time.sleep(0.3)
        assert sim.outputs()["relay"] == 1  # toggled once
        broker.send(_publish(topic, b"toggle", 8, dup=False))  # a new command with a new id runs
        wait_until(lambda: 8 in broker.pubacks, 5, "PUBACK 8")
        wait_until(lambda: sim.outputs()["relay"] == 0, 5, "toggled back")
    finally:
        broker.close()
