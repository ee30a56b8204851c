"""Issue #13: every MQTT command gets exactly one result, however many arrive at once
(docs/protocol.md §8.3). A burst used to lose every result past about four: each command's state
report and result waited in the 8-message QoS 1 store for the broker's acknowledgements, which were
read only after the whole burst had been handled."""

from __future__ import annotations

import json
import time

from .plug import Recorder, wait_until

BURST = 20


def _burst(rec: Recorder, topic: str, bodies: list[bytes]) -> None:
    assert rec.client is not None
    infos = [rec.client.publish(f"{topic}/cmd/relay", b, qos=1) for b in bodies]
    for info in infos:
        info.wait_for_publish(5)


def test_a_burst_of_qos1_commands_gets_one_result_each(sims, broker):
    sim = sims("burst", mqtt_port=broker.port)
    topic = f"openbl602/{sim.id}"
    with Recorder(broker.port, [f"{topic}/result", f"{topic}/state"]) as rec:
        rec.wait(f"{topic}/state")
        rec.clear()
        reqs = [f"b{i}" for i in range(BURST)]
        _burst(rec, topic, [json.dumps({"toggle": True, "req": r}).encode() for r in reqs])

        def all_results() -> bool:
            return len(rec.on(f"{topic}/result")) >= BURST

        wait_until(all_results, 10, f"{BURST} results")
        time.sleep(0.5)  # nothing more, nothing twice
        results = [m.json() for m in rec.on(f"{topic}/result")]
        assert sorted(r["req"] for r in results) == sorted(reqs)
        assert all(r["ok"] for r in results), results
        # the retained state ends at the relay's real state
        wait_until(
            lambda: rec.on(f"{topic}/state")[-1].json()["relay"] == bool(sim.outputs()["relay"]),
            5,
            "last state matches the relay",
        )


def test_a_long_burst_of_mixed_commands_is_never_silent(sims, broker):
    """100 commands of every kind at once: each gets one result (ok or an error), never none."""
    sim = sims("burst2", mqtt_port=broker.port)
    topic = f"openbl602/{sim.id}"
    n = 100
    with Recorder(broker.port, [f"{topic}/result", f"{topic}/info"]) as rec:
        rec.wait(f"{topic}/info")
        rec.clear()
        assert rec.client is not None
        infos = []
        for i in range(n):
            name, body = [
                ("relay", {"toggle": True}),
                ("identify", {"seconds": 1}),
                ("config", {"name": f"burst {i}"}),
                ("relay", {"on": "bad"}),
            ][i % 4]
            body = dict(body, req=f"m{i}")
            infos.append(rec.client.publish(f"{topic}/cmd/{name}", json.dumps(body), qos=1))
        for info in infos:
            info.wait_for_publish(5)
        wait_until(lambda: len(rec.on(f"{topic}/result")) >= n, 20, f"{n} results")
        time.sleep(0.5)
        got = sorted(m.json()["req"] for m in rec.on(f"{topic}/result"))
        assert got == sorted(f"m{i}" for i in range(n))
        assert sim.info()["name"] == f"burst {n - 2}"
