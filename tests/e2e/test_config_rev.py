"""Issue #14 item 5, the plug's side: a config change, whatever its source, is announced at once by
`config_rev` in the state document (docs/protocol.md §3), pushed over SSE and MQTT like a relay
change (not held back by the report policy)."""

from __future__ import annotations

import json
import time

from .plug import Recorder, wait_until
from .test_sse import EventStream


def test_a_config_change_pushes_the_new_config_rev_over_sse_and_mqtt(sims, broker):
    sim = sims("rev", mqtt_port=broker.port)
    topic = f"openbl602/{sim.id}"
    assert sim.state()["config_rev"] == 0
    with Recorder(broker.port, [f"{topic}/state"]) as rec:
        rec.wait(f"{topic}/state")
        stream = EventStream(sim.http_port)
        stream.read_head()
        assert stream.next_event("state")["config_rev"] == 0  # type: ignore[index]
        time.sleep(0.3)
        rec.clear()
        t0 = time.monotonic()
        r = sim.patch("/api/v1/config", {"name": "Kitchen kettle"})
        assert r.status == 200
        pushed = stream.next_event("state", 1.0)
        assert pushed["config_rev"] == 1  # type: ignore[index]
        msg = rec.wait(f"{topic}/state", lambda m: m.json()["config_rev"] == 1, timeout=1.0)
        assert msg.t - t0 < 1.0

        # an MQTT config command counts the same, and so does the next HTTP change
        rec.publish(f"{topic}/cmd/config", json.dumps({"led": "off"}))
        assert stream.next_event("state", 1.5)["config_rev"] == 2  # type: ignore[index]
        rec.wait(f"{topic}/state", lambda m: m.json()["config_rev"] == 2, timeout=1.5)
        # a refused change and one that changes nothing are not announced
        assert sim.patch("/api/v1/config", {"led": "disco"}).status == 400
        assert sim.patch("/api/v1/config", {"led": "off"}).status == 200
        assert sim.state()["config_rev"] == 2
        stream.close()


def test_config_rev_starts_over_at_zero_after_a_reboot(sims):
    sim = sims("rev0")
    assert sim.patch("/api/v1/config", {"name": "Lamp"}).status == 200
    assert sim.state()["config_rev"] == 1
    assert sim.post("/api/v1/reboot", {}).status == 200
    time.sleep(1.5)
    wait_until(lambda: _up(sim), 15, "plug back")
    assert sim.state()["config_rev"] == 0  # differs from what a client saw: it re-reads the config
    assert sim.info()["name"] == "Lamp"


def _up(sim) -> bool:
    try:
        return sim.state()["uptime_s"] < 30
    except OSError:
        return False
