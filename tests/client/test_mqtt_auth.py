"""The signer of authenticated MQTT commands (protocol §8.5) and its counter source."""

from __future__ import annotations

import itertools

import pytest

from custom_components.openbl602_plug.client.mqtt_auth import (
    COUNTER_MAX,
    CounterSource,
    mac_hex,
    sign,
)
from tests.e2e import mqtt_auth as e2e_signer

# Known answers computed with `openssl dgst -sha256 -hmac <password>` over the §8.5 message.
EXAMPLE_TOPIC = "openbl602/a1b2c3/cmd/config"
EXAMPLE_BODY = '{"protection":{"max_power_w":1500}}'
EXAMPLE_MAC = "1c572aaf4cb1cd3f1185d3fc7abf1ec7bef113777942c612dbc2c37ff5497bc4"


def test_protocol_example_signs_to_the_known_mac() -> None:
    payload = sign("s3cret-pass", EXAMPLE_TOPIC, 1765000000000, EXAMPLE_BODY)
    assert payload == f"obl-hmac1 1765000000000 {EXAMPLE_MAC}\n{EXAMPLE_BODY}".encode()


def test_password_is_utf8_and_an_empty_body_is_signed_as_empty() -> None:
    expected = "64cc1aac413af7796cad88d76da22469ec0f7fdf69eb89c136e023f0f5607f2d"
    assert mac_hex("pässwort", "openbl602/a1b2c3/cmd/relay", 1, b"") == expected
    assert sign("pässwort", "openbl602/a1b2c3/cmd/relay", 1, "") == (
        f"obl-hmac1 1 {expected}\n".encode()
    )


def test_topic_counter_and_body_each_change_the_mac() -> None:
    base = mac_hex("s3cret-pass", EXAMPLE_TOPIC, 1765000000000, EXAMPLE_BODY.encode())
    assert base == EXAMPLE_MAC
    assert mac_hex("s3cret-pass", "openbl602/other/cmd/config", 1765000000000, b"x") != base
    assert mac_hex("s3cret-pass", EXAMPLE_TOPIC, 1765000000001, EXAMPLE_BODY.encode()) != base
    spaced = EXAMPLE_BODY.encode() + b" "
    assert mac_hex("s3cret-pass", EXAMPLE_TOPIC, 1765000000000, spaced) != base
    assert mac_hex("s3cret-pasS", EXAMPLE_TOPIC, 1765000000000, EXAMPLE_BODY.encode()) != base


@pytest.mark.parametrize("counter", [0, -1, COUNTER_MAX + 1])
def test_counter_outside_the_protocol_range_is_refused(counter: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        sign("s3cret-pass", EXAMPLE_TOPIC, counter, EXAMPLE_BODY)


def test_no_password_cannot_sign() -> None:
    with pytest.raises(ValueError, match="API password"):
        sign("", EXAMPLE_TOPIC, 1, EXAMPLE_BODY)


def test_counter_follows_the_clock_and_never_repeats_or_goes_back() -> None:
    now = [1765000000000]
    source = CounterSource(lambda: now[0])
    assert source.next() == 1765000000000
    assert source.next() == 1765000000001  # same millisecond
    now[0] = 1764999999000  # clock stepped back
    assert source.next() == 1765000000002
    now[0] = 1765000005000
    assert source.next() == 1765000005000


def test_counter_source_on_the_real_clock_is_unix_ms_and_strictly_increasing() -> None:
    source = CounterSource()
    counters = [source.next() for _ in range(1000)]
    assert all(b > a for a, b in itertools.pairwise(counters))
    assert 1_700_000_000_000 < counters[0] < COUNTER_MAX


def test_counter_source_refuses_to_leave_the_range() -> None:
    source = CounterSource(lambda: COUNTER_MAX + 1)
    with pytest.raises(OverflowError):
        source.next()


@pytest.mark.parametrize(
    ("password", "topic", "counter", "body"),
    [
        ("s3cret-pass", EXAMPLE_TOPIC, 1765000000000, EXAMPLE_BODY),
        ("pässwort", "openbl602/a1b2c3/cmd/reboot", 1, ""),
        ("x" * 64, "openbl602/zz/cmd/relay", COUNTER_MAX, '{"on": true, "req": "ü"}'),
    ],
)
def test_e2e_signer_is_the_client_signer(
    password: str, topic: str, counter: int, body: str
) -> None:
    assert e2e_signer.envelope(password, topic, counter, body) == sign(
        password, topic, counter, body
    )
