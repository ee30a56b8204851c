"""Config flow: every step and abort (manual, zeroconf, DHCP, MQTT, reauth, reconfigure)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from ipaddress import ip_address
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_DHCP, SOURCE_MQTT, SOURCE_USER, SOURCE_ZEROCONF
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.openbl602_plug.const import (
    CONF_FIRMWARE_MANIFEST,
    CONF_PROTECT,
    DEFAULT_FIRMWARE_MANIFEST,
    DOMAIN,
)

from .conftest import free_port
from .fakeplug import FakePlug

MAC = "02a1b2c3d4e5"


@pytest.fixture(autouse=True)
def no_setup() -> Iterator[None]:
    """The flow is under test, not the entry setup."""
    with patch("custom_components.openbl602_plug.async_setup_entry", return_value=True):
        yield


@pytest.fixture
async def locked_plug(socket_enabled: None) -> FakePlug:
    plug = FakePlug(password="s3cret-pass")
    await plug.start()
    yield plug  # type: ignore[misc]
    await plug.stop()


def _zeroconf(plug: FakePlug, **txt: str) -> ZeroconfServiceInfo:
    properties = {
        "id": "kettle",
        "mac": MAC,
        "model": "BL602 BL0937 plug",
        "fw": "0.1.0",
        "protocol": "1",
        "board": "SM-028_V1.3",
    } | txt
    return ZeroconfServiceInfo(
        ip_address=ip_address(plug.host),
        ip_addresses=[ip_address(plug.host)],
        hostname="openbl602-kettle.local.",
        name="openbl602-kettle._openbl602._tcp.local.",
        port=plug.port,
        type="_openbl602._tcp.local.",
        properties=properties,
    )


def _mqtt(payload: str, topic: str = "openbl602/kettle/info") -> MqttServiceInfo:
    return MqttServiceInfo(
        topic=topic,
        payload=payload,
        qos=1,
        retain=True,
        subscribed_topic="openbl602/+/info",
        timestamp=0,
    )


def _entry(hass: HomeAssistant, plug: FakePlug, **data: object) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Kettle",
        unique_id=MAC,
        data={CONF_HOST: "10.0.0.9", CONF_PORT: 80} | data,
    )
    entry.add_to_hass(hass)
    return entry


async def test_user_creates_entry_after_testing_the_connection(
    hass: HomeAssistant, fake_plug: FakePlug
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: free_port()}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: " 127.0.0.1 ", CONF_PORT: fake_plug.port, CONF_PROTECT: False},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Kettle"
    assert result["data"] == {CONF_HOST: "127.0.0.1", CONF_PORT: fake_plug.port}
    assert result["options"] == {CONF_FIRMWARE_MANIFEST: DEFAULT_FIRMWARE_MANIFEST}
    assert result["result"].unique_id == MAC
    assert fake_plug.password is None


async def test_user_protects_an_open_plug_by_default(
    hass: HomeAssistant, fake_plug: FakePlug
) -> None:
    """Issue 13: adoption locks the plug with a generated 128-bit password, shown once."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: fake_plug.host, CONF_PORT: fake_plug.port}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "password_created"
    generated = result["description_placeholders"]["password"]
    assert len(generated) == 32
    int(generated, 16)  # hex: 128 bits
    assert fake_plug.password == generated
    assert ("PATCH", "/api/v1/config", {"api_password": generated}) in fake_plug.requests
    # the new password was proven by an authenticated read before anything was stored
    assert ("/api/v1/state", f"Bearer {generated}") in fake_plug.authorization
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PASSWORD] == generated


async def test_user_protect_refused_by_the_plug_is_reported(
    hass: HomeAssistant, fake_plug: FakePlug
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    fake_plug.command_error = (400, "invalid_value", "api_password")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: fake_plug.host, CONF_PORT: fake_plug.port}
    )
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "protect_failed"}
    fake_plug.command_error = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: fake_plug.host, CONF_PORT: fake_plug.port, CONF_PROTECT: False},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_PASSWORD not in result["data"]


async def test_user_with_password(hass: HomeAssistant, locked_plug: FakePlug) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: locked_plug.host, CONF_PORT: locked_plug.port, CONF_PASSWORD: "nope"},
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: locked_plug.host, CONF_PORT: locked_plug.port, CONF_PASSWORD: "s3cret-pass"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PASSWORD] == "s3cret-pass"


@pytest.mark.parametrize(
    ("info_change", "error"),
    [({"protocol": 2}, "unsupported_protocol"), ({"mac": "not-a-mac"}, "unknown")],
)
async def test_user_errors(
    hass: HomeAssistant, fake_plug: FakePlug, info_change: dict, error: str
) -> None:
    fake_plug.info.update(info_change)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: fake_plug.host, CONF_PORT: fake_plug.port}
    )
    assert result["errors"] == {"base": error}


