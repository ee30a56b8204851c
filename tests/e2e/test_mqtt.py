"""docs/protocol.md §8 against a real Mosquitto: discovery info, LWT status, retained state,
commands and results, reporting policy, reconnects."""

from __future__ import annotations

import json
import time

from .plug import Recorder, wait_until


def test_connect_publishes_status_info_state_retained(sims, broker):
    sim = sims("mq", mqtt_port=broker.port)
    with Recorder(broker.port, ["openbl602/mq/#"]) as rec:
        status = rec.wait("openbl602/mq/status")
        assert status.payload == b"online"
        assert status.retain  # a fresh subscriber gets retained copies
        info = rec.wait("openbl602/mq/info").json()
        assert info["protocol"] == 1
        assert info["id"] == "mq"
        assert info["http"] == f"http://127.0.0.1:{sim.http_port}"
        assert info["mac"] == sim.info()["mac"]
        assert info["ota_board"] == "posix-sim"  # §2, same as the HTTP copy
        state = rec.wait("openbl602/mq/state")
        assert state.retain
        assert set(state.json()) == set(sim.state())


def test_discovery_by_wildcard_sees_every_plug(sims, broker):
    sims("disc-a", mqtt_port=broker.port)
    sims("disc-b", mqtt_port=broker.port)
    with Recorder(broker.port, ["openbl602/+/info"]) as rec:
        wait_until(lambda: len({m.topic for m in rec.messages}) == 2, 10, "both infos")
        ids = sorted(m.json()["id"] for m in rec.messages)
        assert ids == ["disc-a", "disc-b"]


def test_relay_command_result_and_state(sims, broker):
    sim = sims("mqcmd", mqtt_port=broker.port)
    with Recorder(broker.port, ["openbl602/mqcmd/#"]) as rec:
        rec.wait("openbl602/mqcmd/state")
        rec.clear()
        rec.publish("openbl602/mqcmd/cmd/relay", json.dumps({"on": True, "req": "r-1"}))
        result = rec.wait("openbl602/mqcmd/result").json()
        assert result == {"cmd": "relay", "req": "r-1", "ok": True, "error": None}
        assert rec.wait("openbl602/mqcmd/state", lambda m: m.json()["relay"]).json()["relay"]
        state_t = rec.on("openbl602/mqcmd/state")[0].t
        assert state_t <= rec.on("openbl602/mqcmd/result")[0].t  # state before result (§8.3)
        assert sim.outputs()["relay"] == 1
        rec.publish("openbl602/mqcmd/cmd/relay", "off")  # bare word
        rec.wait("openbl602/mqcmd/result", lambda m: m.json()["req"] is None)
        wait_until(lambda: sim.outputs()["relay"] == 0, 5, "relay off")


def test_command_errors(sims, broker):
    sims("mqerr", mqtt_port=broker.port)
    with Recorder(broker.port, ["openbl602/mqerr/result"]) as rec:
        cases = [
            ("relay", {"on": "yes", "req": "1"}, "wrong_type", "on"),
            ("config", {"led": "blue", "req": "2"}, "invalid_value", "led"),
            (
                "config",
                {"api_password": "takeover-pass", "req": "3"},
                "not_allowed",
                "api_password",
            ),
            ("config", {"mqtt": {"host": "evil"}, "req": "4"}, "not_allowed", "mqtt.host"),
            ("energy_reset", {"req": "5"}, "required", "confirm"),
            ("dance", {"req": "6"}, "not_found", None),
        ]
        for name, body, code, fld in cases:
            rec.publish(f"openbl602/mqerr/cmd/{name}", json.dumps(body))
            res = rec.wait("openbl602/mqerr/result", lambda m, r=body["req"]: m.json()["req"] == r)
            doc = res.json()
            assert doc["ok"] is False, name
            assert doc["error"]["code"] == code, name
            assert doc["error"].get("field") == fld, name
        rec.publish("openbl602/mqerr/cmd/relay", "{not json")
        res = rec.wait("openbl602/mqerr/result", lambda m: m.json()["req"] is None)
        assert res.json()["error"]["code"] == "invalid_json"


def test_config_over_mqtt_applies_and_is_seen_over_http(sims, broker):
    sim = sims("mqcfg", mqtt_port=broker.port)
    with Recorder(broker.port, ["openbl602/mqcfg/result", "openbl602/mqcfg/info"]) as rec:
        rec.wait("openbl602/mqcfg/info")
        rec.publish("openbl602/mqcfg/cmd/config", json.dumps({"name": "Fridge", "req": "n"}))
        assert rec.wait("openbl602/mqcfg/result").json()["ok"] is True
        assert sim.get("/api/v1/config").json()["name"] == "Fridge"
        rec.wait("openbl602/mqcfg/info", lambda m: m.json()["name"] == "Fridge")


