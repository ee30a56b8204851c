"""Commands sent over MQTT (protocol §8.3) instead of HTTP: the message, signed when the plug
guards the command (§8.5), and the wait for its `result`, whose refusal becomes the error the
HTTP endpoint would have raised."""

from __future__ import annotations

import asyncio
import copy
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .exceptions import CannotConnect, CommandError
from .models import CommandResult
from .mqtt import command_payload
from .mqtt_auth import COUNTERS, CounterSource, sign

# §8.5: config sections whose change needs the authenticated form over MQTT.
GUARDED_CONFIG = frozenset({"protection", "calibration", "button", "startup"})

# The HTTP status each error code has on the plug's API (§5), so a refusal over MQTT is handled
# like the same refusal over HTTP. not_allowed is MQTT's own (guarded or credential change).
# An unknown code is the plug's fault, not the user's: 500.
_BAD_REQUEST = (
    "bad_request",
    "invalid_json",
    "wrong_type",
    "out_of_range",
    "invalid_value",
    "unknown_field",
    "required",
    "too_long",
    "too_short",
    "read_only",
)
_STATUS = dict.fromkeys(_BAD_REQUEST, 400) | {
    "not_allowed": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "timeout": 408,
    "conflict": 409,
    "locked_out": 409,
    "payload_too_large": 413,
    "busy": 503,
}


def needs_signature(name: str, body: Mapping[str, Any]) -> bool:
    """Whether the plug refuses this command over MQTT unless it is authenticated (§8.5).

    Only these are signed: an accepted signed command costs the plug a flash write (its counter),
    which relay switching must not. `reboot` is signed always: it is guarded in safe mode.
    """
    if name in ("calibrate", "reboot"):
        return True
    return name == "config" and not GUARDED_CONFIG.isdisjoint(body)


def command_message(
    topic: str,
    name: str,
    body: Mapping[str, Any],
    req: str,
    password: str | None,
    counters: CounterSource = COUNTERS,
) -> bytes:
    """The payload for `topic` (openbl602/<id>/cmd/<name>): plain JSON, or the §8.5 form when
    the command is guarded and there is a password to sign with."""
    text = command_payload(body, req)
    if password and needs_signature(name, body):
        return sign(password, topic, counters.next(), text)
    return text.encode()


def result_error(result: CommandResult) -> CommandError:
    """The CommandError a refused command raises, as over HTTP."""
    code = result.error_code or "bad_request"
    return CommandError(
        _STATUS.get(code, 500),
        code,
        result.error_message or "",
        result.error_field,
    )


def merged(document: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A settings document with a partial change applied (objects merge, values replace), as
    the plug applies a PATCH: what is in force after a config command it accepted."""
    out = copy.deepcopy(dict(document))
    for key, value in changes.items():
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            out[key] = merged(current, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class PendingCommands:
    """Commands sent over MQTT and waiting for their result, by request id (§8.3 `req`)."""

    def __init__(self) -> None:
        """Nothing waits yet."""
        self._waiting: dict[str, asyncio.Future[CommandResult]] = {}

    @staticmethod
    def new_req() -> str:
        """A request id nobody else's command carries (≤ 32 characters, §8.3)."""
        return f"ha-{secrets.token_hex(8)}"

    def resolve(self, result: CommandResult) -> bool:
        """Hand a result to the command that waits for it; False when none does."""
        future = self._waiting.pop(result.req or "", None)
        if future is None or future.done():
            return False
        future.set_result(result)
        return True

    async def send(self, publish: Callable[[str], Awaitable[None]], within: float) -> None:
        """publish(req) sends the command carrying a fresh request id; returns once the plug
        answered ok, raises its refusal, or CannotConnect when no result came within `within` s."""
        req = self.new_req()
        future: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        self._waiting[req] = future  # before publishing: the result may come at once
        try:
            async with asyncio.timeout(within):
                await publish(req)
                result = await future
        except TimeoutError as err:
            raise CannotConnect(f"no MQTT result for request {req} within {within:g} s") from err
        finally:
            self._waiting.pop(req, None)
        if not result.ok:
            raise result_error(result)
