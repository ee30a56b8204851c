"""docs/protocol.md §3, §9, §12: setup mode, startup state, protection, watchdog and power cuts on
the simulated plug."""

from __future__ import annotations

import contextlib
import os
import signal
import time

import pytest

from .mqtt_auth import envelope
from .plug import Recorder, wait_until


def alive_state(sim):
    try:
        return sim.state()
    except OSError:
        return None


def alive_info(sim):
    """The plug re-joins Wi-Fi when setup ends: its sockets drop for a moment, as on hardware."""
    try:
        return sim.info()
    except OSError:
        return None


def alive_get(sim, path):
    try:
        return sim.get(path)
    except OSError:
        return None


def test_very_long_press_opens_setup_mode(sims):
    sim = sims("setup")
    assert sim.get("/api/v1/setup/networks").status == 404  # only in setup mode
    assert sim.control("hold 11000").startswith("ok")
    wait_until(lambda: sim.info()["setup_mode"], 15, "setup mode")
    page = sim.get("/")
    assert page.status == 200
    assert b"/api/v1/setup" in page.body
    nets = sim.get("/api/v1/setup/networks").json()["networks"]
    assert [n["rssi_dbm"] for n in nets] == sorted((n["rssi_dbm"] for n in nets), reverse=True)
    assert {"ssid", "rssi_dbm", "secured"} <= set(nets[0])
    # bad input is refused per field, nothing applied
    r = sim.post(
        "/api/v1/setup",
        {
            "wifi": {"ssid": "home", "password": "short"},
            "mqtt": {"enabled": True, "host": "bad host!"},
            "api_password": "x",
        },
    )
    assert r.status == 400
    fields = {e["field"]: e["code"] for e in r.json()["errors"]}
    assert fields == {
        "wifi.password": "too_short",
        "mqtt.host": "invalid_value",
        "api_password": "too_short",
    }
    r = sim.post("/api/v1/setup", {"name": "Kettle"})
    assert r.status == 400
    assert r.json()["error"]["field"] == "wifi.ssid"
    assert sim.info()["setup_mode"] is True
    r = sim.post(
        "/api/v1/setup",
        {"wifi": {"ssid": "home", "password": "correct horse"}, "name": "Kettle"},
    )
    assert r.status == 200
    assert r.json() == {"ok": True}
    info = wait_until(
        lambda: (i := alive_info(sim)) and not i["setup_mode"] and i, 5, "normal mode"
    )
    assert info["name"] == "Kettle"
    # leaving setup mode re-joins Wi-Fi: the sockets may drop once more right after the info answer
    cfg = wait_until(lambda: alive_get(sim, "/api/v1/config"), 5, "config").json()
    assert cfg["wifi"] == {"ssid": "home", "password_set": True}


def test_new_plug_without_wifi_starts_in_setup_mode(sims):
    sim = sims("fresh", extra=("--unconfigured",))
    info = sim.info()
    assert info["setup_mode"] is True
    assert sim.state()["rssi_dbm"] == 0  # an access point has no signal to report
    assert b"/api/v1/setup" in sim.get("/").body
    assert sim.get("/api/v1/config").json()["wifi"]["ssid"] == ""
    r = sim.post("/api/v1/setup", {"wifi": {"ssid": "home", "password": "correct horse"}})
    assert r.status == 200
    wait_until(lambda: (i := alive_info(sim)) and not i["setup_mode"], 5, "normal mode")
    sim.restart()
    assert sim.info()["setup_mode"] is False  # the network is remembered


def test_setup_mode_drops_mqtt_and_leaving_it_reconnects(sims, broker):
    from .plug import Recorder

    sim = sims("setupmq", mqtt_port=broker.port)
    with Recorder(broker.port, ["openbl602/setupmq/status"]) as rec:
        rec.wait("openbl602/setupmq/status", lambda m: m.payload == b"online")
        rec.clear()
        sim.control("hold 11000")
        rec.wait("openbl602/setupmq/status", lambda m: m.payload == b"offline", 20)
        rec.clear()
        assert sim.post("/api/v1/setup", {"wifi": {"ssid": "sim"}}).status == 200
        rec.wait("openbl602/setupmq/status", lambda m: m.payload == b"online", 20)


def test_startup_state_policies(sims):
    sim = sims("startup")
    sim.relay(True)
    sim.restart()
    assert sim.state()["relay"] is True  # default "restore"
    assert sim.patch("/api/v1/config", {"startup": "off"}).status == 200
    sim.restart()
    assert sim.state()["relay"] is False
    assert sim.outputs()["relay"] == 0
    assert sim.patch("/api/v1/config", {"startup": "toggle"}).status == 200
    sim.restart()
    assert sim.state()["relay"] is True
    assert sim.patch("/api/v1/config", {"startup": "on"}).status == 200
    sim.relay(False)
    sim.restart()
    assert sim.state()["relay"] is True


