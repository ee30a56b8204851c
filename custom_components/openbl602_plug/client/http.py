"""HTTP client for the plug's JSON API (/api/v1/...), on a caller-owned aiohttp session."""

from __future__ import annotations

import asyncio
import errno
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import aiohttp

from .exceptions import AuthFailed, BadPayload, CannotConnect, CommandError
from .models import DeviceInfo, OtaProgress, PlugConfig, PlugState
from .payloads import (
    loads_object,
    parse_config,
    parse_error,
    parse_info,
    parse_ota,
    parse_state,
)
from .sse import SseEvent, read_sse

API = "/api/v1"
DEFAULT_TIMEOUT = 10.0
# A 1 MiB image over a weak 2.4 GHz link plus flash erase time; the plug reports its own
# progress, this only bounds a transfer that stopped moving entirely.
UPLOAD_TIMEOUT = 300.0
UPLOAD_CHUNK = 4096
# The plug sends a keep-alive comment after 15 s without events; three missed ones mean the
# stream is dead (a plug that lost power sends no FIN).
SSE_IDLE_TIMEOUT = 45.0

# A plug whose four connection slots are taken answers 503 `busy` before it reads the request
# (protocol §5.1): the request did nothing, so it is sent again. Its Retry-After (2 s) is meant
# for floods; a slot held by another client of the same home frees within milliseconds.
BUSY_RETRY_DELAYS = (0.1, 0.3, 0.8)
BUSY_UNREAD_MESSAGE = "too many connections"

ProgressCallback = Callable[[int, int], None]


class _WriteRefused(CannotConnect):
    """The connection was closed before the request was written: nothing reached the plug."""


def _refused_unread(method: str, err: CommandError) -> bool:
    """A 503 busy that provably did nothing: any GET, or the slot refusal before the request
    was read (a request held too long on the plug may still have been carried out)."""
    if err.status != 503 or err.code != "busy":
        return False
    return method == "GET" or err.message.startswith(BUSY_UNREAD_MESSAGE)


