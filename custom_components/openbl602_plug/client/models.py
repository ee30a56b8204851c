"""Typed views of what the plug reports: identity, state, OTA progress, command results."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SUPPORTED_PROTOCOL = 1


class Tripped(StrEnum):
    """Which protection switched the relay off, if any."""

    NONE = "none"
    OVERPOWER = "overpower"
    OVERCURRENT = "overcurrent"


class OtaState(StrEnum):
    """Phases of an over-the-air update as the plug reports them."""

    IDLE = "idle"
    RECEIVING = "receiving"
    VERIFYING = "verifying"
    REBOOTING = "rebooting"
    FAILED = "failed"


class StartupState(StrEnum):
    """What the relay does at power-up."""

    OFF = "off"
    ON = "on"
    RESTORE = "restore"
    TOGGLE = "toggle"


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """Identity and capabilities (GET /api/v1/info, MQTT info topic, mDNS TXT)."""

    device_id: str
    mac: str
    model: str
    firmware: str
    protocol: int
    board: str
    name: str | None = None
    http_url: str | None = None
    capabilities: frozenset[str] = frozenset()
    auth_required: bool = False
    setup_mode: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def mqtt(self) -> bool:
        """The firmware has an MQTT client (whether it is enabled is in the config)."""
        return "mqtt" in self.capabilities

    @property
    def image_board(self) -> str:
        """Board id OTA images must name: "ota_board" when the firmware sends it, else "board".

        protocol.md §2 has one "board" for both the pin-map profile and OTA images; the firmware
        core also has a separate OTA board id, which only an extra info key can reveal.
        """
        ota_board = self.raw.get("ota_board")
        return ota_board if isinstance(ota_board, str) and ota_board else self.board

    @property
    def hostname(self) -> str:
        """Hostname and mDNS instance name the plug announces."""
        return f"openbl602-{self.device_id}"


@dataclass(frozen=True, slots=True)
class OtaProgress:
    """OTA progress (GET /api/v1/ota, "ota" SSE/MQTT event, state's "ota" object)."""

    state: OtaState
    progress: int = 0
    error: str | None = None
    received: int | None = None
    total: int | None = None


@dataclass(frozen=True, slots=True)
class PlugState:
    """One full state report (GET /api/v1/state, SSE "state", MQTT state topic).

    Measurements are None when the plug has no valid reading yet: the plug never
    reports a placeholder zero, and neither does this model.
    """

    relay: bool
    power_w: float | None
    voltage_v: float | None
    current_a: float | None
    apparent_power_va: float | None
    power_factor: float | None
    energy_wh: int | None
    tripped: Tripped
    rssi_dbm: int | None
    uptime_s: int | None
    reset_reason: str | None
    safe_mode: bool
    ota: OtaProgress
    stale_voltage: bool = False
    stale_current: bool = False
    # Relay locked off after repeated trips until cleared (protocol §3); firmware before the
    # lockout never sends the key and never locks.
    lockout: bool = False
    # Count of config changes applied since boot (protocol §3); a client re-reads the config when
    # it differs from the last one seen. None from firmware that does not announce changes.
    config_rev: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def has_lockout(self) -> bool:
        """The firmware reports the trip lockout (the key exists in its state)."""
        return "lockout" in self.raw


@dataclass(frozen=True, slots=True)
class CommandResult:
    """Answer to an MQTT command (topic openbl602/<id>/result)."""

    cmd: str
    req: str | None
    ok: bool
    error_code: str | None = None
    error_message: str | None = None
    error_field: str | None = None


@dataclass(frozen=True, slots=True)
class ButtonEvent:
    """A physical button press the plug reports."""

    action: str
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ButtonConfig:
    """Config "button" (protocol §4)."""

    enabled: bool | None = None
    double_press: bool | None = None
    long_press_ms: int | None = None
    setup_hold_s: int | None = None


@dataclass(frozen=True, slots=True)
class ProtectionConfig:
    """Config "protection" (protocol §4): limits 0 = off."""

    max_power_w: float | None = None
    max_current_a: float | None = None
    hold_s: int | None = None
    reclose_s: int | None = None


@dataclass(frozen=True, slots=True)
class PlugConfig:
    """The settings the integration shows and writes (GET /api/v1/config); None = the plug's
    firmware has no such field. raw keeps the whole document (diagnostics)."""

    name: str | None = None
    startup: str | None = None
    led: str | None = None
    button: ButtonConfig | None = None
    protection: ProtectionConfig | None = None
    mqtt_enabled: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
