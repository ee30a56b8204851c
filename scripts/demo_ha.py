#!/usr/bin/env python3
"""Prepares and drives the demo's Home Assistant through its public interfaces only.

prepare  writes configuration.yaml, marks onboarding done and creates the user demo/demo
setup    logs in over HTTP and adds MQTT and the plugs through the real config flows
check    proves that HA shows each plug's entities with live values from the plugs
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "http://127.0.0.1/"
USER = "demo"
PASSWORD = "demo"

CONFIGURATION_YAML = """\
# Written by scripts/demo. default_config is left out on purpose: it needs a go2rtc binary.
homeassistant:
  name: openbl602 demo
  latitude: 52.52
  longitude: 13.40
  elevation: 34
  unit_system: metric
  time_zone: Europe/Berlin
  currency: EUR
  country: DE
http:
  server_host: 127.0.0.1
  server_port: {ha_port}
api:
auth:
config:
frontend:
history:
logbook:
energy:
system_health:
automation:
logger:
  default: warning
  logs:
    custom_components.openbl602_plug: debug
"""


def prepare(args: argparse.Namespace) -> None:
    config = Path(args.config)
    (config / ".storage").mkdir(parents=True, exist_ok=True)
    (config / "configuration.yaml").write_text(CONFIGURATION_YAML.format(ha_port=args.ha_port))
    for name in ("automations.yaml",):
        (config / name).touch()
    custom = config / "custom_components"
    custom.mkdir(exist_ok=True)
    link = custom / "openbl602_plug"
    if not link.is_symlink():
        link.symlink_to(ROOT / "custom_components" / "openbl602_plug")
    onboarding = config / ".storage" / "onboarding"
    if not onboarding.exists():
        onboarding.write_text(
            json.dumps(
                {
                    "version": 4,
                    "minor_version": 1,
                    "key": "onboarding",
                    "data": {"done": ["user", "core_config", "analytics", "integration"]},
                }
            )
        )
    users = subprocess.run(
        [sys.executable, "-m", "homeassistant", "--script", "auth", "-c", str(config), "list"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if USER not in users.split():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "homeassistant",
                "--script",
                "auth",
                "-c",
                str(config),
                "add",
                USER,
                PASSWORD,
            ],
            check=True,
            capture_output=True,
        )


class HomeAssistant:
    """The few REST calls the demo needs, with a token from the normal login flow."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.token = ""

    def _request(self, method: str, path: str, body: Any = None, form: bool = False) -> Any:
        headers = {}
        data = None
        if body is not None:
            if form:
                data = urllib.parse.urlencode(body).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def wait_up(self, timeout: float) -> None:
        """Until the login page's provider list answers. Not an unauthenticated /api/ request:
        HA counts every 401 as a failed login and greets the user with a "Login attempt failed"
        notification."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self._request("GET", "/auth/providers")
            except OSError:  # not listening yet, or HTTP errors while it starts
                time.sleep(1)
            else:
                return
        raise SystemExit(f"Home Assistant did not answer at {self.base} within {timeout:.0f} s")

    def login(self) -> None:
        flow = self._request(
            "POST",
            "/auth/login_flow",
            {"client_id": CLIENT_ID, "handler": ["homeassistant", None], "redirect_uri": CLIENT_ID},
        )
        result = self._request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": CLIENT_ID, "username": USER, "password": PASSWORD},
        )
        token = self._request(
            "POST",
            "/auth/token",
            {"grant_type": "authorization_code", "code": result["result"], "client_id": CLIENT_ID},
            form=True,
        )
        self.token = token["access_token"]

    def entries(self, domain: str) -> list[dict[str, Any]]:
        return [
            e
            for e in self._request("GET", "/api/config/config_entries/entry")
            if e["domain"] == domain
        ]

    def flow(self, handler: str, answers: list[dict[str, Any]]) -> dict[str, Any]:
        step = self._request(
            "POST",
            "/api/config/config_entries/flow",
            {"handler": handler, "show_advanced_options": False},
        )
        for answer in answers:
            if step.get("type") != "form":
                break
            url = f"/api/config/config_entries/flow/{step['flow_id']}"
            step = self._request("POST", url, answer)
        return step

    def progress(self, handler: str) -> list[dict[str, Any]]:
        """Flows in progress (discovered plugs waiting for the user): a websocket-only command."""
        flows = asyncio.run(self._ws("config_entries/flow/progress"))
        return [f for f in flows if f["handler"] == handler]

    async def _ws(self, command: str) -> Any:
        url = self.base.replace("http", "ws", 1) + "/api/websocket"
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self.token})
            if (await ws.receive_json())["type"] != "auth_ok":
                raise SystemExit("demo: websocket login refused")
            await ws.send_json({"id": 1, "type": command})
            reply = await ws.receive_json()
            return reply["result"]

    def notifications(self) -> list[dict[str, Any]]:
        """The persistent notifications a user sees on opening HA."""
        found: list[dict[str, Any]] = asyncio.run(self._ws("persistent_notification/get"))
        return found

    def states(self) -> list[dict[str, Any]]:
        return self._request("GET", "/api/states")


def show_generated_password(ha: HomeAssistant, step: dict[str, Any]) -> dict[str, Any]:
    """Adoption locks a password-less plug with a generated password (the config flow's default):
    HA shows it once; the demo prints it and goes on, as a user pressing Submit would."""
    if step.get("type") != "form" or step.get("step_id") != "password_created":
        return step
    password = step.get("description_placeholders", {}).get("password", "?")
    print(f"demo: plug locked with a generated password: {password} (options show it again)")
    url = f"/api/config/config_entries/flow/{step['flow_id']}"
    return ha._request("POST", url, {})


def setup(args: argparse.Namespace) -> HomeAssistant:
    ha = HomeAssistant(args.ha)
    ha.wait_up(args.timeout)
    ha.login()
    if not ha.entries("mqtt"):
        step = ha.flow("mqtt", [{"broker": "127.0.0.1", "port": args.mqtt_port}])
        print(f"demo: MQTT integration: {step.get('type')}")
    # Plugs on the broker announce themselves (MQTT discovery): confirm those flows as a user would
    # in Settings > Devices; add the others by address through the same config flow.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(ha.entries("openbl602_plug")) < len(args.plugs):
        for flow in ha.progress("openbl602_plug"):
            url = f"/api/config/config_entries/flow/{flow['flow_id']}"
            try:
                step = ha._request("POST", url, {})
                step = show_generated_password(ha, step)
            except urllib.error.HTTPError as err:
                print(f"demo: confirming a discovered plug failed: HTTP {err.code}")
                continue
            print(f"demo: discovered plug {step.get('title', '')}: {step.get('type')}")
        if any(spec.endswith(":mqtt") for spec in args.plugs):
            time.sleep(1)
        else:
            break
    for index, spec in enumerate(args.plugs):
        plug_id = spec.split(":")[0]
        port = args.http_base + index
        try:
            step = ha.flow("openbl602_plug", [{"host": "127.0.0.1", "port": port}])
            step = show_generated_password(ha, step)
        except urllib.error.HTTPError as err:
            print(f"demo: adding plug {plug_id} failed: HTTP {err.code} {err.read().decode()}")
            continue
        if step.get("reason") != "already_configured":
            print(f"demo: plug {plug_id} by address: {step.get('type')} {step.get('reason', '')}")
    return ha


def plug_entities(states: list[Any], plug_id: str, domain: str, suffix: str) -> list[Any]:
    return [
        st
        for st in states
        if st["entity_id"].startswith(f"{domain}.openbl602_{plug_id}")
        and st["entity_id"].endswith(suffix)
    ]


def switch_on(ha: HomeAssistant, plug_ids: list[str]) -> None:
    """Closes each plug's relay through HA's switch entity, the way a user or automation would."""
    deadline = time.monotonic() + 60
    pending = set(plug_ids)
    while pending and time.monotonic() < deadline:
        states = ha.states()
        for plug_id in sorted(pending):
            relays = plug_entities(states, plug_id, "switch", "")
            relay = [st for st in relays if st["state"] in ("on", "off")]
            if relay:
                entity = min(relay, key=lambda st: len(st["entity_id"]))["entity_id"]
                ha._request("POST", "/api/services/switch/turn_on", {"entity_id": entity})
                print(f"demo: {entity} turned on through Home Assistant")
                pending.discard(plug_id)
        time.sleep(1)


def login_failed(ha: HomeAssistant) -> bool:
    """The demo must not greet its user with HA's "Login attempt failed" (every 401 HA answers,
    also to the demo's own requests, raises it)."""
    shown = [n for n in ha.notifications() if n.get("notification_id") == "http-login"]
    for note in shown:
        print(f"demo check: Home Assistant shows '{note.get('title')}': {note.get('message')}")
    if shown:
        print("demo: 0 passed, 1 failed")
    return bool(shown)


def check(args: argparse.Namespace) -> int:
    """After HA switched them on, the plugs' power sensors must show the simulated loads (±5 %)."""
    ha = setup(args)
    loads = {spec.split(":")[0]: float(spec.split(":")[1].rstrip("W")) for spec in args.plugs}
    switch_on(ha, list(loads))
    deadline = time.monotonic() + args.timeout
    bad: dict[str, str] = {}
    while time.monotonic() < deadline:
        states = ha.states()
        bad = {}
        for plug_id, watts in loads.items():
            power = plug_entities(states, plug_id, "sensor", "_power")
            value = power[0]["state"] if power else "missing"
            try:
                ok = abs(float(value) - watts) <= 0.05 * watts
            except ValueError:
                ok = False
            if not ok:
                bad[plug_id] = f"{value} (simulated load {watts:g} W)"
        if not bad:
            if login_failed(ha):
                return 1
            for plug_id in loads:
                power = plug_entities(states, plug_id, "sensor", "_power")[0]
                print(f"demo check: {power['entity_id']} = {power['state']} W")
            print(f"demo: {len(loads)} passed, 0 failed")
            return 0
        time.sleep(2)
    for plug_id, why in bad.items():
        print(f"demo check: power of {plug_id} in Home Assistant is {why}")
    print(f"demo: {len(loads) - len(bad)} passed, {len(bad)} failed")
    return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["prepare", "setup", "check"])
    parser.add_argument("--config", default=str(ROOT / ".demo" / "config"))
    parser.add_argument("--ha", default="http://127.0.0.1:8123")
    parser.add_argument("--ha-port", type=int, default=8123)
    parser.add_argument("--mqtt-port", type=int, default=1883)
    parser.add_argument("--http-base", type=int, default=8081)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--plugs", nargs="*", default=[])
    args = parser.parse_args()
    try:
        if args.command == "prepare":
            prepare(args)
            return 0
        if args.command == "setup":
            setup(args)
            return 0
        return check(args)
    except KeyboardInterrupt:
        return 130  # Ctrl-C while setting up: scripts/demo says it is stopping


if __name__ == "__main__":
    sys.exit(main())
