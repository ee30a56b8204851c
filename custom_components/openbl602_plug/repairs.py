"""Repair flow: restarting a plug out of safe mode."""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant import data_entry_flow
from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .client import AuthFailed, OblError
from .const import DOMAIN, ISSUE_SAFE_MODE
from .coordinator import OblConfigEntry


class SafeModeFlow(RepairsFlow):
    """Restart the plug: a reboot command sent in safe mode leaves it (protocol §5.9).

    The issue goes away when the plug reports safe_mode false after the restart, and comes back
    by itself if the firmware fails four more boots in a row.
    """

    def __init__(self, issue_id: str, entry_id: str) -> None:
        """Remember which plug."""
        self.issue_id = issue_id
        self.entry_id = entry_id

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Start at the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Confirm, then send the reboot."""
        errors: dict[str, str] = {}
        if user_input is not None:
            entry: OblConfigEntry | None = self.hass.config_entries.async_get_entry(self.entry_id)
            if entry is None or entry.state is not ConfigEntryState.LOADED:
                return self.async_abort(reason="not_loaded")
            try:
                coordinator = entry.runtime_data.coordinator
                coordinator.expect_restart()
                # over MQTT too (signed: leaving safe mode is guarded there, protocol §8.5)
                await coordinator.async_write(coordinator.client.reboot, "reboot", {})
            except AuthFailed:
                errors["base"] = "invalid_auth"
            except OblError:
                errors["base"] = "cannot_connect"
            else:
                return self.async_create_entry(data={})
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
        return self.async_show_form(
            step_id="confirm",
            data_schema=vol.Schema({}),
            errors=errors,
            description_placeholders=dict(issue.translation_placeholders or {}) if issue else None,
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Safe mode (restart the plug), the only fixable issue."""
    assert data is not None
    assert issue_id.startswith(ISSUE_SAFE_MODE)
    return SafeModeFlow(issue_id, str(data["entry_id"]))
