"""Config flow: discovery over MQTT, zeroconf and DHCP, manual host, reauth, reconfigure."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from yarl import URL

from .client import (
    SUPPORTED_PROTOCOL,
    AuthFailed,
    BadPayload,
    CannotConnect,
    DeviceInfo,
    OblError,
    OblHttpClient,
    ProtocolMismatch,
    ensure_supported,
    normalize_mac,
    parse_txt,
)
from .client import mqtt as mqtt_msg
from .const import (
    CONF_FIRMWARE_MANIFEST,
    CONF_PROTECT,
    DEFAULT_FIRMWARE_MANIFEST,
    DEFAULT_PORT,
    DOMAIN,
)
from .coordinator import OblConfigEntry

_LOGGER = logging.getLogger(__package__)

PASSWORD_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
PORT_SELECTOR = NumberSelector(
    NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
)


PROTECT_SCHEMA = vol.Schema({vol.Optional(CONF_PROTECT, default=True): bool})


def _connection_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, vol.UNDEFINED)): str,
            vol.Required(CONF_PORT, default=defaults.get(CONF_PORT, DEFAULT_PORT)): PORT_SELECTOR,
            vol.Optional(CONF_PASSWORD): PASSWORD_SELECTOR,
        }
    )


def generate_password() -> str:
    """128 random bits as 32 hex digits: within the plug's 8-64 printable ASCII (protocol §4)
    and easy to copy by hand."""
    return secrets.token_hex(16)


def _parse_mqtt_discovery(discovery_info: MqttServiceInfo) -> tuple[DeviceInfo, URL]:
    info = mqtt_msg.parse_discovery(discovery_info.topic, discovery_info.payload)
    if info.http_url is None:
        raise BadPayload("no http address")
    url = URL(info.http_url)
    if not url.host:
        raise BadPayload("http address without host")
    return info, url


class OblConfigFlow(ConfigFlow, domain=DOMAIN):
    """One entry per plug, keyed by its MAC."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start empty."""
        self._info: DeviceInfo | None = None
        self._host = ""
        self._port = DEFAULT_PORT
        self._generated: str | None = None

    async def _probe(self, host: str, port: int, password: str | None) -> DeviceInfo:
        """Connect before anything is stored: identity, protocol, then an authenticated read."""
        client = OblHttpClient(async_get_clientsession(self.hass), host, port, password)
        info = ensure_supported(await client.info())
        await client.state()
        return info

    async def _probe_errors(
        self, host: str, port: int, password: str | None
    ) -> tuple[DeviceInfo | None, dict[str, str]]:
        try:
            return await self._probe(host, port, password), {}
        except AuthFailed:
            return None, {"base": "invalid_auth"}
        except ProtocolMismatch:
            return None, {"base": "unsupported_protocol"}
        except CannotConnect:
            return None, {"base": "cannot_connect"}
        except OblError as err:
            _LOGGER.warning("Unexpected answer from %s:%s: %s", host, port, err)
            return None, {"base": "unknown"}
        except Exception:
            # A bug or a broken library (e.g. a resolver that raises TypeError) must not end the
            # flow with HTTP 500: the user gets the translated "unknown", the log one traceback.
            _LOGGER.exception("Unexpected error talking to %s:%s", host, port)
            return None, {"base": "unknown"}

    def _create(self, info: DeviceInfo, password: str | None) -> ConfigFlowResult:
        data: dict[str, Any] = {CONF_HOST: self._host, CONF_PORT: self._port}
        if password:
            data[CONF_PASSWORD] = password
        return self.async_create_entry(
            title=info.name or info.hostname,
            data=data,
            options={CONF_FIRMWARE_MANIFEST: DEFAULT_FIRMWARE_MANIFEST},
        )

    async def _finish(
        self, info: DeviceInfo, password: str | None, protect: bool
    ) -> tuple[ConfigFlowResult | None, dict[str, str]]:
        """Create the entry; a plug without a password is locked first when the user asked."""
        if not protect or info.auth_required:
            return self._create(info, password), {}
        generated = generate_password()
        client = OblHttpClient(async_get_clientsession(self.hass), self._host, self._port)
        try:
            await client.patch_config({"api_password": generated})
            # Proof the plug took it: an authenticated read with the new password.
            client.password = generated
            await client.state()
        except OblError as err:  # refused, also 401: someone locked it since the probe
            _LOGGER.warning("Could not set a password on %s:%s: %s", self._host, self._port, err)
            return None, {"base": "protect_failed"}
        except Exception:
            _LOGGER.exception("Unexpected error locking %s:%s", self._host, self._port)
            return None, {"base": "unknown"}
        self._info, self._generated = info, generated
        return await self.async_step_password_created(), {}

    async def async_step_password_created(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the generated password once, so the user can keep it, then add the plug."""
        assert self._info is not None
        assert self._generated is not None
        if user_input is not None:
            return self._create(self._info, self._generated)
        return self.async_show_form(
            step_id="password_created",
            description_placeholders={**self._placeholders(), "password": self._generated},
        )

    # -- manual ---------------------------------------------------------------------

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Address typed by the user."""
        errors: dict[str, str] = {}
        if user_input is not None:
            self._host = user_input[CONF_HOST].strip()
            self._port = int(user_input[CONF_PORT])
            password = user_input.get(CONF_PASSWORD) or None
            info, errors = await self._probe_errors(self._host, self._port, password)
            if password is None and errors.get("base") == "invalid_auth":
                # The plug has a password and none was typed: ask for it, don't call it wrong.
                self._info = await OblHttpClient(
                    async_get_clientsession(self.hass), self._host, self._port
                ).info()
                await self.async_set_unique_id(self._info.mac)
                self._abort_if_unique_id_configured()
                return await self.async_step_password()
            if info is not None:
                await self.async_set_unique_id(info.mac)
                self._abort_if_unique_id_configured(
                    updates={CONF_HOST: self._host, CONF_PORT: self._port}
                )
                result, errors = await self._finish(
                    info, password, user_input.get(CONF_PROTECT, True)
                )
                if result is not None:
                    return result
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema({}).extend(PROTECT_SCHEMA.schema), user_input or {}
            ),
            errors=errors,
        )

    # -- discovery ------------------------------------------------------------------

    async def _async_update_known(
        self, mac: str, host: str, port: int | None
    ) -> ConfigFlowResult | None:
        """A known plug announced at another address: move the entry only after the plug there
        proves to be the same one (its MAC, from GET /info, which needs no password: the stored
        password is never sent to an address that has not been checked)."""
        await self.async_set_unique_id(mac)
        entry = self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, mac)
        if entry is None:
            return None
        new_port = port if port is not None else entry.data.get(CONF_PORT, DEFAULT_PORT)
        if (entry.data.get(CONF_HOST), entry.data.get(CONF_PORT, DEFAULT_PORT)) == (host, new_port):
            return self.async_abort(reason="already_configured")
        client = OblHttpClient(async_get_clientsession(self.hass), host, new_port)
        try:
            there = await client.info()
        except OblError:
            return self.async_abort(reason="cannot_connect")
        if there.mac != mac:
            _LOGGER.warning(
                "Ignoring an announcement of %s at %s:%s: the plug there is %s",
                mac,
                host,
                new_port,
                there.mac,
            )
            return self.async_abort(reason="wrong_device")
        self._abort_if_unique_id_configured(updates={CONF_HOST: host, CONF_PORT: new_port})
        return None  # pragma: no cover - the line above always aborts

    async def _async_discovered(self, info: DeviceInfo, host: str, port: int) -> ConfigFlowResult:
        if (known := await self._async_update_known(info.mac, host, port)) is not None:
            return known
        if info.protocol != SUPPORTED_PROTOCOL:
            return self.async_abort(
                reason="unsupported_protocol",
                description_placeholders={"version": str(info.protocol)},
            )
        self._info, self._host, self._port = info, host, port
        self.context["title_placeholders"] = {"name": info.name or info.hostname}
        return await self.async_step_discovery_confirm()

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """_openbl602._tcp with TXT id, mac, model, fw, protocol, board."""
        try:
            info = parse_txt(discovery_info.properties)
        except BadPayload:
            return self.async_abort(reason="invalid_discovery_info")
        return await self._async_discovered(
            info, str(discovery_info.ip_address), discovery_info.port or DEFAULT_PORT
        )

    async def async_step_dhcp(self, discovery_info: DhcpServiceInfo) -> ConfigFlowResult:
        """Hostname openbl602-* or a known plug's MAC with a new address."""
        try:
            mac = normalize_mac(discovery_info.macaddress)
        except BadPayload:
            return self.async_abort(reason="invalid_discovery_info")
        # Only the address changes; a non-default port stays as configured.
        if (known := await self._async_update_known(mac, discovery_info.ip, None)) is not None:
            return known
        client = OblHttpClient(async_get_clientsession(self.hass), discovery_info.ip, DEFAULT_PORT)
        try:
            info = await client.info()
        except OblError:
            return self.async_abort(reason="cannot_connect")
        if info.mac != mac:
            return self.async_abort(reason="invalid_discovery_info")
        return await self._async_discovered(info, discovery_info.ip, DEFAULT_PORT)

    async def async_step_mqtt(self, discovery_info: MqttServiceInfo) -> ConfigFlowResult:
        """Retained openbl602/<id>/info, which names the plug's HTTP address."""
        try:
            info, url = _parse_mqtt_discovery(discovery_info)
        except (BadPayload, ValueError):
            return self.async_abort(reason="invalid_discovery_info")
        assert url.host is not None
        return await self._async_discovered(info, url.host, url.port or DEFAULT_PORT)

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show what was found; connect when the user agrees."""
        assert self._info is not None
        self._set_confirm_only()
        errors: dict[str, str] = {}
        if user_input is not None:
            info, errors = await self._probe_errors(self._host, self._port, None)
            if errors.get("base") == "invalid_auth":
                return await self.async_step_password()
            if info is not None:
                result, errors = await self._finish(info, None, user_input.get(CONF_PROTECT, True))
                if result is not None:
                    return result
        return self.async_show_form(
            step_id="discovery_confirm",
            data_schema=PROTECT_SCHEMA,
            description_placeholders=self._placeholders(),
            errors=errors,
        )

    async def async_step_password(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The discovered plug has an API password."""
        errors: dict[str, str] = {}
        if user_input is not None:
            password = user_input[CONF_PASSWORD]
            info, errors = await self._probe_errors(self._host, self._port, password)
            if info is not None:
                await self.async_set_unique_id(info.mac, raise_on_progress=False)
                self._abort_if_unique_id_configured()
                return self._create(info, password)
        return self.async_show_form(
            step_id="password",
            data_schema=vol.Schema({vol.Required(CONF_PASSWORD): PASSWORD_SELECTOR}),
            description_placeholders=self._placeholders(),
            errors=errors,
        )

    def _placeholders(self) -> dict[str, str]:
        assert self._info is not None
        return {
            "name": self._info.name or self._info.hostname,
            "model": self._info.model,
            "host": f"{self._host}:{self._port}",
            "firmware": self._info.firmware,
        }

    # -- reauth and reconfigure ----------------------------------------------------------

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The stored password stopped working."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            password = user_input.get(CONF_PASSWORD) or None
            info, errors = await self._probe_errors(
                entry.data[CONF_HOST], entry.data.get(CONF_PORT, DEFAULT_PORT), password
            )
            if info is not None:
                data = dict(entry.data)
                data.pop(CONF_PASSWORD, None)
                if password:
                    data[CONF_PASSWORD] = password
                return self.async_update_reload_and_abort(entry, data=data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Optional(CONF_PASSWORD): PASSWORD_SELECTOR}),
            description_placeholders={"name": entry.title},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change address or password of a configured plug."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            host = user_input[CONF_HOST].strip()
            port = int(user_input[CONF_PORT])
            # The form never shows the stored password: left blank, it stays.
            password = user_input.get(CONF_PASSWORD) or entry.data.get(CONF_PASSWORD)
            info, errors = await self._probe_errors(host, port, password)
            if info is not None:
                await self.async_set_unique_id(info.mac)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                data: dict[str, Any] = {CONF_HOST: host, CONF_PORT: port}
                if password:
                    data[CONF_PASSWORD] = password
                return self.async_update_reload_and_abort(entry, data=data)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema(entry.data), user_input or {}
            ),
            errors=errors,
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: OblConfigEntry) -> OblOptionsFlow:
        """Firmware manifest location."""
        return OblOptionsFlow()


