"""docs/protocol.md §2 to §5 over real HTTP against openbl602-sim: identity, state, relay, config,
calibrate, energy, identify, reboot, OTA status, status page, errors."""

from __future__ import annotations

import hashlib
import re
import time

from .plug import wait_until

STATE_KEYS = {
    "relay": bool,
    "power_w": float,
    "voltage_v": float,
    "current_a": float,
    "apparent_power_va": float,
    "energy_wh": int,
    "tripped": str,
    "rssi_dbm": int,
    "uptime_s": int,
    "reset_reason": str,
    "safe_mode": bool,
    "ota": dict,
    "stale": dict,
}


def test_info_identity_needs_no_auth(sims):
    sim = sims("kettle-1")
    info = sim.info()
    assert info["protocol"] == 1
    assert info["id"] == "kettle-1"
    assert info["hostname"] == "openbl602-kettle-1"
    # §1: locally administered MAC = 02 + SHA-256(id)[0:5]
    assert info["mac"] == "02" + hashlib.sha256(b"kettle-1").hexdigest()[:10]
    assert re.fullmatch(r"[0-9a-f]{12}", info["mac"])
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", info["fw"])
    assert info["auth"] is False
    assert info["setup_mode"] is False
    assert {"relay", "metering", "energy", "events"} <= set(info["capabilities"])
    assert "http" not in info  # only the MQTT copy carries it
    # §2: the board id OTA images must name, which is not the pin-map profile name
    assert info["board"] == "SM-028_V1.3"
    assert info["ota_board"] == "posix-sim"


def test_state_has_every_key_with_its_type(sims):
    sim = sims("types")
    s = sim.state()
    for key, typ in STATE_KEYS.items():
        assert key in s, key
        value = s[key]
        if typ is float:
            assert isinstance(value, int | float), key
            assert not isinstance(value, bool), key
        else:
            assert isinstance(value, typ), key
    assert "power_factor" in s
    assert set(s["ota"]) == {"state", "progress", "error"}
    assert set(s["stale"]) == {"voltage", "current"}
    assert s["tripped"] in ("none", "overpower", "overcurrent")
    assert s["reset_reason"] == "power_on"


def test_relay_switches_and_meters_the_load(sims):
    sim = sims("lamp", load="100W")
    s = sim.relay(True)
    assert s["relay"] is True
    assert sim.outputs()["relay"] == 1
    s = wait_until(
        lambda: (x := sim.state())["power_w"] > 95 and not any(x["stale"].values()) and x,
        15,
        "fresh power, voltage and current readings",
    )
    assert abs(s["power_w"] - 100) < 2
    assert abs(s["voltage_v"] - 230) < 3
    assert abs(s["current_a"] - 100 / 230) < 0.02
    assert s["power_factor"] is not None
    assert s["power_factor"] > 0.95
    s = sim.post("/api/v1/relay", {"toggle": True}).json()
    assert s["relay"] is False
    assert s["power_w"] == 0  # §3: relay open → no load
    assert s["current_a"] == 0
    assert sim.outputs()["relay"] == 0


def test_relay_body_errors(sims):
    sim = sims("relayerr")
    for body, code, fld in [
        ({}, "required", "on"),
        ({"on": 1}, "wrong_type", "on"),
        ({"toggle": False}, "invalid_value", "toggle"),
        ({"on": True, "x": 1}, "unknown_field", "x"),
        ({"on": True, "toggle": True}, "invalid_value", "on"),
    ]:
        r = sim.post("/api/v1/relay", body)
        assert r.status == 400, body
        err = r.json()["error"]
        assert err["code"] == code, body
        assert err["field"] == fld, body
    r = sim.post("/api/v1/relay", b"{not json", headers={"Content-Type": "application/json"})
    assert r.status == 400
    assert r.json()["error"]["code"] == "invalid_json"
    assert sim.state()["relay"] is False