async def test_user_same_plug_twice_updates_its_address(
    hass: HomeAssistant, fake_plug: FakePlug
) -> None:
    entry = _entry(hass, fake_plug)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: fake_plug.host, CONF_PORT: fake_plug.port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == fake_plug.host
    assert entry.data[CONF_PORT] == fake_plug.port


async def test_zeroconf_confirm_shows_the_plug_and_creates(
    hass: HomeAssistant, fake_plug: FakePlug
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(fake_plug)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"] == {
        "name": "openbl602-kettle",
        "model": "BL602 BL0937 plug",
        "host": f"127.0.0.1:{fake_plug.port}",
        "firmware": "0.1.0",
    }
    progress = hass.config_entries.flow.async_progress()
    assert progress[0]["context"]["title_placeholders"] == {"name": "openbl602-kettle"}
    # a second announcement of the same plug does not start a second flow
    second = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(fake_plug)
    )
    assert second["reason"] == "already_in_progress"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "password_created"
    generated = result["description_placeholders"]["password"]
    assert fake_plug.password == generated
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Kettle"
    assert result["data"] == {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: fake_plug.port,
        CONF_PASSWORD: generated,
    }


async def test_zeroconf_confirm_reports_an_unreachable_plug(
    hass: HomeAssistant, fake_plug: FakePlug
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(fake_plug)
    )
    await fake_plug.stop()
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_zeroconf_plug_with_password_asks_for_it(
    hass: HomeAssistant, locked_plug: FakePlug
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(locked_plug)
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "password"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "wrong-one"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "s3cret-pass"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PASSWORD] == "s3cret-pass"


async def test_zeroconf_known_plug_updates_host_and_port(
    hass: HomeAssistant, fake_plug: FakePlug
) -> None:
    entry = _entry(hass, fake_plug)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(fake_plug)
    )
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == "127.0.0.1"
    assert entry.data[CONF_PORT] == fake_plug.port


@pytest.mark.parametrize(
    ("txt", "reason"),
    [
        ({"mac": "xyz"}, "invalid_discovery_info"),
        ({"protocol": "2"}, "unsupported_protocol"),
    ],
)
async def test_zeroconf_aborts(
    hass: HomeAssistant, fake_plug: FakePlug, txt: dict[str, str], reason: str
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(fake_plug, **txt)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


async def test_dhcp_known_plug_gets_its_new_address(
    hass: HomeAssistant, fake_plug: FakePlug
) -> None:
    entry = _entry(
        hass, fake_plug, **{CONF_HOST: "10.0.0.42", CONF_PORT: fake_plug.port, CONF_PASSWORD: "s-1"}
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_DHCP},
        data=DhcpServiceInfo(ip="127.0.0.1", hostname="openbl602-kettle", macaddress=MAC),
    )
    assert result["reason"] == "already_configured"
    # checked first (GET /info, no password), then moved; the port stays
    assert entry.data[CONF_HOST] == "127.0.0.1"
    assert entry.data[CONF_PORT] == fake_plug.port
    assert fake_plug.authorization[0] == ("/api/v1/info", None)


async def test_dhcp_new_plug_is_confirmed(hass: HomeAssistant, fake_plug: FakePlug) -> None:
    with patch("custom_components.openbl602_plug.config_flow.DEFAULT_PORT", fake_plug.port):
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_DHCP},
            data=DhcpServiceInfo(
                ip="127.0.0.1", hostname="openbl602-kettle", macaddress="02:a1:b2:c3:d4:e5"
            ),
        )
        assert result["step_id"] == "discovery_confirm"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PROTECT: False}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_HOST: "127.0.0.1", CONF_PORT: fake_plug.port}


async def test_dhcp_aborts(hass: HomeAssistant, fake_plug: FakePlug) -> None:
    bad_mac = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_DHCP},
        data=DhcpServiceInfo(ip="127.0.0.1", hostname="openbl602-x", macaddress="nonsense"),
    )
    assert bad_mac["reason"] == "invalid_discovery_info"
    with patch("custom_components.openbl602_plug.config_flow.DEFAULT_PORT", free_port()):
        unreachable = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_DHCP},
            data=DhcpServiceInfo(ip="127.0.0.1", hostname="openbl602-x", macaddress=MAC),
        )
    assert unreachable["reason"] == "cannot_connect"
    with patch("custom_components.openbl602_plug.config_flow.DEFAULT_PORT", fake_plug.port):
        other = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_DHCP},
            data=DhcpServiceInfo(ip="127.0.0.1", hostname="openbl602-x", macaddress="02ffffffffff"),
        )
    assert other["reason"] == "invalid_discovery_info"