class OblOptionsFlow(OptionsFlow):
    """Where firmware releases are looked up; the stored plug password, on request."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A plug with a stored password gets a menu; otherwise straight to the settings."""
        if self.config_entry.data.get(CONF_PASSWORD):
            return self.async_show_menu(step_id="init", menu_options=["firmware", "show_password"])
        return await self.async_step_firmware()

    async def async_step_show_password(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the password HA uses for the plug (for its status page or another client)."""
        if user_input is not None:
            return self.async_abort(reason="password_shown")
        return self.async_show_form(
            step_id="show_password",
            description_placeholders={
                "name": self.config_entry.title,
                "password": self.config_entry.data[CONF_PASSWORD],
            },
        )

    async def async_step_firmware(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """One field: manifest URL or file path (empty: no update checks)."""
        if user_input is not None:
            return self.async_create_entry(
                data={CONF_FIRMWARE_MANIFEST: user_input.get(CONF_FIRMWARE_MANIFEST, "").strip()}
            )
        current = self.config_entry.options.get(CONF_FIRMWARE_MANIFEST, DEFAULT_FIRMWARE_MANIFEST)
        return self.async_show_form(
            step_id="firmware",
            data_schema=vol.Schema(
                {
                    vol.Optional(
                        CONF_FIRMWARE_MANIFEST, description={"suggested_value": current}
                    ): TextSelector()
                }
            ),
        )
