"""An in-process plug speaking docs/protocol.md over real HTTP on 127.0.0.1.

The integration tests run against it when the simulated plug (openbl602-sim, the real
firmware) is not needed for the promise under test; it follows the protocol document,
not our client, so it catches a client that drifts from the contract.
"""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

from aiohttp import web

from . import protocol_contract as contract

INFO: dict[str, Any] = {
    "protocol": 1,
    "id": "kettle",
    "mac": "02a1b2c3d4e5",
    "hostname": "openbl602-kettle",
    "name": "Kettle",
    "model": "BL602 BL0937 plug",
    "board": "SM-028_V1.3",
    "fw": "0.1.0",
    "auth": False,
    "setup_mode": False,
    "capabilities": [
        "relay",
        "metering",
        "energy",
        "led",
        "button",
        "protection",
        "calibration",
        "identify",
        "ota",
        "events",
    ],
}

STATE: dict[str, Any] = {
    "relay": True,
    "relay_pending": None,
    "power_w": 115.2,
    "voltage_v": 230.4,
    "current_a": 0.502,
    "apparent_power_va": 115.7,
    "power_factor": 1.0,
    "energy_wh": 12873,
    "tripped": "none",
    "lockout": False,
    "config_rev": 0,
    "rssi_dbm": -58,
    "uptime_s": 86400,
    "reset_reason": "power_on",
    "safe_mode": False,
    "ota": {"state": "idle", "progress": 0, "error": None},
    "stale": {"voltage": False, "current": False},
}

CONFIG: dict[str, Any] = {
    "name": "Kettle",
    "startup": "restore",
    "led": "relay",
    "button": {"enabled": True, "double_press": True, "long_press_ms": 1000, "setup_hold_s": 10},
    "protection": {"max_power_w": 3680, "max_current_a": 16.0, "hold_s": 2, "reclose_s": 0},
    "calibration": {"voltage_gain": 1.0, "current_gain": 1.0, "power_gain": 1.0},
    "report": {
        "power_delta_w": 0.5,
        "power_delta_pct": 1.0,
        "min_interval_s": 2,
        "heartbeat_s": 60,
    },
    "mqtt": {"enabled": False, "host": "", "port": 1883, "user": "", "password_set": False},
    "wifi": {"ssid": "home", "password_set": True},
    "api_password_set": False,
}


# The firmware sends keep-alives after 15 s of silence; the fake is faster so tests see closed
# streams quickly.
KEEPALIVE_S = 0.2


def _error(status: int, code: str, message: str = "", field: str | None = None) -> web.Response:
    err: dict[str, Any] = {"code": code, "message": message}
    if field:
        err["field"] = field
    return web.json_response({"error": err}, status=status)


def _refused(found: list[tuple[str, str]]) -> web.Response:
    """A 400 answer in the plug's shape: the first error and all of them (protocol §4)."""
    errors = [
        {"code": code, "message": "refused"} | ({"field": f} if f else {}) for code, f in found
    ]
    return web.json_response({"error": errors[0], "errors": errors}, status=400)


def _schema_check(endpoint: str, body: Any) -> web.Response | None:
    """Refuse a request body as the firmware does: docs/protocol.schema.json decides."""
    found = contract.errors(contract.endpoint_validator(endpoint), body)
    return _refused(found) if found else None


def _merge(dst: dict[str, Any], src: dict[str, Any]) -> None:
    for key, value in src.items():
        if isinstance(value, dict) and isinstance(dst.get(key), dict):
            _merge(dst[key], value)
        else:
            dst[key] = value