async def test_mqtt_discovery_uses_the_announced_http_address(
    hass: HomeAssistant, fake_plug: FakePlug
) -> None:
    payload = json.dumps(fake_plug.info | {"http": f"http://127.0.0.1:{fake_plug.port}"})
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=_mqtt(payload)
    )
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"]["name"] == "Kettle"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROTECT: False}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_HOST: "127.0.0.1", CONF_PORT: fake_plug.port}


async def test_mqtt_known_plug_updates_address(hass: HomeAssistant, fake_plug: FakePlug) -> None:
    entry = _entry(hass, fake_plug, **{CONF_HOST: "192.168.1.23", CONF_PORT: 80})
    payload = json.dumps(fake_plug.info | {"http": f"http://127.0.0.1:{fake_plug.port}"})
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=_mqtt(payload)
    )
    assert result["reason"] == "already_configured"
    assert entry.data == {CONF_HOST: "127.0.0.1", CONF_PORT: fake_plug.port}


async def test_an_announcement_pointing_at_another_plug_moves_nothing(
    hass: HomeAssistant, fake_plug: FakePlug
) -> None:
    """Issue 14 item 6: an unauthenticated MQTT info message names an address; the plug there
    must prove it is ours (MAC) before the entry, and with it the password, moves there."""
    impostor = FakePlug(mac="02ffffffffff")
    await impostor.start()
    try:
        entry = _entry(hass, fake_plug, **{CONF_PASSWORD: "secret-pass"})
        before = dict(entry.data)
        payload = json.dumps(fake_plug.info | {"http": f"http://127.0.0.1:{impostor.port}"})
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_MQTT}, data=_mqtt(payload)
        )
        assert result["reason"] == "wrong_device"
        assert entry.data == before
        assert impostor.authorization == [("/api/v1/info", None)]
        # nobody answers at the announced address: nothing moves either
        await impostor.stop()
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_MQTT}, data=_mqtt(payload)
        )
        assert result["reason"] == "cannot_connect"
        assert entry.data == before
    finally:
        await impostor.stop()


async def test_discovery_confirm_is_confirm_only(hass: HomeAssistant, fake_plug: FakePlug) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(fake_plug)
    )
    flow = hass.config_entries.flow.async_get(result["flow_id"])
    assert flow["context"]["confirm_only"] is True


async def test_a_missing_password_asks_for_it(hass: HomeAssistant, locked_plug: FakePlug) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: locked_plug.host, CONF_PORT: locked_plug.port}
    )
    assert result["step_id"] == "password"
    assert not result["errors"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "s3cret-pass"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PASSWORD] == "s3cret-pass"


async def test_reconfigure_with_a_blank_password_keeps_it(
    hass: HomeAssistant, locked_plug: FakePlug
) -> None:
    entry = _entry(
        hass, locked_plug, host="10.0.0.9", port=locked_plug.port, password="s3cret-pass"
    )
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: locked_plug.host, CONF_PORT: locked_plug.port}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_PASSWORD] == "s3cret-pass"
    assert entry.data[CONF_HOST] == locked_plug.host


@pytest.mark.parametrize(
    ("payload", "topic"),
    [
        ("", "openbl602/kettle/info"),
        ("{not json", "openbl602/kettle/info"),
        (json.dumps({"id": "kettle"}), "openbl602/kettle/info"),
        ("INFO_NO_HTTP", "openbl602/kettle/info"),
        ("INFO_BAD_HTTP", "openbl602/kettle/info"),
        ("INFO_HTTP", "openbl602/other/info"),
    ],
)
async def test_mqtt_discovery_aborts_on_bad_announcements(
    hass: HomeAssistant, fake_plug: FakePlug, payload: str, topic: str
) -> None:
    payload = {
        "INFO_NO_HTTP": json.dumps(fake_plug.info),
        "INFO_BAD_HTTP": json.dumps(fake_plug.info | {"http": "not a url"}),
        "INFO_HTTP": json.dumps(fake_plug.info | {"http": "http://127.0.0.1"}),
    }.get(payload, payload)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=_mqtt(payload, topic)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"