class OblHttpClient:
    """Talks to one plug. The session is injected and never closed here."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        port: int = 80,
        password: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._session = session
        self.host = host
        self.port = port
        self.password = password or None
        self._timeout = timeout

    @property
    def base_url(self) -> str:
        """URL of the plug's web server (also its small status page)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _headers(self) -> dict[str, str]:
        if self.password is None:
            return {}
        return {"Authorization": f"Bearer {self.password}"}

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        url = f"{self.base_url}{API}{path}"
        for delay in BUSY_RETRY_DELAYS:
            try:
                return await self._request_once(method, url, json)
            except CommandError as err:
                if not _refused_unread(method, err):
                    raise
            except _WriteRefused:
                pass
            await asyncio.sleep(delay)
        return await self._request_once(method, url, json)

    async def _request_once(
        self, method: str, url: str, json: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        try:
            async with self._session.request(
                method,
                url,
                json=json,
                headers=self._headers(),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as resp:
                body = await resp.read()
                return _decode_response(resp.status, body)
        except aiohttp.ClientOSError as err:
            if err.errno == errno.EPIPE:
                # The plug closed before our request was even written whole (a busy plug making
                # room): it cannot have acted on it, so it is sent again like a 503 busy.
                raise _WriteRefused(f"{method} {url}: {err!r}") from err
            raise CannotConnect(f"{method} {url}: {err!r}") from err
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            raise CannotConnect(f"{method} {url}: {err!r}") from err

    async def info(self) -> DeviceInfo:
        """Identity and capabilities; needs no password."""
        return parse_info(await self._request("GET", "/info"))

    async def state(self) -> PlugState:
        """Full state."""
        return parse_state(await self._request("GET", "/state"))

    async def set_relay(self, on: bool) -> PlugState:
        """Switch the relay; the plug answers with the state after the switch."""
        return parse_state(await self._request("POST", "/relay", json={"on": on}))

    async def toggle_relay(self) -> PlugState:
        """Toggle the relay; the plug answers with the state after the switch."""
        return parse_state(await self._request("POST", "/relay", json={"toggle": True}))

    async def clear_lockout(self) -> PlugState:
        """Lift a trip lockout (the relay stays off); answers the state after it."""
        return parse_state(await self._request("POST", "/relay", json={"clear_lockout": True}))

    async def config(self) -> dict[str, Any]:
        """The plug's settings document (secrets are never returned by the plug)."""
        return await self._request("GET", "/config")

    async def plug_config(self) -> PlugConfig:
        """The plug's settings, typed."""
        return parse_config(await self.config())

    async def patch_config(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change some settings; the plug answers with the settings now in force."""
        return await self._request("PATCH", "/config", json=changes)

    async def calibrate(
        self,
        *,
        power_w: float | None = None,
        voltage_v: float | None = None,
        current_a: float | None = None,
        reset: bool = False,
    ) -> dict[str, Any]:
        """Calibrate against reference readings taken with a known resistive load.

        Answers the gains now in force; reset=True restores every gain to 1.0.
        """
        if reset:
            return await self._request("POST", "/calibrate", json={"reset": True})
        body = {
            key: value
            for key, value in (
                ("power_w", power_w),
                ("voltage_v", voltage_v),
                ("current_a", current_a),
            )
            if value is not None
        }
        if not body:
            raise ValueError("calibrate needs at least one reference value")
        return await self._request("POST", "/calibrate", json=body)

    async def reset_energy(self) -> None:
        """Zero the lifetime energy counter."""
        await self._request("POST", "/energy/reset", json={"confirm": True})

    async def identify(self, seconds: int | None = None) -> None:
        """Blink the LED (the plug's default is 5 s)."""
        await self._request(
            "POST", "/identify", json={} if seconds is None else {"seconds": seconds}
        )

    async def reboot(self) -> None:
        """Restart the plug."""
        await self._request("POST", "/reboot", json={})

    async def ota_status(self) -> OtaProgress:
        """Progress of the running (or last) update."""
        return parse_ota(await self._request("GET", "/ota"))

    async def upload_ota(
        self, image: bytes, progress: ProgressCallback | None = None
    ) -> OtaProgress | None:
        """Send a firmware image; progress(sent, total) is called as bytes leave."""
        total = len(image)

        async def chunks() -> AsyncIterator[bytes]:
            for offset in range(0, total, UPLOAD_CHUNK):
                chunk = image[offset : offset + UPLOAD_CHUNK]
                yield chunk
                if progress is not None:
                    progress(offset + len(chunk), total)

        headers = self._headers()
        headers["Content-Type"] = "application/octet-stream"
        headers["Content-Length"] = str(total)
        url = f"{self.base_url}{API}/ota"
        try:
            async with self._session.post(
                url,
                data=chunks(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=UPLOAD_TIMEOUT),
            ) as resp:
                obj = _decode_response(resp.status, await resp.read())
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            raise CannotConnect(f"POST {url}: {err!r}") from err
        try:
            return parse_ota(obj)
        except BadPayload:
            return None

    async def events(self, idle_timeout: float = SSE_IDLE_TIMEOUT) -> AsyncIterator[SseEvent]:
        """Server-sent events until the stream ends; raises CannotConnect when it breaks.

        idle_timeout bounds the silence between two received lines (keep-alives included).
        """
        url = f"{self.base_url}{API}/events"
        headers = self._headers()
        headers["Accept"] = "text/event-stream"
        try:
            async with self._session.get(
                url,
                headers=headers,
                timeout=aiohttp.ClientTimeout(
                    total=None, connect=self._timeout, sock_read=idle_timeout
                ),
            ) as resp:
                if resp.status != 200:
                    _decode_response(resp.status, await resp.read())
                    raise BadPayload(f"event stream answered {resp.status}")
                async for event in read_sse(resp.content):
                    yield event
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            raise CannotConnect(f"GET {url}: {err!r}") from err
        except asyncio.IncompleteReadError as err:
            raise CannotConnect(f"GET {url}: stream cut") from err
        raise CannotConnect(f"GET {url}: stream closed by the plug")


def _decode_response(status: int, body: bytes) -> dict[str, Any]:
    """Map a response to its JSON object or the matching exception."""
    if status == 401:
        raise AuthFailed("the plug refused the password")
    if status >= 400:
        try:
            code, message, err_field = parse_error(loads_object(body))
        except BadPayload:
            code, message, err_field = f"http_{status}", body[:200].decode("utf-8", "replace"), None
        raise CommandError(status, code, message, err_field)
    if not body.strip():
        return {}
    return loads_object(body)
