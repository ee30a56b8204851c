"""Helpers for the end-to-end tests: a simulated plug process, its HTTP API, its control port,
Mosquitto and an MQTT recorder (paho-mqtt)."""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(
    port: int, proc: subprocess.Popen[bytes] | None, what: str, timeout: float = 10.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not listen on 127.0.0.1:{port} within {timeout} s")


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        time.sleep(0.05)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Sim:
    """One openbl602-sim process (docs/protocol.md §12)."""

    def __init__(
        self,
        binary: Path,
        device_id: str,
        workdir: Path,
        load: str | None = "60W",
        mqtt_port: int | None = None,
        mqtt_userinfo: str = "",
        profile: Path | None = None,
        time_scale: float = 1.0,
        extra: tuple[str, ...] = (),
    ) -> None:
        self.binary = binary
        self.id = device_id
        self.http_port = free_port()
        self.control_port = free_port()
        self.flash = workdir / f"{device_id}.flash"
        self.log = workdir / f"{device_id}.log"
        self.load = load
        self.mqtt_port = mqtt_port
        self.mqtt_userinfo = mqtt_userinfo
        self.profile = profile
        self.time_scale = time_scale
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None
        self.password: str | None = None

    def args(self) -> list[str]:
        a = [
            str(self.binary),
            "--id",
            self.id,
            "--http",
            f"127.0.0.1:{self.http_port}",
            "--flash",
            str(self.flash),
            "--control",
            f"127.0.0.1:{self.control_port}",
        ]
        if self.profile is not None:
            a += ["--profile", str(self.profile)]
        elif self.load is not None:
            a += ["--load", self.load]
        if self.mqtt_port is not None:
            a += ["--mqtt", f"mqtt://{self.mqtt_userinfo}127.0.0.1:{self.mqtt_port}"]
        if self.time_scale != 1.0:
            a += ["--time-scale", str(self.time_scale)]
        return a + list(self.extra)

    def start(self) -> None:
        for attempt in range(3):
            with self.log.open("ab") as log:
                self.proc = subprocess.Popen(
                    self.args(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
                )
            try:
                wait_port(self.http_port, self.proc, f"sim {self.id} HTTP")
                wait_port(self.control_port, self.proc, f"sim {self.id} control")
                owned = self._owns_its_ports()
            except AssertionError:
                # another test took a port between free_port() and the bind: pick new ones
                if self.proc.poll() != 1 or attempt == 2:
                    raise
                owned = False
            if owned:
                return
            # Another worker's listener answered on a port this sim then failed to bind (exit 1):
            # a connect alone cannot tell them apart. Start again on new ports.
            if attempt == 2:
                raise AssertionError(f"sim {self.id}: its ports are taken by another process")
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.http_port, self.control_port = free_port(), free_port()

    def _owns_its_ports(self) -> bool:
        """The HTTP port answers as this plug (its id in the info) and the process still runs."""
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=3)
            conn.request("GET", "/api/v1/info", headers={"Host": f"127.0.0.1:{self.http_port}"})
            body = conn.getresponse().read()
            conn.close()
        except (OSError, http.client.HTTPException):
            return False
        assert self.proc is not None
        return self.id.encode() in body and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        code = self.proc.returncode
        self.proc = None
        return code

    def restart(self) -> None:
        self.stop()
        self.start()

    # ---- control interface ----
    def control(self, command: str, timeout: float = 5.0) -> str:
        with socket.create_connection(("127.0.0.1", self.control_port), timeout) as s:
            s.sendall(command.encode() + b"\n")
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
        return buf.decode().strip()

    def outputs(self) -> dict[str, int]:
        line = self.control("outputs")
        assert line.startswith("ok "), line
        return {k: int(v) for k, v in (p.split("=") for p in line[3:].split())}

    # ---- HTTP ----
    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        auth: str | None = "default",
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
    ) -> Response:
        h = dict(headers or {})
        password = self.password if auth == "default" else auth
        if password and "Authorization" not in h:
            h["Authorization"] = f"Bearer {password}"
        data: bytes | None = None
        if isinstance(body, bytes):
            data = body
            h.setdefault("Content-Type", "application/octet-stream")
        elif body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            conn.close()

    def get(self, path: str, **kw: Any) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Response:
        return self.request("POST", path, body=body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Response:
        return self.request("PATCH", path, body=body, **kw)

    def state(self) -> dict[str, Any]:
        r = self.get("/api/v1/state")
        assert r.status == 200, r
        return r.json()  # type: ignore[no-any-return]

    def info(self) -> dict[str, Any]:
        r = self.get("/api/v1/info")
        assert r.status == 200, r
        return r.json()  # type: ignore[no-any-return]

    def relay(self, on: bool) -> dict[str, Any]:
        r = self.post("/api/v1/relay", {"on": on})
        assert r.status == 200, r
        return r.json()  # type: ignore[no-any-return]


def basic(password: str, user: str = "admin") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Broker:
    """A Mosquitto process on a fixed port, restartable."""

    def __init__(self, binary: str, port: int, workdir: Path) -> None:
        self.binary = binary
        self.port = port
        self.conf = workdir / f"mosquitto-{port}.conf"
        self.conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.port, self.proc, "mosquitto")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


@dataclass
class Message:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    t: float

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class Recorder:
    """Subscribes with paho-mqtt and records every message (thread-safe list)."""

    port: int
    topics: list[str]
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    client: mqtt.Client | None = None
    subscribed: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Recorder:
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)

        def on_connect(client: mqtt.Client, *_: Any) -> None:
            client.subscribe([(t, 1) for t in self.topics])

        def on_subscribe(*_: Any) -> None:
            self.subscribed.set()

        def on_message(_c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
            with self.lock:
                self.messages.append(
                    Message(
                        msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain), time.monotonic()
                    )
                )

        c.on_connect = on_connect
        c.on_subscribe = on_subscribe
        c.on_message = on_message
        c.connect("127.0.0.1", self.port, 30)
        c.loop_start()
        self.client = c
        assert self.subscribed.wait(10), "recorder did not subscribe"
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.disconnect()
            self.client.loop_stop()

    def on(self, topic: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if m.topic == topic]

    def wait(
        self, topic: str, pred: Callable[[Message], bool] = lambda m: True, timeout: float = 10.0
    ) -> Message:
        def find() -> Message | None:
            for m in self.on(topic):
                if pred(m):
                    return m
            return None

        found: Message = wait_until(find, timeout, f"message on {topic}")
        return found

    def publish(self, topic: str, payload: str | bytes, qos: int = 1, retain: bool = False) -> None:
        assert self.client is not None
        self.client.publish(topic, payload, qos=qos, retain=retain).wait_for_publish(5)

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
