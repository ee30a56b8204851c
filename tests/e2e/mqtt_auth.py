"""The authenticated MQTT command form (docs/protocol.md §8.5), built the way a client must build
it."""

from __future__ import annotations

import hashlib
import hmac


def envelope(password: str, topic: str, counter: int, body: str) -> bytes:
    """obl-hmac1 <counter> <hex HMAC-SHA256(password, topic \\n counter \\n body)> \\n body"""
    mac = hmac.new(
        password.encode(), f"{topic}\n{counter}\n".encode() + body.encode(), hashlib.sha256
    ).hexdigest()
    return f"obl-hmac1 {counter} {mac}\n".encode() + body.encode()