def test_overpower_trips_and_switching_on_clears(sims):
    sim = sims("trip", load="500W")
    assert (
        sim.patch("/api/v1/config", {"protection": {"max_power_w": 300, "hold_s": 1}}).status == 200
    )
    sim.relay(True)
    s = wait_until(lambda: (x := sim.state())["tripped"] != "none" and x, 10, "trip")
    assert s["tripped"] == "overpower"
    assert s["relay"] is False
    assert sim.outputs()["relay"] == 0
    sim.control("load 100")
    s = sim.relay(True)
    assert s["tripped"] == "none"
    # within 200 ms of the trip the ON waits for the minimum switching interval (§5.4)
    assert s["relay"] is True or s["relay_pending"] is True
    wait_until(lambda: sim.state()["relay"] is True, 2, "relay on")


def test_hung_main_loop_is_reset_by_the_watchdog(sims):
    sim = sims("wdt")
    sim.relay(True)
    time.sleep(2.5)  # the relay state is saved 2 s after its last change (§3)
    assert sim.control("hang") == "ok hang"
    time.sleep(8)
    s = wait_until(
        lambda: (x := alive_state(sim)) and x["reset_reason"] == "watchdog" and x, 15, "reset"
    )
    assert s["relay"] is True  # restored after the reset


def test_power_cut_keeps_settings_and_relay(sims):
    sim = sims("cut")
    assert sim.patch("/api/v1/config", {"name": "Survivor", "led": "inverted"}).status == 200
    sim.relay(True)
    time.sleep(2.5)  # the relay state is saved 2 s after its last change (§3)
    with contextlib.suppress(OSError):
        sim.control("powercut", timeout=2)
    assert sim.proc is not None
    assert sim.proc.wait(5) == 99
    sim.proc = None
    sim.start()
    assert sim.info()["name"] == "Survivor"
    assert sim.get("/api/v1/config").json()["led"] == "inverted"
    s = sim.state()
    assert s["relay"] is True
    assert s["reset_reason"] == "power_on"


def test_stale_flags_when_the_chip_gives_no_voltage_pulses(sims):
    """§3 stale.voltage: the last voltage reading is older than 10 s (plug clock 10x)."""
    sim = sims("stale", load="100W", time_scale=10.0)
    sim.relay(True)
    wait_until(lambda: not any(sim.state()["stale"].values()), 10, "fresh readings")
    assert sim.control("voltage 0").startswith("ok")
    wait_until(lambda: sim.state()["stale"]["voltage"], 10, "voltage stale")
    assert sim.control("voltage 230").startswith("ok")
    s = wait_until(
        lambda: (x := sim.state()) and not x["stale"]["voltage"] and x, 10, "fresh again"
    )
    assert abs(s["voltage_v"] - 230) < 3


def test_energy_is_null_while_the_stored_total_cannot_be_read(sims, tmp_path):
    """§3: energy_wh is null, never a made-up 0, when the store holding the total cannot be read.

    The flash is /dev/zero: every write vanishes, so the store never mounts (as on a plug whose
    settings sector is dead)."""
    (tmp_path / "deadflash.flash").symlink_to("/dev/zero")
    sim = sims("deadflash", load="100W")
    sim.relay(True)
    time.sleep(1.5)  # metered energy accumulates in RAM, but the lifetime total is unknown
    s = sim.state()
    assert s["energy_wh"] is None
    assert s["power_w"] > 50  # the plug itself works
    # a healthy plug sends an integer from the first state on
    assert isinstance(sims("goodflash").state()["energy_wh"], int)


def _crash_until_safe_mode(sim):
    """§3 safe_mode: four boots in a row that end early (here: crashes) make the fifth safe."""
    assert sim.proc is not None
    for boot in range(2, 6):
        os.kill(sim.proc.pid, signal.SIGABRT)  # the sim re-executes itself: reset_reason exception
        wait_until(lambda b=boot: f"boot {b}," in sim.log.read_text(), 10, f"boot {boot}")
        wait_until(lambda: alive_state(sim), 10, "HTTP back")
    s = sim.state()
    assert s["reset_reason"] == "exception"
    assert s["safe_mode"] is True
    return s


@pytest.mark.parametrize("transport", ["http", "mqtt"])
def test_a_reboot_command_leaves_safe_mode(sims, broker, monkeypatch, transport):
    """§5.9: a user's reboot from safe mode gives the firmware a normal attempt again."""
    monkeypatch.setenv("OBL_CRASH_RESETS", "1")  # crash signals reset the sim like an exception
    sim = sims(f"safe-{transport}", mqtt_port=broker.port if transport == "mqtt" else None)
    _crash_until_safe_mode(sim)
    if transport == "http":
        assert sim.post("/api/v1/reboot", {}).json() == {"ok": True}
    else:
        # leaving safe mode over MQTT needs the authenticated form (§8.5), so a password
        assert sim.patch("/api/v1/config", {"api_password": "s3cret-pass"}).status == 200
        sim.password = "s3cret-pass"
        topic = f"openbl602/{sim.id}"
        with Recorder(broker.port, [f"{topic}/result"]) as rec:
            signed = envelope("s3cret-pass", f"{topic}/cmd/reboot", 1, '{"req": "r1"}')
            rec.publish(f"{topic}/cmd/reboot", signed)
            assert rec.wait(f"{topic}/result").json()["ok"] is True
    wait_until(lambda: "boot 6," in sim.log.read_text(), 10, "rebooted")
    s = wait_until(lambda: alive_state(sim), 10, "HTTP back")
    assert s["reset_reason"] == "software"
    assert s["safe_mode"] is False