class FakePlug:
    """The plug's HTTP API, SSE stream included; tests poke state and read requests."""

    def __init__(self, password: str | None = None, **info: Any) -> None:
        self.info = copy.deepcopy(INFO) | info
        self.state = copy.deepcopy(STATE)
        self.config = copy.deepcopy(CONFIG)
        self.password = password
        self.info["auth"] = password is not None
        self.config["api_password_set"] = password is not None
        self.requests: list[tuple[str, str, Any]] = []
        # (method, path, Content-Type, Origin) of every request, for the header contract
        self.headers: list[tuple[str, str, str | None, str | None]] = []
        # (path, Authorization) of every request: who was sent the password
        self.authorization: list[tuple[str, str | None]] = []
        self.ota_images: list[bytes] = []
        self.ota_next_fw: str | None = None
        self.calibrate_error: tuple[int, str, str | None] | None = None
        self.command_error: tuple[int, str, str | None] | None = None
        self.ota_fail_after: str | None = None
        # after accepting an image: report the new version, then roll back after this many seconds
        self.ota_roll_back_after: float | None = None
        # answers GET /info gives next instead of the info: "busy" (503) or "malformed"
        self.info_glitches: list[str] = []
        self.files: dict[str, bytes] = {}
        self.online = True
        self.state_reads = 0
        self._streams: list[asyncio.Queue[str | None]] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def host(self) -> str:
        """Address tests configure."""
        return "127.0.0.1"

    async def start(self, port: int = 0) -> None:
        """Listen on 127.0.0.1 (port 0 = any free port)."""
        app = web.Application(middlewares=[self._record_headers])
        app.router.add_get("/api/v1/info", self._info)
        app.router.add_get("/api/v1/state", self._get_state)
        app.router.add_post("/api/v1/relay", self._relay)
        app.router.add_get("/api/v1/config", self._get_config)
        app.router.add_patch("/api/v1/config", self._patch_config)
        app.router.add_post("/api/v1/calibrate", self._calibrate)
        app.router.add_post("/api/v1/energy/reset", self._energy_reset)
        app.router.add_post("/api/v1/identify", self._ok)
        app.router.add_post("/api/v1/reboot", self._ok)
        app.router.add_post("/api/v1/ota", self._ota_upload)
        app.router.add_get("/api/v1/ota", self._ota_status)
        app.router.add_get("/api/v1/events", self._events)
        app.router.add_get("/fw/{name}", self._file)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port or self.port, reuse_address=True)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.online = True

    async def stop(self) -> None:
        """Stop listening and drop every stream, like a plug losing power."""
        self.online = False
        self.drop_streams()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def drop_streams(self) -> None:
        """End every SSE stream (the plug closes them)."""
        for queue in self._streams:
            queue.put_nowait(None)

    @property
    def stream_count(self) -> int:
        """Open SSE streams."""
        return len(self._streams)

    def push(self, event: str, data: dict[str, Any]) -> None:
        """Send one SSE event to every open stream."""
        text = f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
        for queue in self._streams:
            queue.put_nowait(text)

    def push_state(self, **changes: Any) -> None:
        """Change the state and report it, as the firmware does on a meaningful change."""
        self.state.update(changes)
        self.push("state", self.state)

    @web.middleware
    async def _record_headers(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.headers.append(
            (
                request.method,
                request.path,
                request.headers.get("Content-Type"),
                request.headers.get("Origin"),
            )
        )
        self.authorization.append((request.path, request.headers.get("Authorization")))
        response: web.StreamResponse = await handler(request)
        return response

    def _authorized(self, request: web.Request) -> bool:
        if self.password is None:
            return True
        return request.headers.get("Authorization") == f"Bearer {self.password}"

    def _denied(self) -> web.Response:
        resp = _error(401, "unauthorized", "password required")
        resp.headers["WWW-Authenticate"] = 'Basic realm="openbl602"'
        return resp

    async def _file(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data)

    def _injected_error(self) -> web.Response | None:
        if self.command_error is None:
            return None
        status, code, field = self.command_error
        return _error(status, code, "refused", field)

    async def _body(self, request: web.Request) -> dict[str, Any] | None:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return None
        self.requests.append((request.method, request.path, body))
        return body if isinstance(body, dict) else None

    async def _info(self, request: web.Request) -> web.Response:
        if self.info_glitches:
            glitch = self.info_glitches.pop(0)
            if glitch == "busy":
                resp = _error(503, "busy", "too many connections")
                resp.headers["Retry-After"] = "2"
                return resp
            return web.Response(body=b'{"protocol": 1, "id"', content_type="application/json")
        return web.json_response(self.info)

    async def _get_state(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._denied()
        self.state_reads += 1
        return web.json_response(self.state)

    async def _relay(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._denied()
        body = await self._body(request)
        if (injected := self._injected_error()) is not None:
            return injected
        if body is None:
            return _error(400, "invalid_json")
        if (refused := _schema_check("POST /api/v1/relay", body)) is not None:
            return refused
        if body.get("clear_lockout"):
            self.state["lockout"] = False
        if "on" not in body and "toggle" not in body:
            return web.json_response(self.state)
        if self.state["lockout"] and body.get("on", not self.state["relay"]):
            return _error(409, "locked_out")
        on = body["on"] if "on" in body else not self.state["relay"]
        self.state["relay"] = on
        if on:
            self.state["tripped"] = "none"
        else:
            self.state.update(power_w=0.0, current_a=0.0, apparent_power_va=0.0)
        self.push("state", self.state)
        return web.json_response(self.state)

    async def _get_config(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._denied()
        return web.json_response(self.config)

    async def _patch_config(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._denied()
        body = await self._body(request)
        if (injected := self._injected_error()) is not None:
            return injected
        if body is None:
            return _error(400, "invalid_json")
        if found := contract.config_patch_errors(body):
            return _refused(found)
        if "api_password" in body:  # the plug locks (or opens) from the next request on
            self.password = body["api_password"] or None
            self.info["auth"] = self.password is not None
        _merge(self.config, body)
        for secret in ("api_password", "mqtt.password", "wifi.password"):
            *parents, leaf = secret.split(".")
            node = self.config
            for part in parents:
                node = node[part]
            if leaf in node:  # write-only: reads show *_set (protocol §4)
                node[f"{leaf}_set"] = bool(node.pop(leaf))
        return web.json_response(self.config)

    async def _calibrate(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._denied()
        body = await self._body(request)
        if self.calibrate_error is not None:
            status, code, field = self.calibrate_error
            return _error(status, code, "refused", field)
        if body is None:
            return _error(400, "invalid_json")
        if (refused := _schema_check("POST /api/v1/calibrate", body)) is not None:
            return refused
        gains = self.config["calibration"]
        for key, gain in (
            ("power_w", "power_gain"),
            ("voltage_v", "voltage_gain"),
            ("current_a", "current_gain"),
        ):
            if key in body:
                gains[gain] = 1.01
        return web.json_response(gains)

    async def _energy_reset(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._denied()
        body = await self._body(request)
        if not body or body.get("confirm") is not True:
            return _error(400, "required", "confirm", "confirm")
        self.state["energy_wh"] = 0
        self.push("state", self.state)
        return web.json_response({"energy_wh": 0})

    async def _ok(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._denied()
        body = await self._body(request)
        if (injected := self._injected_error()) is not None:
            return injected
        if body is None:
            return _error(400, "invalid_json")
        if (refused := _schema_check(f"POST {request.path}", body)) is not None:
            return refused
        return web.json_response({"ok": True})

    async def _ota_upload(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._denied()
        if request.headers.get("Transfer-Encoding") or request.content_length is None:
            return _error(400, "length_required")
        image = await request.read()
        self.ota_images.append(image)
        self.push("ota", {"state": "receiving", "progress": 100, "error": None})
        status = {"state": "rebooting", "progress": 100, "error": None}
        if self.ota_fail_after is not None:
            # accepted, rebooted, the new image did not confirm itself: rolled back
            self.state["ota"] = {"state": "failed", "progress": 0, "error": self.ota_fail_after}
            return web.json_response(status)
        self.state["ota"] = status
        if self.ota_next_fw:
            old_fw = self.info["fw"]
            self.info["fw"] = self.ota_next_fw
            if self.ota_roll_back_after is not None:

                def roll_back() -> None:
                    self.info["fw"] = old_fw
                    self.state["ota"] = {"state": "failed", "progress": 0, "error": "rolled_back"}

                asyncio.get_running_loop().call_later(self.ota_roll_back_after, roll_back)
        return web.json_response(status | {"bytes": len(image), "total": len(image)})

    async def _ota_status(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._denied()
        return web.json_response(self.state["ota"])

    async def _events(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request):
            return self._denied()
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._streams.append(queue)
        queue.put_nowait(f"event: state\ndata: {json.dumps(self.state)}\n\n")
        try:
            while True:
                try:
                    text = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    text = ": keepalive\n\n"  # also how a closed client is noticed
                if text is None:
                    break
                await resp.write(text.encode())
        except (ConnectionError, RuntimeError):
            pass
        finally:
            self._streams.remove(queue)
        return resp
