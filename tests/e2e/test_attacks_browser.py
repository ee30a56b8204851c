"""Issue #13 item 1: a web page the owner visits cannot drive the plug (docs/protocol.md §7).

A page can make the browser send "simple" cross-site requests (a form or fetch POST with text/plain,
urlencoded or multipart bodies, no preflight) and, by rebinding its own DNS name to the plug, read
the
answers as same-origin. Each attack is replayed here byte for byte as the browser would send it.
"""

from __future__ import annotations

import http.client
import json

from .plug import Response

EVIL = "evil.example"


def send(
    port: int,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    host: str | None = None,
) -> Response:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body or method in ("POST", "PATCH"):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        r = conn.getresponse()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


def error_code(r: Response) -> str:
    return str(r.json()["error"]["code"])


def test_text_plain_and_form_posts_cannot_switch_the_relay(sims):
    sim = sims("xsrf-relay")
    for ctype, body in [
        ("text/plain", b'{"on": true}'),
        ("text/plain;charset=UTF-8", b'{"on": true}'),
        ("application/x-www-form-urlencoded", b'{"on": true}'),
        ("multipart/form-data; boundary=x", b'--x\r\n\r\n{"on": true}\r\n--x--\r\n'),
    ]:
        r = send(sim.http_port, "POST", "/api/v1/relay", body, {"Content-Type": ctype})
        assert r.status == 415, (ctype, r)
        assert error_code(r) == "unsupported_media_type"
    # an HTML form with enctype=text/plain, cross-site: Origin and a foreign page
    r = send(
        sim.http_port,
        "POST",
        "/api/v1/relay",
        b'{"on": true, "x": "="}',
        {"Content-Type": "text/plain", "Origin": f"http://{EVIL}"},
    )
    assert r.status in (403, 415)
    # a bodiless no-cors fetch carries no Content-Type at all: reboot and identify stay closed
    for path in ("/api/v1/reboot", "/api/v1/identify", "/api/v1/relay"):
        r = send(sim.http_port, "POST", path)
        assert r.status == 415, path
    assert sim.outputs()["relay"] == 0
    assert sim.state()["uptime_s"] >= 0  # still up: not rebooted


def test_foreign_origin_is_refused_even_with_json(sims):
    sim = sims("xsrf-origin")
    for origin in [
        f"http://{EVIL}",
        "null",
        f"http://127.0.0.1:{sim.http_port + 1}",
        "https://127.0.0.1",
    ]:
        r = send(
            sim.http_port,
            "POST",
            "/api/v1/relay",
            b'{"on": true}',
            {"Content-Type": "application/json", "Origin": origin},
        )
        assert r.status == 403, origin
        assert error_code(r) == "forbidden_origin"
    assert sim.outputs()["relay"] == 0
    # the plug's own page (same origin) keeps working
    r = send(
        sim.http_port,
        "POST",
        "/api/v1/relay",
        b'{"on": true}',
        {"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{sim.http_port}"},
    )
    assert r.status == 200
    assert sim.outputs()["relay"] == 1


def test_dns_rebinding_reads_and_writes_nothing(sims, broker):
    """After rebinding, the page's requests carry its own name in Host."""
    sim = sims("rebind", mqtt_port=broker.port)
    host = f"{EVIL}:{sim.http_port}"
    for method, path, body in [
        ("GET", "/api/v1/config", b""),
        ("GET", "/api/v1/state", b""),
        ("GET", "/api/v1/info", b""),
        ("GET", "/", b""),
        ("PATCH", "/api/v1/config", json.dumps({"api_password": "owner-locked-out"}).encode()),
        ("PATCH", "/api/v1/config", json.dumps({"mqtt": {"host": "10.6.6.6"}}).encode()),
    ]:
        r = send(sim.http_port, method, path, body, {"Content-Type": "application/json"}, host=host)
        assert r.status == 421, (method, path, r)
        assert error_code(r) == "wrong_host"
        assert b"mqtt" not in r.body
    assert sim.info()["auth"] is False  # no password was set
    assert sim.get("/api/v1/config").json()["mqtt"]["host"] == "127.0.0.1"


def test_web_page_cannot_upload_firmware(sims):
    sim = sims("xsrf-ota")
    image = b"OBLI" + b"\x00" * 4000
    for headers in [
        {"Content-Type": "text/plain"},
        {"Content-Type": "text/plain", "Origin": f"http://{EVIL}"},
        {},
    ]:
        r = send(sim.http_port, "POST", "/api/v1/ota", image, headers)
        assert r.status in (403, 415), (headers, r)
    ota = sim.get("/api/v1/ota").json()
    assert ota["state"] == "idle"
    assert ota["bytes"] == 0


def test_names_the_plug_answers_to(sims):
    sim = sims("names")
    port = sim.http_port
    for host in [
        f"127.0.0.1:{port}",
        f"localhost:{port}",
        f"openbl602-names.local:{port}",
        f"OpenBL602-Names.local.:{port}",
        f"openbl602-names:{port}",
    ]:
        assert send(port, "GET", "/api/v1/state", host=host).status == 200, host
    for host in [
        "127.0.0.1",  # the port is part of the address (80 only when omitted)
        f"127.0.0.1:{port}0",
        f"openbl602-other.local:{port}",
        f"openbl602-names.local.{EVIL}:{port}",
        f"127.0.0.1:{port}@{EVIL}",
        "",
    ]:
        assert send(port, "GET", "/api/v1/state", host=host).status == 421, host
    # two Host headers: refused whatever they say
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", "/api/v1/state", skip_host=True)
        conn.putheader("Host", f"127.0.0.1:{port}")
        conn.putheader("Host", f"{EVIL}:{port}")
        conn.endheaders()
        assert conn.getresponse().status == 421
    finally:
        conn.close()


def test_json_with_charset_and_octet_stream_are_accepted(sims):
    sim = sims("ctype-ok")
    r = send(
        sim.http_port,
        "POST",
        "/api/v1/relay",
        b'{"on": true}',
        {"Content-Type": "Application/JSON; charset=utf-8"},
    )
    assert r.status == 200
    r = send(
        sim.http_port,
        "POST",
        "/api/v1/ota",
        b"\x00" * 100,
        {"Content-Type": "application/octet-stream"},
    )
    assert r.status == 400  # reached the OTA manager, which refuses the garbage image
    assert "bad_magic" in r.json()["error"]["message"]