async def test_reauth_with_the_new_password(hass: HomeAssistant, locked_plug: FakePlug) -> None:
    entry = _entry(
        hass, locked_plug, host=locked_plug.host, port=locked_plug.port, password="old-password"
    )
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {"name": "Kettle"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "s3cret-pass"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == "s3cret-pass"


async def test_reauth_after_the_password_was_removed(
    hass: HomeAssistant, fake_plug: FakePlug
) -> None:
    entry = _entry(hass, fake_plug, host=fake_plug.host, port=fake_plug.port, password="gone")
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["reason"] == "reauth_successful"
    assert CONF_PASSWORD not in entry.data


async def test_reconfigure_changes_address_and_password(
    hass: HomeAssistant, locked_plug: FakePlug
) -> None:
    entry = _entry(hass, locked_plug)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: free_port()}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: "127.0.0.1", CONF_PORT: locked_plug.port, CONF_PASSWORD: "s3cret-pass"},
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: locked_plug.port,
        CONF_PASSWORD: "s3cret-pass",
    }


async def test_reconfigure_refuses_another_plug(hass: HomeAssistant, fake_plug: FakePlug) -> None:
    entry = _entry(hass, fake_plug)
    fake_plug.info["mac"] = "02ffffffffff"
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: fake_plug.port}
    )
    assert result["reason"] == "wrong_device"
    assert entry.data[CONF_HOST] == "10.0.0.9"


async def test_options_flow_sets_the_release_manifest(
    hass: HomeAssistant, fake_plug: FakePlug
) -> None:
    entry = _entry(hass, fake_plug)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "firmware"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_FIRMWARE_MANIFEST: " /config/fw/manifest.json "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_FIRMWARE_MANIFEST: "/config/fw/manifest.json"}
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert entry.options == {CONF_FIRMWARE_MANIFEST: ""}


async def test_options_flow_shows_the_stored_password(
    hass: HomeAssistant, fake_plug: FakePlug
) -> None:
    entry = _entry(hass, fake_plug, **{CONF_PASSWORD: "0123456789abcdef"})
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["firmware", "show_password"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "show_password"}
    )
    assert result["step_id"] == "show_password"
    assert result["description_placeholders"]["password"] == "0123456789abcdef"
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert entry.data[CONF_PASSWORD] == "0123456789abcdef"


async def test_locking_fails_unexpectedly_is_translated_and_logged_once(
    hass: HomeAssistant, fake_plug: FakePlug, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 14 item 3: any unexpected error while adoption locks the plug ends in the translated
    "unknown" on the form (no HTTP 500), with one traceback in the log; nothing is stored."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    with patch(
        "custom_components.openbl602_plug.client.OblHttpClient.patch_config",
        side_effect=TypeError("resolver broke"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: fake_plug.host, CONF_PORT: fake_plug.port}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    assert fake_plug.password is None
    assert not hass.config_entries.async_entries(DOMAIN)
    tracebacks = [
        r for r in caplog.records if r.exc_info and "resolver broke" in str(r.exc_info[1])
    ]
    assert len(tracebacks) == 1


async def test_locking_refused_with_401_is_protect_failed(
    hass: HomeAssistant, fake_plug: FakePlug
) -> None:
    """Another client locked the plug between the probe and the lock: the PATCH answers 401."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    fake_plug.command_error = (401, "unauthorized", "api password required")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: fake_plug.host, CONF_PORT: fake_plug.port}
    )
    assert result["errors"] == {"base": "protect_failed"}
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_discovery_of_a_known_plug_at_its_address_contacts_nothing(
    hass: HomeAssistant, fake_plug: FakePlug
) -> None:
    entry = _entry(hass, fake_plug, **{CONF_HOST: fake_plug.host, CONF_PORT: fake_plug.port})
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(fake_plug)
    )
    assert result["reason"] == "already_configured"
    # nothing to verify: the address did not change
    assert fake_plug.requests == []
    assert fake_plug.authorization == []
    assert entry.data == {CONF_HOST: fake_plug.host, CONF_PORT: fake_plug.port}


async def test_dhcp_moves_a_known_plug_only_to_itself(
    hass: HomeAssistant, fake_plug: FakePlug
) -> None:
    """Issue 14 item 6 over DHCP: a lease for the known MAC at a new address moves the entry only
    when the plug there proves to be this one; an impostor or silence leaves it as it was."""
    impostor = FakePlug(mac="02ffffffffff")
    await impostor.start()
    try:
        entry = _entry(hass, fake_plug, **{CONF_PORT: impostor.port, CONF_PASSWORD: "secret-pass"})
        before = dict(entry.data)
        lease = DhcpServiceInfo(ip="127.0.0.1", hostname="openbl602-kettle", macaddress=MAC)
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=lease
        )
        assert result["reason"] == "wrong_device"
        assert impostor.authorization == [("/api/v1/info", None)]  # the password was not sent
        await impostor.stop()
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=lease
        )
        assert result["reason"] == "cannot_connect"
        assert entry.data == before
    finally:
        await impostor.stop()