def test_retained_commands_are_ignored(sims, broker):
    with Recorder(broker.port, ["openbl602/mqret/result"]) as rec:
        rec.publish("openbl602/mqret/cmd/relay", json.dumps({"on": True}), retain=True)
        sim = sims("mqret", mqtt_port=broker.port)
        time.sleep(2)
        assert rec.on("openbl602/mqret/result") == []
        assert sim.outputs()["relay"] == 0
        rec.publish("openbl602/mqret/cmd/relay", b"", retain=True)  # clear it


def test_lwt_on_network_loss_and_power_cut(sims, broker):
    sim = sims("mqlwt", mqtt_port=broker.port)
    with Recorder(broker.port, ["openbl602/mqlwt/status"]) as rec:
        rec.wait("openbl602/mqlwt/status", lambda m: m.payload == b"online")
        rec.clear()
        assert sim.control("net down") == "ok net down"
        rec.wait("openbl602/mqlwt/status", lambda m: m.payload == b"offline", 10)
        assert sim.control("net up") == "ok net up"
        rec.wait("openbl602/mqlwt/status", lambda m: m.payload == b"online", 15)
        rec.clear()
        sim.proc.send_signal(9)  # power cut: no goodbye
        sim.proc.wait(5)
        rec.wait("openbl602/mqlwt/status", lambda m: m.payload == b"offline", 10)


def test_orderly_stop_publishes_offline(sims, broker):
    sim = sims("mqbye", mqtt_port=broker.port)
    with Recorder(broker.port, ["openbl602/mqbye/status"]) as rec:
        rec.wait("openbl602/mqbye/status", lambda m: m.payload == b"online")
        sim.stop()
        rec.wait("openbl602/mqbye/status", lambda m: m.payload == b"offline", 5)
    with Recorder(broker.port, ["openbl602/mqbye/status"]) as fresh:
        assert fresh.wait("openbl602/mqbye/status").payload == b"offline"  # retained


def test_reconnects_after_broker_restart(sims, broker):
    sims("mqre", mqtt_port=broker.port)
    with Recorder(broker.port, ["openbl602/mqre/status"]) as rec:
        rec.wait("openbl602/mqre/status", lambda m: m.payload == b"online")
    broker.stop()
    time.sleep(1)
    broker.start()  # same port, empty (persistence off)
    with Recorder(broker.port, ["openbl602/mqre/#"]) as rec:
        rec.wait("openbl602/mqre/status", lambda m: m.payload == b"online", 30)
        rec.wait("openbl602/mqre/info", timeout=10)
        rec.wait("openbl602/mqre/state", timeout=10)
        rec.publish("openbl602/mqre/cmd/identify", "{}")
        assert rec.wait("openbl602/mqre/result").json()["ok"] is True


def test_button_event_on_mqtt(sims, broker):
    sim = sims("mqbtn", mqtt_port=broker.port)
    with Recorder(broker.port, ["openbl602/mqbtn/event", "openbl602/mqbtn/state"]) as rec:
        rec.wait("openbl602/mqbtn/state")
        assert sim.control("press 100").startswith("ok")
        ev = rec.wait("openbl602/mqbtn/event")
        assert ev.json() == {"type": "button", "action": "single"}
        assert not ev.retain


def test_steady_load_reports_once_a_minute(sims, broker):
    """§8.4: at a steady load one state message per heartbeat (OpenBeken: 32/min at 115 W).
    The plug's clock runs 10x: 13 s here are 130 s for the firmware."""
    sim = sims("mqrate", load="115W", mqtt_port=broker.port, time_scale=10.0)
    sim.relay(True)
    with Recorder(broker.port, ["openbl602/mqrate/state"]) as rec:
        # settle: the first readings after switching on are reports of their own
        wait_until(lambda: abs(sim.state()["power_w"] - 115) < 1, 15, "steady reading")
        time.sleep(1)
        rec.clear()
        t0 = time.monotonic()
        time.sleep(13)
        window = [m for m in rec.on("openbl602/mqrate/state") if m.t >= t0]
    # 130 simulated seconds: two heartbeats, perhaps a third at the window's edge
    assert 2 <= len(window) <= 3, [m.payload[:60] for m in window]
    assert all(abs(m.json()["power_w"] - 115) < 1.2 for m in window), [
        m.json()["power_w"] for m in window
    ]


def test_power_change_beyond_the_delta_is_reported_at_once(sims, broker):
    """§8.4: a change of max(0.5 W, 1 %) goes out at once; a smaller one waits for the heartbeat."""
    sim = sims("mqdelta", load="100W", mqtt_port=broker.port)
    sim.relay(True)
    with Recorder(broker.port, ["openbl602/mqdelta/state"]) as rec:
        wait_until(lambda: abs(sim.state()["power_w"] - 100) < 0.5, 15, "steady reading")
        time.sleep(3)
        rec.clear()
        assert sim.control("load 100.4").startswith("ok")  # 0.4 %: below both thresholds
        time.sleep(3)
        assert rec.on("openbl602/mqdelta/state") == []
        t0 = time.monotonic()
        assert sim.control("load 120").startswith("ok")
        m = rec.wait("openbl602/mqdelta/state", lambda m: m.json()["power_w"] > 118, 5)
        assert m.t - t0 < 3


