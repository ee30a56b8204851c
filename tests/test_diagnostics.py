"""Diagnostics: everything useful, no password, network names or addresses."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from .conftest import setup_entry
from .fakeplug import FakePlug


async def test_diagnostics_are_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    socket_enabled: None,
    snapshot: SnapshotAssertion,
) -> None:
    plug = FakePlug(password="s3cret-pass")
    plug.config["mqtt"].update(enabled=True, host="192.168.1.10", user="plug", password_set=True)
    await plug.start()
    try:
        entry = MockConfigEntry(
            domain="openbl602_plug",
            title="Kettle",
            unique_id=plug.info["mac"],
            data={"host": plug.host, "port": plug.port, "password": "s3cret-pass"},
            options={"firmware_manifest": ""},
        )
        await setup_entry(hass, entry)
        diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    finally:
        await plug.stop()
        await hass.config_entries.async_unload(entry.entry_id)
    text = json.dumps(diagnostics)
    for secret in ("s3cret-pass", "192.168.1.10", '"home"', "02a1b2c3d4e5", '"plug"'):
        assert secret not in text, secret
    assert diagnostics["state"]["energy_wh"] == 12873
    assert diagnostics == snapshot(exclude=props("port"))
