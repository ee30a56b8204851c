"""Issue #13: the relay is switched at most once per minimum interval (200 ms, protocol.md §5.4),
however commands flood in over HTTP or MQTT; the last command wins and is applied when the interval
has passed; a command after a quiet interval switches at once. Switchings are counted on the relay
pin of the real simulated plug (control command `outputs`)."""

from __future__ import annotations

import http.client
import json
import time

from .plug import Recorder, wait_until

INTERVAL_S = 0.2


def _switches(sim) -> int:
    return sim.outputs()["relay_switches"]


def _toggle(conn: http.client.HTTPConnection) -> dict:
    conn.request("POST", "/api/v1/relay", b'{"toggle":true}', {"Content-Type": "application/json"})
    r = conn.getresponse()
    body = r.read()
    assert r.status == 200, body
    return json.loads(body)


def test_an_http_toggle_flood_switches_at_most_once_per_interval(sims):
    sim = sims("flood")
    before = _switches(sim)
    conn = http.client.HTTPConnection("127.0.0.1", sim.http_port, timeout=10)
    answers = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < 2.0:
        answers.append(_toggle(conn))
    took = time.monotonic() - t0
    conn.close()
    # the last toggle asked for: on after an odd number of toggles from off
    want = len(answers) % 2 == 1
    wait_until(lambda: sim.state()["relay_pending"] is None, 2, "pending change applied")
    spent = time.monotonic() - t0  # until the last switching, at the latest
    switched = _switches(sim) - before
    print(f"\n[relay] {len(answers)} HTTP toggles in {took:.1f} s -> {switched} relay switchings")
    assert len(answers) > 40  # a real flood
    assert switched <= spent / INTERVAL_S + 1
    assert sim.state()["relay"] is want
    assert sim.outputs()["relay"] == int(want)
    # answers inside the interval show the old state and the one that waits
    pending = [a for a in answers if a["relay_pending"] is not None]
    assert pending
    assert all(a["relay_pending"] != a["relay"] for a in pending)


def test_a_toggle_after_a_quiet_interval_switches_at_once(sims):
    sim = sims("quiet")
    for expected in (True, False, True):
        time.sleep(INTERVAL_S + 0.05)
        before = _switches(sim)
        r = sim.post("/api/v1/relay", {"toggle": True})
        assert r.status == 200
        doc = r.json()
        assert doc["relay"] is expected
        assert doc["relay_pending"] is None
        assert _switches(sim) == before + 1


def test_an_mqtt_flood_switches_at_most_once_per_interval_and_pushes_the_final_state(sims, broker):
    sim = sims("mqflood", mqtt_port=broker.port)
    topic = f"openbl602/{sim.id}"
    n = 301
    with Recorder(broker.port, [f"{topic}/state", f"{topic}/result"]) as rec:
        rec.wait(f"{topic}/state")
        time.sleep(INTERVAL_S)
        before = _switches(sim)
        assert rec.client is not None
        t0 = time.monotonic()
        infos = [rec.client.publish(f"{topic}/cmd/relay", b"toggle", qos=1) for _ in range(n)]
        for info in infos:
            info.wait_for_publish(5)
        wait_until(lambda: len(rec.on(f"{topic}/result")) >= n, 20, f"{n} results")
        took = time.monotonic() - t0
        # an odd number of toggles from off: on, applied at the latest one interval after the flood,
        # and the last state pushed says so
        wait_until(lambda: sim.state()["relay_pending"] is None, 2, "pending change applied")
        wait_until(
            lambda: (last := rec.on(f"{topic}/state")[-1].json())["relay"] is True
            and last["relay_pending"] is None,
            2,
            "final state pushed",
        )
        spent = time.monotonic() - t0  # until the last switching, at the latest
        switched = _switches(sim) - before
        print(f"\n[relay] {n} MQTT toggles in {took:.1f} s -> {switched} relay switchings")
        assert switched <= spent / INTERVAL_S + 1
        assert sim.outputs()["relay"] == 1
        assert all(m.json()["ok"] for m in rec.on(f"{topic}/result"))


def test_protection_opens_at_once_during_a_flood_of_on_commands(sims):
    """An overload is cut whatever the commands do: a stream of ON commands neither delays the trip
    (minimum interval) nor restarts the limit's hold time (it did: the overload was never cut), and
    the trips it provokes end in the lockout."""
    sim = sims("floodtrip", load="100W")
    assert (
        sim.patch("/api/v1/config", {"protection": {"max_power_w": 500, "hold_s": 1}}).status == 200
    )
    sim.relay(True)
    time.sleep(1.0)
    sim.control("load 900")
    conn = http.client.HTTPConnection("127.0.0.1", sim.http_port, timeout=10)
    t0 = time.monotonic()
    first_cut = locked = None
    while time.monotonic() - t0 < 10:
        conn.request("POST", "/api/v1/relay", b'{"on":true}', {"Content-Type": "application/json"})
        r = conn.getresponse()
        doc = json.loads(r.read())
        if r.status == 409:
            locked = time.monotonic() - t0
            break
        assert r.status == 200, doc
        if first_cut is None and doc["relay"] is False:
            first_cut = time.monotonic() - t0
    conn.close()
    assert first_cut is not None, "the overload was never cut"
    print(f"\n[relay] overload cut {first_cut:.2f} s into an ON flood, locked out at {locked}")
    assert first_cut < 2.5  # hold_s 1 plus the meter's time to see the new load
    assert locked is not None
    assert sim.state()["lockout"] is True
    assert sim.outputs()["relay"] == 0