def test_heartbeat_is_settable(sims, broker):
    """report.heartbeat_s = 120: over 130 simulated seconds of steady load, one message at most."""
    sim = sims("mqhb", load="60W", mqtt_port=broker.port, time_scale=10.0)
    assert sim.patch("/api/v1/config", {"report": {"heartbeat_s": 120}}).status == 200
    sim.relay(True)
    with Recorder(broker.port, ["openbl602/mqhb/state"]) as rec:
        wait_until(lambda: abs(sim.state()["power_w"] - 60) < 1, 15, "steady reading")
        time.sleep(1)
        rec.clear()
        time.sleep(13)
        n = len(rec.on("openbl602/mqhb/state"))
    assert n <= 1, n


def test_steady_load_real_time_minute(sims, broker):
    """The same promise on the real clock, one real minute: at most 2 state messages (heartbeat)."""
    sim = sims("mqrate-rt", load="115W", mqtt_port=broker.port)
    sim.relay(True)
    with Recorder(broker.port, ["openbl602/mqrate-rt/state"]) as rec:
        wait_until(lambda: abs(sim.state()["power_w"] - 115) < 1, 15, "steady reading")
        time.sleep(3)
        rec.clear()
        t0 = time.monotonic()
        time.sleep(61)
        window = [m for m in rec.on("openbl602/mqrate-rt/state") if m.t >= t0]
    assert 1 <= len(window) <= 2, [m.payload[:60] for m in window]


def test_noisy_load_is_rate_limited(sims, broker, tmp_path):
    """A load jumping by 10 % every second: reports spaced by report.min_interval_s (2 s)."""
    profile = tmp_path / "noisy.csv"
    profile.write_text("".join(f"{t},{100 + (30 if t % 2 else 0)}\n" for t in range(20)))
    sim = sims("mqnoisy", load=None, mqtt_port=broker.port, profile=profile)
    sim.relay(True)
    with Recorder(broker.port, ["openbl602/mqnoisy/state"]) as rec:
        time.sleep(3)
        rec.clear()
        t0 = time.monotonic()
        time.sleep(20)
        n = len([m for m in rec.on("openbl602/mqnoisy/state") if m.t >= t0])
    assert 5 <= n <= 11, n  # ≤ 20 s / 2 s + 1
    print(f"noisy 100/130 W: {n} state messages in 20 s ({n * 3} per minute)")


def _power_reports(rec: Recorder, topic: str) -> list[float]:
    return [m.json()["power_w"] for m in rec.on(topic)]


def test_load_step_down_reports_the_settled_value_and_no_transient(sims, broker):
    """§8.4: 1500 → 100 W: the meter's way down never leaves the plug; the settled 100 W does."""
    sim = sims("mqstep", load="1500W", mqtt_port=broker.port)
    sim.relay(True)
    topic = "openbl602/mqstep/state"
    with Recorder(broker.port, [topic]) as rec:
        for _ in range(5):
            wait_until(lambda: abs(sim.state()["power_w"] - 1500) < 15, 15, "steady 1500 W")
            time.sleep(
                2.5
            )  # past report.min_interval_s: the old policy sent the first reading over

            rec.clear()
            assert sim.control("load 100").startswith("ok")
            rec.wait(topic, lambda m: abs(m.json()["power_w"] - 100) < 3, 10)
            time.sleep(0.5)
            shown = _power_reports(rec, topic)
            assert all(abs(p - 100) < 3 or abs(p - 1500) < 15 for p in shown), shown
            assert sim.control("load 1500").startswith("ok")


def test_switch_on_reports_zero_then_the_real_power_never_a_small_value(sims, broker):
    """§8.4: relay on after 2.4 s off, 1000 W load: the relay report carries 0 W (nothing measured
    yet, never the old load's decaying reading), then 1000 W."""
    sim = sims("mqon", load="1000W", mqtt_port=broker.port)
    topic = "openbl602/mqon/state"
    with Recorder(broker.port, [topic]) as rec:
        for _ in range(3):
            sim.relay(True)
            wait_until(lambda: abs(sim.state()["power_w"] - 1000) < 10, 15, "1000 W")
            sim.relay(False)
            time.sleep(2.4)
            rec.clear()
            answer = sim.relay(True)
            assert answer["power_w"] == 0 or abs(answer["power_w"] - 1000) < 10, answer["power_w"]
            rec.wait(topic, lambda m: abs(m.json()["power_w"] - 1000) < 10, 10)
            shown = [m.json()["power_w"] for m in rec.on(topic) if m.json()["relay"]]
            assert all(p == 0 or abs(p - 1000) < 10 for p in shown), shown
            sim.relay(False)
