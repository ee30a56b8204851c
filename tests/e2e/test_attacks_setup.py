"""Issue #13 items 6 and 8: the setup endpoints and the setup page (docs/protocol.md §9).

Item 8: a Wi-Fi network name is attacker-controlled (anyone nearby can broadcast one); the setup page must
never put it (or any device data) into innerHTML. The page's own script runs in Node.js against the real
simulated plug, with a crafted SSID in the plug's scan list.
"""

from __future__ import annotations

from .pagejs import run_page

CRAFTED = "<img src=x onerror=alert(1)>"


def test_crafted_ssid_never_reaches_innerhtml(sims, tmp_path, monkeypatch):
    monkeypatch.setenv("OBL_SIM_EXTRA_SSID", CRAFTED)
    sim = sims("xss", extra=("--unconfigured",))
    nets = sim.get("/api/v1/setup/networks").json()["networks"]
    assert CRAFTED in [n["ssid"] for n in nets]
    html = sim.get("/").body.decode()
    assert "/api/v1/setup" in html
    result = run_page(
        sim.http_port,
        html,
        [
            {"op": "set", "id": "ssid", "value": CRAFTED},
            {"op": "set", "id": "wpass", "value": "correct horse"},
            {"op": "submit", "id": "f"},
        ],
        tmp_path,
    )
    for write in result["innerHTML"]:
        assert "onerror" not in write["html"] and "img" not in write["html"], write
    options = result["els"]["ssid"]["children"]
    assert CRAFTED in [o["textContent"] for o in options]  # shown as text, exactly
    assert result["els"]["joins"]["textContent"] == f"The plug now joins {CRAFTED}."
    assert sim.get("/api/v1/config").json()["wifi"]["ssid"] == CRAFTED


def test_status_page_writes_no_device_data_into_innerhtml(sims, tmp_path):
    sim = sims("xss-status")
    result = run_page(sim.http_port, sim.get("/").body.decode(), [{"op": "tick"}], tmp_path)
    assert result["innerHTML"] == []
    assert "Relay" in result["els"]["t"]["textContent"]
