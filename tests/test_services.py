"""Actions calibrate and reset_energy: results and every translated failure."""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.openbl602_plug.const import DOMAIN

from .conftest import setup_entry
from .fakeplug import FakePlug


def _device_id(device_registry: dr.DeviceRegistry) -> str:
    device = device_registry.async_get_device(identifiers={(DOMAIN, "02a1b2c3d4e5")})
    assert device is not None
    return device.id


async def test_actions_exist_without_any_plug(hass: HomeAssistant) -> None:
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, DOMAIN, {})
    assert hass.services.has_service(DOMAIN, "calibrate")
    assert hass.services.has_service(DOMAIN, "reset_energy")


async def test_calibrate_sends_references_and_returns_gains(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    await setup_entry(hass, plug_entry)
    response = await hass.services.async_call(
        DOMAIN,
        "calibrate",
        {"device_id": _device_id(device_registry), "power_w": 60, "voltage_v": 230},
        blocking=True,
        return_response=True,
    )
    assert ("POST", "/api/v1/calibrate", {"power_w": 60.0, "voltage_v": 230.0}) in (
        fake_plug.requests
    )
    assert response == {"gains": {"voltage_gain": 1.01, "current_gain": 1.0, "power_gain": 1.01}}


async def test_calibrate_errors(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    await setup_entry(hass, plug_entry)
    device_id = _device_id(device_registry)

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "calibrate", {"device_id": device_id}, blocking=True)
    assert err.value.translation_key == "calibrate_needs_reference"

    # relay off / no usable reading: the plug answers 409 conflict for the quantity
    fake_plug.calibrate_error = (409, "conflict", "power_w")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "calibrate", {"device_id": device_id, "power_w": 60}, blocking=True
        )
    assert err.value.translation_key == "plug_refused"
    assert err.value.translation_placeholders == {
        "code": "conflict",
        "message": "refused",
        "field": "power_w",
    }

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "calibrate", {"device_id": "no-such-device", "power_w": 60}, blocking=True
        )
    assert err.value.translation_key == "device_not_found"

    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    foreign = device_registry.async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "x")}
    )
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "calibrate", {"device_id": foreign.id, "power_w": 60}, blocking=True
        )
    assert err.value.translation_key == "device_not_found"

    await fake_plug.stop()
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN, "calibrate", {"device_id": device_id, "power_w": 60}, blocking=True
        )
    assert err.value.translation_key == "cannot_connect"

    await hass.config_entries.async_unload(plug_entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "calibrate", {"device_id": device_id, "power_w": 60}, blocking=True
        )
    assert err.value.translation_key == "device_not_loaded"


async def test_calibrate_out_of_range_is_refused_before_sending(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    import voluptuous as vol

    await setup_entry(hass, plug_entry)
    with pytest.raises(vol.Invalid):
        await hass.services.async_call(
            DOMAIN,
            "calibrate",
            {"device_id": _device_id(device_registry), "voltage_v": 10},
            blocking=True,
        )
    assert not any(path == "/api/v1/calibrate" for _, path, _ in fake_plug.requests)


async def test_reset_energy_needs_confirmation(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    issue_registry: ir.IssueRegistry,
) -> None:
    await setup_entry(hass, plug_entry)
    device_id = _device_id(device_registry)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "reset_energy", {"device_id": device_id, "confirm": False}, blocking=True
        )
    assert err.value.translation_key == "confirm_required"
    assert fake_plug.state["energy_wh"] == 12873

    await hass.services.async_call(
        DOMAIN, "reset_energy", {"device_id": device_id, "confirm": True}, blocking=True
    )
    assert fake_plug.state["energy_wh"] == 0
    assert hass.states.get("sensor.kettle_energy").state == "0.0"
    assert not issue_registry.issues


async def test_calibration_reset(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    await setup_entry(hass, plug_entry)
    device_id = _device_id(device_registry)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "calibrate",
            {"device_id": device_id, "reset": True, "power_w": 60},
            blocking=True,
        )
    assert err.value.translation_key == "calibrate_reset_alone"
    await hass.services.async_call(
        DOMAIN, "calibrate", {"device_id": device_id, "reset": True}, blocking=True
    )
    assert fake_plug.requests[-1] == ("POST", "/api/v1/calibrate", {"reset": True})
