"""Errors raised by the device client; every one derives from OblError."""

from __future__ import annotations


class OblError(Exception):
    """Base class of every error this client raises."""


class CannotConnect(OblError):
    """The plug could not be reached, or the connection broke mid-request."""


class AuthFailed(OblError):
    """The plug refused the API password (HTTP 401)."""


class ProtocolMismatch(OblError):
    """The plug speaks a protocol version this client does not support."""

    def __init__(self, version: object) -> None:
        super().__init__(f"unsupported protocol version {version!r}")
        self.version = version


class BadPayload(OblError):
    """A payload from the plug (HTTP body, SSE event, MQTT message) is malformed."""


class CommandError(OblError):
    """The plug understood a request but rejected it (HTTP 4xx/5xx with an error body)."""

    def __init__(self, status: int, code: str, message: str = "", field: str | None = None) -> None:
        detail = f"{code}: {message}" if message else code
        if field:
            detail = f"{detail} (field {field})"
        super().__init__(f"plug rejected the request ({status} {detail})")
        self.status = status
        self.code = code
        self.message = message
        self.field = field


class OtaImageError(OblError):
    """A firmware image is corrupt, truncated or built for another board."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
