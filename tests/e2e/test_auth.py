"""docs/protocol.md §7: with an API password every write, config/state read, OTA and SSE need it."""

from __future__ import annotations

from .plug import basic

PASSWORD = "s3cret-pass"


def lock(sim):
    r = sim.patch("/api/v1/config", {"api_password": PASSWORD})
    assert r.status == 200
    assert r.json()["api_password_set"] is True
    sim.password = None  # requests now go out without credentials unless a test adds them


def test_open_without_password_locked_with_one(sims):
    sim = sims("auth")
    assert sim.get("/api/v1/state").status == 200
    lock(sim)
    info = sim.get("/api/v1/info")
    assert info.status == 200  # never needs auth
    assert info.json()["auth"] is True
    assert sim.get("/").status == 200
    for method, path, body in [
        ("GET", "/api/v1/state", None),
        ("GET", "/api/v1/config", None),
        ("GET", "/api/v1/ota", None),
        ("GET", "/api/v1/events", None),
        ("POST", "/api/v1/relay", {"on": True}),
        ("PATCH", "/api/v1/config", {"name": "x"}),
        ("POST", "/api/v1/calibrate", {"reset": True}),
        ("POST", "/api/v1/energy/reset", {"confirm": True}),
        ("POST", "/api/v1/identify", {}),
        ("POST", "/api/v1/reboot", {}),
        ("POST", "/api/v1/ota", b"\x00" * 64),
    ]:
        r = sim.request(method, path, body=body)
        assert r.status == 401, (method, path)
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.headers["www-authenticate"] == 'Basic realm="openbl602"'
    assert sim.outputs()["relay"] == 0  # the refused relay command changed nothing
    assert sim.info()["name"] == "openbl602-auth"


def test_wrong_password_never_changes_state(sims):
    sim = sims("authwrong")
    lock(sim)
    for auth in [
        "Bearer wrong-pass",
        basic("wrong-pass"),
        basic(PASSWORD, user="root"),
        "Basic !!",
    ]:
        r = sim.post("/api/v1/relay", {"on": True}, headers={"Authorization": auth})
        assert r.status == 401, auth
    assert sim.outputs()["relay"] == 0


def test_basic_and_bearer_both_work(sims):
    sim = sims("authok")
    lock(sim)
    r = sim.post("/api/v1/relay", {"on": True}, headers={"Authorization": basic(PASSWORD)})
    assert r.status == 200
    assert r.json()["relay"] is True
    r = sim.get("/api/v1/config", headers={"Authorization": f"Bearer {PASSWORD}"})
    assert r.status == 200
    assert "api_password" not in r.json()  # write-only
    assert PASSWORD.encode() not in r.body
    # removing the password opens the API again
    sim.password = PASSWORD
    assert sim.patch("/api/v1/config", {"api_password": ""}).status == 200
    sim.password = None
    assert sim.get("/api/v1/state").status == 200


def test_password_survives_restart(sims):
    sim = sims("authpersist")
    lock(sim)
    sim.restart()
    assert sim.get("/api/v1/state").status == 401
    assert sim.get("/api/v1/state", auth=PASSWORD).status == 200


def test_guessing_is_held_back_but_the_password_still_works(sims):
    """§7: after 5 wrong passwords a source's next checks wait for its budget; never a refusal."""
    sim = sims("authlock")
    lock(sim)
    for _ in range(6):
        assert sim.get("/api/v1/state", auth="guess-1234").status == 401
    assert sim.get("/api/v1/state", auth=PASSWORD).status == 200
    assert sim.get("/api/v1/info").status == 200
