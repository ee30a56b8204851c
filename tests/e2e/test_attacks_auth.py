"""Issue #13 item 2: the password check cannot be turned against the owner (docs/protocol.md §7).

The owner (Home Assistant) talks from 127.0.0.1; strangers from other loopback addresses (127.0.0.2,
...),
which Linux routes to the simulated plug like any LAN host.
"""

from __future__ import annotations

import http.client
import threading
import time

from .pagejs import run_page
from .plug import Response, basic

PASSWORD = "s3cret-pass"


def lock(sim):
    assert sim.patch("/api/v1/config", {"api_password": PASSWORD}).status == 200
    sim.password = None


def get_from(
    source: str, port: int, path: str, auth: str | None = None, extra: dict[str, str] | None = None
) -> Response:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        h = dict(extra or {})
        if auth:
            h["Authorization"] = auth
        conn.request("GET", path, headers=h)
        r = conn.getresponse()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


def test_requests_without_credentials_are_not_failed_attempts(sims):
    """The status page left open without the password polls every 5 s: no 401 for the owner."""
    sim = sims("auth-page")
    lock(sim)
    owner = []
    for _ in range(40):
        assert get_from("127.0.0.1", sim.http_port, "/api/v1/state").status == 401
        owner.append(
            get_from("127.0.0.1", sim.http_port, "/api/v1/state", f"Bearer {PASSWORD}").status
        )
    assert owner == [200] * 40


def test_a_guesser_never_locks_the_owner_out(sims):
    sim = sims("auth-guess")
    lock(sim)
    stop = threading.Event()
    guesses: list[int] = []

    def guess() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            r = get_from("127.0.0.2", sim.http_port, "/api/v1/state", f"Bearer guess-{n:06d}")
            guesses.append(r.status)

    t = threading.Thread(target=guess)
    t.start()
    try:
        owner = []
        for _ in range(30):
            owner.append(
                get_from("127.0.0.1", sim.http_port, "/api/v1/state", basic(PASSWORD)).status
            )
            time.sleep(0.1)
    finally:
        stop.set()
        t.join(30)
    assert owner == [200] * 30
    assert guesses
    assert set(guesses) == {401}


def test_guessing_is_slowed_but_the_right_password_still_gets_in(sims):
    sim = sims("auth-slow")
    lock(sim)
    port = sim.http_port
    t0 = time.monotonic()
    for n in range(5):  # the budget: answered at once
        assert get_from("127.0.0.3", port, "/api/v1/state", f"Bearer wrong-{n}").status == 401
    quick = time.monotonic() - t0
    t1 = time.monotonic()
    for n in range(3):  # then one check per 3 s for this source
        assert get_from("127.0.0.3", port, "/api/v1/state", f"Bearer wrong-x{n}").status == 401
    slowed = time.monotonic() - t1
    assert slowed >= 2 * 3.0 - 0.5 > quick, (quick, slowed)
    # the same source with the right password: held at most one refill period, never refused
    r = get_from("127.0.0.3", port, "/api/v1/state", f"Bearer {PASSWORD}")
    assert r.status == 200
    # and another source was never slowed at all
    assert get_from("127.0.0.4", port, "/api/v1/state", "Bearer wrong").status == 401


def test_the_status_page_asks_for_the_password_itself(sims, tmp_path):
    sim = sims("auth-pagejs")
    lock(sim)
    html = sim.get("/").body.decode()
    result = run_page(
        sim.http_port,
        html,
        [
            {"op": "tick"},  # a poll after the 401 must not happen: the timer is gone
            {"op": "set", "id": "p", "value": PASSWORD},
            {"op": "submit", "id": "pw"},
        ],
        tmp_path,
    )
    first_401 = next(f for f in result["fetches"] if f["status"] == 401)
    # no Basic challenge: the browser's own login dialog never covers the page's form
    assert not (first_401["challenge"] or "").lower().startswith("basic")
    state_fetches = [f for f in result["fetches"] if f["url"] == "/api/v1/state"]
    assert [f["status"] for f in state_fetches] == [
        401,
        200,
    ]  # stopped polling until the password came
    assert result["cleared"], "the page kept polling after a 401"
    assert result["els"]["pw"]["hidden"] is True
    assert "Relay" in result["els"]["t"]["textContent"]
    assert result["active_timers"] == 1  # polling again, once


def test_browsers_and_tools_still_get_the_basic_challenge(sims):
    sim = sims("auth-basic")
    lock(sim)
    r = get_from("127.0.0.1", sim.http_port, "/api/v1/state")
    assert r.status == 401
    assert r.headers["www-authenticate"] == 'Basic realm="openbl602"'
    assert "admin" in r.json()["error"]["message"]  # the user name, where a tool user sees it
