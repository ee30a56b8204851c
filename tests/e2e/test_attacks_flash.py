"""Issue #13 item 5: command floods do not wear out the flash (docs/protocol.md §3,
docs/storage.md).

The flood benchmark prints sector erases per 10 k relay commands over HTTP and over MQTT (target ≤
1);
run with -s to see it. Erases are counted from the store's sector sequence numbers in the flash
file.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import time

from .flashwear import store_seq
from .plug import Recorder, wait_until

COMMANDS = 10_000
# MQTT commands are sent 100 at a time (the plug answers every one of a burst, protocol §8.3):
# 2000 by default keeps the suite short; OBL_WEAR_MQTT=10000 runs the full benchmark.
MQTT_COMMANDS = int(os.environ.get("OBL_WEAR_MQTT", "2000"))


def http_toggles(port: int, n: int) -> int:
    ok = 0
    for _ in range(n):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request(
                "POST", "/api/v1/relay", b'{"toggle":true}', {"Content-Type": "application/json"}
            )
            r = conn.getresponse()
            r.read()
            ok += r.status == 200
        finally:
            conn.close()
    return ok


def test_flash_erases_per_10k_relay_commands(sims, broker):
    sim = sims("wear", mqtt_port=broker.port)
    topic = f"openbl602/{sim.id}"
    time.sleep(2.5)
    seq0 = store_seq(sim.flash)
    t0 = time.monotonic()
    done = http_toggles(sim.http_port, COMMANDS)
    took = time.monotonic() - t0
    time.sleep(2.5)  # the quiet period: the last state is saved now
    seq1 = store_seq(sim.flash)
    http_erases = seq1 - seq0
    print(
        f"\n[wear] HTTP: {done} relay toggles in {took:.1f} s -> {http_erases} sector erases "
        f"({http_erases * 10_000 / max(1, done):.2f} per 10 k)"
    )
    with Recorder(broker.port, [f"{topic}/result", f"{topic}/info"]) as rec:
        rec.wait(f"{topic}/info")
        rec.client.unsubscribe(f"{topic}/info")
        time.sleep(0.5)
        rec.clear()  # from here on only results arrive
        t0 = time.monotonic()
        assert rec.client is not None
        # bursts of 100: the plug answers every command, the count here needs one result per command
        window = 100
        for sent in range(0, MQTT_COMMANDS, window):
            for _ in range(window):
                rec.client.publish(f"{topic}/cmd/relay", b"toggle", qos=1)
            deadline = time.monotonic() + 10
            while len(rec.messages) < sent + window and time.monotonic() < deadline:
                time.sleep(0.001)
        results = len(rec.on(f"{topic}/result"))
        took = time.monotonic() - t0
    time.sleep(2.5)
    seq2 = store_seq(sim.flash)
    mqtt_erases = seq2 - seq1
    print(
        f"[wear] MQTT: {results} relay toggles run in {took:.1f} s -> {mqtt_erases} sector erases "
        f"({mqtt_erases * 10_000 / max(1, results):.2f} per 10 k)"
    )
    assert done == COMMANDS
    assert results == MQTT_COMMANDS
    assert http_erases <= 1
    assert mqtt_erases <= 1
    # the last state survives a power cut once it has been quiet for 2 s
    final = sim.state()["relay"]
    with contextlib.suppress(OSError):
        sim.control("powercut", timeout=2)
    assert sim.proc is not None
    assert sim.proc.wait(5) == 99
    sim.proc = None
    sim.start()
    assert sim.state()["relay"] is final


def test_a_power_cut_right_after_a_change_restores_the_saved_state(sims):
    """§3: a change is saved after 2 s without another; a power cut before that restores the old
    state."""
    sim = sims("wear-cut")
    sim.relay(True)
    time.sleep(2.5)
    sim.relay(False)
    with contextlib.suppress(OSError):
        sim.control("powercut", timeout=2)
    assert sim.proc is not None
    assert sim.proc.wait(5) == 99
    sim.proc = None
    sim.start()
    assert sim.state()["relay"] is True  # the saved state, from before the last change


def test_repeated_trips_lock_the_relay_off_until_cleared(sims, broker):
    """§3 lockout: three trips within 10 min and ON no longer re-arms the overload, over HTTP or
    MQTT."""
    sim = sims("lockout", load="500W", mqtt_port=broker.port)
    assert (
        sim.patch("/api/v1/config", {"protection": {"max_power_w": 300, "hold_s": 1}}).status == 200
    )
    for _ in range(3):
        r = sim.post("/api/v1/relay", {"on": True})
        assert r.status == 200, r
        wait_until(lambda: sim.state()["tripped"] != "none", 10, "trip")
    s = sim.state()
    assert s["lockout"] is True
    r = sim.post("/api/v1/relay", {"on": True})
    assert r.status == 409
    assert r.json()["error"]["code"] == "locked_out"
    topic = f"openbl602/{sim.id}"
    with Recorder(broker.port, [f"{topic}/result", f"{topic}/info"]) as rec:
        rec.wait(f"{topic}/info")
        rec.publish(f"{topic}/cmd/relay", "on")
        assert rec.wait(f"{topic}/result").json()["error"]["code"] == "locked_out"
    assert sim.control("press").startswith("ok")  # the button cannot switch it on either
    time.sleep(1.0)
    assert sim.outputs()["relay"] == 0
    # a person / Home Assistant clears it (with a smaller load plugged in)
    sim.control("load 100")
    r = sim.post("/api/v1/relay", {"on": True, "clear_lockout": True})
    assert r.status == 200
    assert r.json()["relay"] is True
    assert r.json()["lockout"] is False
