"""Issue #13 items 6 and 8: the setup endpoints and the setup page (docs/protocol.md §9).

Item 8: a Wi-Fi network name is attacker-controlled (anyone nearby can broadcast one); the setup
page must
never put it (or any device data) into innerHTML. The page's own script runs in Node.js against the
real
simulated plug, with a crafted SSID in the plug's scan list.
"""

from __future__ import annotations

import pytest
import pytest_socket

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
        assert "onerror" not in write["html"], write
        assert "img" not in write["html"], write
    options = result["els"]["ssid"]["children"]
    assert CRAFTED in [o["textContent"] for o in options]  # shown as text, exactly
    assert result["els"]["joins"]["textContent"] == f"The plug now joins {CRAFTED}."
    assert sim.get("/api/v1/config").json()["wifi"]["ssid"] == CRAFTED


def test_status_page_writes_no_device_data_into_innerhtml(sims, tmp_path):
    sim = sims("xss-status")
    result = run_page(sim.http_port, sim.get("/").body.decode(), [{"op": "tick"}], tmp_path)
    assert result["innerHTML"] == []
    assert "Relay" in result["els"]["t"]["textContent"]


def _post_via(local: str, port: int, host: str, body: bytes) -> int:
    import http.client

    conn = http.client.HTTPConnection(local, port, timeout=10)
    try:
        conn.request(
            "POST",
            "/api/v1/setup",
            body,
            {"Host": host, "Content-Type": "application/json"},
        )
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.fixture
def second_loopback_address() -> None:
    """Connections to 127.0.0.2 (the Home Assistant test plugin allows only 127.0.0.1)."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", "127.0.0.2"])


def test_setup_answers_only_on_the_access_point_address(
    sim_path, tmp_path, second_loopback_address
):
    """Item 6: a plug listening on every interface serves setup only to connections that reached it
    on
    the access point's address (the simulated AP is 127.0.0.1; 127.0.0.2 stands for the home
    network)."""
    import json

    from .plug import Sim, wait_until

    sim = Sim(sim_path, "setup-iface", tmp_path)
    sim.extra = ("--unconfigured", "--mdns-port", "0", "--http", f"0.0.0.0:{sim.http_port}")
    sim.start()
    try:
        port = sim.http_port
        wait_until(lambda: sim.info()["setup_mode"], 10, "setup mode")
        body = json.dumps(
            {"wifi": {"ssid": "evil-ap", "password": "x" * 8}, "api_password": "owned-1234"}
        ).encode()
        # the right Host, but arriving on another address than the AP's
        assert _post_via("127.0.0.2", port, f"127.0.0.1:{port}", body) == 404
        assert sim.get("/api/v1/config").json()["wifi"]["ssid"] == ""
        assert sim.info()["auth"] is False
        # on the AP's address it works
        assert _post_via("127.0.0.1", port, f"127.0.0.1:{port}", body) == 200
    finally:
        sim.stop()