def test_unknown_path_404_wrong_method_405(sims):
    sim = sims("routes")
    r = sim.get("/api/v1/nope")
    assert r.status == 404
    assert r.json()["error"]["code"] == "not_found"
    r = sim.get("/api/v1/relay")
    assert r.status == 405
    assert r.json()["error"]["code"] == "method_not_allowed"
    assert r.headers["allow"] == "POST"
    r = sim.request("DELETE", "/api/v1/config")
    assert r.status == 405
    assert r.headers["allow"] == "GET, PATCH"


def test_config_roundtrip_partial_and_persisted(sims):
    sim = sims("cfg")
    c = sim.get("/api/v1/config").json()
    assert c["startup"] == "restore"
    assert c["protection"]["max_power_w"] == 3680
    assert c["api_password_set"] is False
    assert c["mqtt"]["password_set"] is False
    r = sim.patch("/api/v1/config", {"name": "Kettle", "protection": {"max_power_w": 2000}})
    assert r.status == 200
    c = r.json()
    assert c["name"] == "Kettle"
    assert c["protection"]["max_power_w"] == 2000
    assert c["protection"]["max_current_a"] == 16  # untouched
    sim.restart()
    c = sim.get("/api/v1/config").json()
    assert c["name"] == "Kettle"
    assert c["protection"]["max_power_w"] == 2000
    assert sim.info()["name"] == "Kettle"


def test_config_errors_are_per_field_and_change_nothing(sims):
    sim = sims("cfgerr")
    before = sim.get("/api/v1/config").json()
    r = sim.patch(
        "/api/v1/config",
        {
            "name": "ok",
            "startup": "sometimes",
            "protection": {"max_power_w": 5},
            "report": {"heartbeat_s": 5},
            "colour": "red",
        },
    )
    assert r.status == 400
    body = r.json()
    fields = {e["field"]: e["code"] for e in body["errors"]}
    assert fields == {
        "startup": "invalid_value",
        "protection.max_power_w": "out_of_range",
        "report.heartbeat_s": "out_of_range",
        "colour": "unknown_field",
    }
    assert body["error"] == body["errors"][0]
    assert sim.get("/api/v1/config").json() == before
    for patch, code, fld in [
        ({"api_password": "short"}, "too_short", "api_password"),
        ({"api_password_set": True}, "read_only", "api_password_set"),
        ({"mqtt": {"enabled": True}}, "required", "mqtt.host"),
        ({"mqtt": {"port": 0}}, "out_of_range", "mqtt.port"),
        ({"button": {"long_press_ms": 1.5}}, "wrong_type", "button.long_press_ms"),
        ({"name": "x" * 33}, "too_long", "name"),
        ({"led": "blue"}, "invalid_value", "led"),
    ]:
        r = sim.patch("/api/v1/config", patch)
        assert r.status == 400, patch
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, fld), patch
    r = sim.patch("/api/v1/config", b"[1,2]", headers={"Content-Type": "application/json"})
    assert r.status == 400
    assert r.json()["error"]["code"] == "invalid_json"


def test_calibrate_to_reference_load(sims):
    sim = sims("cal", load="60W")
    r = sim.post("/api/v1/calibrate", {"power_w": 60})
    assert r.status == 409  # relay off: nothing to measure
    assert r.json()["error"]["field"] == "power_w"
    sim.relay(True)
    wait_until(lambda: sim.state()["power_w"] > 58, 10, "power reading")
    r = sim.post("/api/v1/calibrate", {"power_w": 66.0})
    assert r.status == 200, r.body
    gains = r.json()
    assert abs(gains["power_gain"] - 1.1) < 0.03
    wait_until(lambda: abs(sim.state()["power_w"] - 66) < 1.5, 10, "calibrated power")
    assert (
        abs(sim.get("/api/v1/config").json()["calibration"]["power_gain"] - gains["power_gain"])
        < 1e-3
    )
    r = sim.post("/api/v1/calibrate", {"power_w": 6000})
    assert r.status == 400
    assert r.json()["error"]["code"] == "out_of_range"
    r = sim.post("/api/v1/calibrate", {"power_w": 20})  # gain would be ~0.33
    assert r.status == 400
    assert r.json()["error"]["code"] == "out_of_range"
    r = sim.post("/api/v1/calibrate", {"reset": True})
    assert r.status == 200
    assert r.json()["power_gain"] == 1.0


