"""The authenticated MQTT command form (docs/protocol.md §8.5): the attack suites sign with the
integration's own signer, so the plug is tested against the one implementation clients use."""

from __future__ import annotations

from custom_components.openbl602_plug.client.mqtt_auth import sign


def envelope(password: str, topic: str, counter: int, body: str) -> bytes:
    """obl-hmac1 <counter> <hex HMAC-SHA256(password, topic \\n counter \\n body)> \\n body"""
    return sign(password, topic, counter, body)
