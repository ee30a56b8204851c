"""HTTP client error mapping, SSE framing and OTA upload over real sockets to the fake plug."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from custom_components.openbl602_plug.client import (
    AuthFailed,
    BadPayload,
    CannotConnect,
    CommandError,
    OblHttpClient,
    OtaState,
)
from custom_components.openbl602_plug.client.sse import read_sse

from ..conftest import free_port
from ..fakeplug import FakePlug
from ..images import obli


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_info_state_relay_config_round_trip(
    fake_plug: FakePlug, session: aiohttp.ClientSession
) -> None:
    client = OblHttpClient(session, fake_plug.host, fake_plug.port)
    assert client.base_url == f"http://127.0.0.1:{fake_plug.port}"
    assert (await client.info()).device_id == "kettle"
    assert (await client.state()).relay is True
    assert (await client.set_relay(False)).relay is False
    assert (await client.toggle_relay()).relay is True
    assert (await client.config())["startup"] == "restore"
    assert (await client.patch_config({"startup": "on"}))["startup"] == "on"
    assert fake_plug.requests[-1] == ("PATCH", "/api/v1/config", {"startup": "on"})
    await client.identify(3)
    await client.identify()
    await client.reboot()
    await client.reset_energy()
    assert fake_plug.requests[-1] == ("POST", "/api/v1/energy/reset", {"confirm": True})
    assert (await client.calibrate(power_w=60.0))["power_gain"] == 1.01
    await client.calibrate(reset=True)
    with pytest.raises(ValueError, match="at least one"):
        await client.calibrate()
    assert (await client.ota_status()).state is OtaState.IDLE


async def test_plug_errors_map_to_typed_exceptions(
    fake_plug: FakePlug, session: aiohttp.ClientSession
) -> None:
    client = OblHttpClient(session, fake_plug.host, fake_plug.port)
    with pytest.raises(CommandError) as err:
        await client.patch_config({"protection": {"max_power_w": 5}})
    assert (err.value.status, err.value.code, err.value.field) == (
        400,
        "out_of_range",
        "protection.max_power_w",
    )
    assert "protection.max_power_w" in str(err.value)
    fake_plug.calibrate_error = (409, "conflict", "power_w")
    with pytest.raises(CommandError, match="conflict"):
        await client.calibrate(power_w=60)


async def test_password_is_sent_and_wrong_password_is_auth_failed(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    plug = FakePlug(password="s3cret-pass")
    await plug.start()
    try:
        assert (await OblHttpClient(session, plug.host, plug.port).info()).auth_required
        with pytest.raises(AuthFailed):
            await OblHttpClient(session, plug.host, plug.port).state()
        with pytest.raises(AuthFailed):
            await OblHttpClient(session, plug.host, plug.port, "wrong").state()
        client = OblHttpClient(session, plug.host, plug.port, "s3cret-pass")
        assert (await client.state()).energy_wh == 12873
    finally:
        await plug.stop()


async def test_unreachable_plug_is_cannot_connect(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    client = OblHttpClient(session, "127.0.0.1", free_port(), timeout=2)
    with pytest.raises(CannotConnect):
        await client.info()
    with pytest.raises(CannotConnect):
        await client.upload_ota(b"x")
    with pytest.raises(CannotConnect):
        async for _event in client.events():
            pass


async def _serve(handler: web.RequestHandler) -> tuple[web.AppRunner, int]:  # type: ignore[type-arg]
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


async def test_non_json_answers_are_bad_payload(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    async def handler(request: web.Request) -> web.Response:
        if request.path.endswith("/state"):
            return web.Response(text="<html>")
        if request.path.endswith("/info"):
            return web.Response(status=500, text="boom")
        if request.path.endswith("/events"):
            return web.Response(status=202, text="{}")
        return web.Response(text="")

    runner, port = await _serve(handler)
    try:
        client = OblHttpClient(session, "127.0.0.1", port)
        with pytest.raises(BadPayload):
            await client.state()
        with pytest.raises(CommandError) as err:
            await client.info()
        assert err.value.code == "http_500"
        assert await client.config() == {}
        with pytest.raises(BadPayload):
            async for _event in client.events():
                pass
    finally:
        await runner.cleanup()


async def test_sse_stream_delivers_state_events_and_ends_with_cannot_connect(
    fake_plug: FakePlug, session: aiohttp.ClientSession
) -> None:
    client = OblHttpClient(session, fake_plug.host, fake_plug.port)
    seen: list[str] = []

    async def consume() -> None:
        async for event in client.events():
            seen.append(event.event)
            if len(seen) == 1:
                fake_plug.push("button", {"action": "single"})
            else:
                fake_plug.drop_streams()

    with pytest.raises(CannotConnect, match="closed"):
        await consume()
    assert seen == ["state", "button"]


async def test_sse_idle_stream_times_out(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await asyncio.sleep(5)
        return resp

    runner, port = await _serve(handler)
    try:
        client = OblHttpClient(session, "127.0.0.1", port)
        with pytest.raises(CannotConnect):
            async for _event in client.events(idle_timeout=0.3):
                pass
    finally:
        await runner.cleanup()


class _Lines:
    def __init__(self, text: bytes) -> None:
        self._lines = text.splitlines(keepends=True)

    async def readline(self) -> bytes:
        return self._lines.pop(0) if self._lines else b""


async def test_sse_framing_rules() -> None:
    raw = (
        b": keepalive\n\n"
        b'event: state\r\ndata: {"a":1}\r\n\r\n'
        b"data: line1\ndata:line2\nid: 7\nretry: 5\n\n"
        b"event: empty\n\n"
        b"data: unterminated"
    )
    events = [e async for e in read_sse(_Lines(raw))]
    assert [(e.event, e.data) for e in events] == [
        ("state", '{"a":1}'),
        ("message", "line1\nline2"),
    ]
    assert events[1].id == "7"
    with pytest.raises(BadPayload, match="too long"):
        async for _e in read_sse(_Lines(b"data: " + b"x" * 20000 + b"\n")):
            pass


async def test_ota_upload_sends_content_length_and_reports_progress(
    fake_plug: FakePlug, session: aiohttp.ClientSession
) -> None:
    image = obli(payload=b"\x01" * 10000)
    client = OblHttpClient(session, fake_plug.host, fake_plug.port)
    sent: list[tuple[int, int]] = []
    status = await client.upload_ota(image, lambda done, total: sent.append((done, total)))
    assert fake_plug.ota_images == [image]
    assert status is not None
    assert status.state is OtaState.REBOOTING
    assert sent[-1] == (len(image), len(image))
    assert [done for done, _ in sent] == sorted(done for done, _ in sent)
    assert len(sent) == -(-len(image) // 4096)


async def test_bodies_carry_their_content_type_and_no_origin(
    fake_plug: FakePlug, session: aiohttp.ClientSession
) -> None:
    """The firmware requires Content-Type on bodies and checks Origin (CSRF, issue 13)."""
    client = OblHttpClient(session, fake_plug.host, fake_plug.port)
    await client.set_relay(True)
    await client.toggle_relay()
    await client.patch_config({"led": "off"})
    await client.calibrate(power_w=60)
    await client.calibrate(reset=True)
    await client.identify()
    await client.identify(3)
    await client.reboot()
    await client.reset_energy()
    await client.upload_ota(obli(board="sm-028-v1.3", version="0.2.0"))
    await client.info()
    await client.state()
    await client.config()
    await client.ota_status()
    seen = {(m, p): (ctype, origin) for m, p, ctype, origin in fake_plug.headers}
    for (method, path), (ctype, origin) in seen.items():
        assert origin is None, (method, path)
        if path == "/api/v1/ota" and method == "POST":
            assert ctype == "application/octet-stream"
        elif method in ("POST", "PATCH"):
            assert ctype is not None, (method, path)
            assert ctype.split(";")[0] == "application/json", (method, path)
    assert len({p for m, p in seen if m in ("POST", "PATCH")}) == 7


# The firmware's own 503 bodies (firmware/core/http/http_server.c): the slot refusal comes before
# the request is read, the held-too-long answer after the plug may have acted on it.
BUSY_UNREAD = b'{"error":{"code":"busy","message":"too many connections, retry in a moment"}}'
BUSY_HELD = b'{"error":{"code":"busy","message":"request held too long, retry"}}'


async def _busy_then_ok(busy_body: bytes, busy_count: int) -> tuple[web.AppRunner, int, list[str]]:
    seen: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request.method)
        if len(seen) <= busy_count:
            return web.Response(
                status=503,
                body=busy_body,
                content_type="application/json",
                headers={"Retry-After": "2"},
            )
        return web.json_response({"startup": "on"})

    app = web.Application()
    app.router.add_route("*", "/api/v1/config", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port, seen


@pytest.mark.parametrize("method", ["GET", "PATCH"])
async def test_a_busy_refusal_before_the_request_was_read_is_sent_again(
    socket_enabled: None, session: aiohttp.ClientSession, method: str
) -> None:
    runner, port, seen = await _busy_then_ok(BUSY_UNREAD, 3)
    try:
        client = OblHttpClient(session, "127.0.0.1", port)
        if method == "GET":
            assert (await client.config())["startup"] == "on"
        else:
            assert (await client.patch_config({"startup": "on"}))["startup"] == "on"
        assert seen == [method] * 4
    finally:
        await runner.cleanup()


async def test_busy_without_end_and_a_held_command_are_not_retried_forever(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    runner, port, seen = await _busy_then_ok(BUSY_UNREAD, 10)
    try:
        with pytest.raises(CommandError, match="busy"):
            await OblHttpClient(session, "127.0.0.1", port).config()
        assert len(seen) == 4
    finally:
        await runner.cleanup()
    runner, port, seen = await _busy_then_ok(BUSY_HELD, 1)
    try:
        with pytest.raises(CommandError, match="held too long"):
            await OblHttpClient(session, "127.0.0.1", port).patch_config({"startup": "on"})
        assert seen == ["PATCH"]  # the plug may have applied it: never sent twice
    finally:
        await runner.cleanup()