def test_energy_counts_persists_and_resets(sims):
    sim = sims("energy", load="3000W")
    sim.relay(True)
    # 3 kW → 1 Wh every 1.2 s
    wait_until(lambda: sim.state()["energy_wh"] >= 5, 20, "energy to count")
    e1 = sim.state()["energy_wh"]
    sim.restart()  # SIGTERM: an orderly stop persists the counter
    e2 = sim.state()["energy_wh"]
    assert e2 >= e1
    r = sim.post("/api/v1/energy/reset", {})
    assert r.status == 400
    assert r.json()["error"]["field"] == "confirm"
    r = sim.post("/api/v1/energy/reset", {"confirm": True})
    assert r.status == 200
    assert r.json() == {"energy_wh": 0}
    assert sim.state()["energy_wh"] <= 1


def test_identify_blinks_the_led(sims):
    sim = sims("ident")
    r = sim.post("/api/v1/identify", {"seconds": 2})
    assert r.status == 200
    assert r.json() == {"ok": True}
    seen = set()
    wait_until(lambda: seen.add(sim.outputs()["led"]) or len(seen) == 2, 3, "LED to blink")
    assert sim.post("/api/v1/identify", {"seconds": 61}).status == 400
    # empty body: default 5 s (still typed: a bodiless cross-site POST carries no Content-Type)
    assert sim.post("/api/v1/identify", headers={"Content-Type": "application/json"}).status == 200


def test_led_modes_drive_the_led_pin(sims):
    """§4 led: `relay` follows the relay, `network` shows the connected Wi-Fi, `off` stays dark."""
    sim = sims("ledmode")
    sim.relay(False)

    def led_level(mode: str) -> int:
        assert sim.patch("/api/v1/config", {"led": mode}).status == 200
        time.sleep(0.3)  # the LED is driven from the main loop
        return sim.outputs()["led"]

    dark = led_level("relay")  # relay off: dark, whatever the pin's polarity
    assert led_level("off") == dark
    assert led_level("network") != dark  # the simulated Wi-Fi is connected: lit
    assert sim.get("/api/v1/config").json()["led"] == "network"
    sim.relay(True)
    assert led_level("relay") != dark


def test_reboot_reports_software_reset(sims):
    sim = sims("reboot")
    r = sim.post("/api/v1/reboot", {})
    assert r.status == 200
    assert r.json() == {"ok": True}

    def rebooted():
        try:
            return sim.state()["reset_reason"] == "software"
        except OSError:
            return False

    wait_until(rebooted, 10, "reboot")
    assert sim.state()["uptime_s"] < 10


def test_ota_status_starts_idle(sims):
    sim = sims("ota")
    r = sim.get("/api/v1/ota")
    assert r.status == 200
    assert r.json() == {
        "state": "idle",
        "progress": 0,
        "bytes": 0,
        "total": 0,
        "error": None,
        "rollback": None,
    }
    assert "ota" in sim.info()["capabilities"]


def test_status_page(sims):
    sim = sims("page")
    r = sim.get("/")
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/html")
    assert b"/api/v1/state" in r.body
    assert b"http://" not in r.body  # no external resources
    assert b"https://" not in r.body


def test_several_plugs_side_by_side(sims):
    a = sims("multi-a", load="10W")
    b = sims("multi-b", load="500W")
    a.relay(True)
    b.relay(True)
    wait_until(lambda: a.state()["power_w"] > 9 and b.state()["power_w"] > 490, 10, "both meters")
    assert a.info()["mac"] != b.info()["mac"]
    assert abs(a.state()["power_w"] - 10) < 1
    assert abs(b.state()["power_w"] - 500) < 8
