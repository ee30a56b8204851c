"""Firmware update entity: release manifest vs installed version, install with progress."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from homeassistant.components.update import (
    UpdateDeviceClass,
    UpdateEntity,
    UpdateEntityFeature,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import (
    BadPayload,
    CannotConnect,
    CommandError,
    DeviceInfo,
    OblError,
    OtaImageError,
    OtaState,
)
from .client.ota_image import board_matches, inspect_image
from .client.release import Release, ReleaseImage, is_newer
from .const import DOMAIN, OTA_STALL_TIMEOUT
from .coordinator import OblConfigEntry, OblCoordinator
from .entity import OblEntity, plug_command
from .firmware import FirmwareCoordinator, FirmwareError

_LOGGER = logging.getLogger(__package__)

PARALLEL_UPDATES = 1
# How often to ask whether the plug is back after it rebooted into the new image.
REBOOT_POLL_SECONDS = 2.0
# The plug keeps a new image only once it has proven itself: 30 s up, its network up, an API
# request served (protocol §11, ota-image.md §5); a reset before that returns to the old one.
# Success is reported after that, and after CONFIRM_SECONDS more without a roll-back.
TRIAL_SECONDS = 30
CONFIRM_SECONDS = 5.0
SUMMARY_MAX = 255
ATTR_ROLLBACK = "rollback"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OblConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the firmware update entity."""
    data = entry.runtime_data
    if "ota" in data.coordinator.info.capabilities:
        async_add_entities([OblFirmwareUpdate(data.coordinator, data.firmware)])


class OblFirmwareUpdate(OblEntity, UpdateEntity):
    """Installs the release's image for this plug's board, after checking it here first."""

    _attr_translation_key = "firmware"
    _attr_device_class = UpdateDeviceClass.FIRMWARE
    _attr_entity_category = EntityCategory.CONFIG
    _attr_supported_features = (
        UpdateEntityFeature.INSTALL
        | UpdateEntityFeature.PROGRESS
        | UpdateEntityFeature.RELEASE_NOTES
    )

    def __init__(self, coordinator: OblCoordinator, firmware: FirmwareCoordinator) -> None:
        """Describe."""
        super().__init__(coordinator, "firmware")
        self.firmware = firmware
        self._installing = False
        self._lock = asyncio.Lock()
        self._upload_percent: int | None = None
        self._shown_percent = 0

    async def async_added_to_hass(self) -> None:
        """Also follow the release manifest."""
        await super().async_added_to_hass()
        self.async_on_remove(self.firmware.async_add_listener(self._handle_coordinator_update))

    @property
    def _release(self) -> Release | None:
        return self.firmware.data

    @property
    def installed_version(self) -> str:
        """What the plug runs."""
        return self.coordinator.info.firmware

    @property
    def latest_version(self) -> str | None:
        """The release's version; the installed one when there is nothing this plug can install
        (no manifest configured, or no image for its OTA board in the release)."""
        if self._release is None:
            return None if self.firmware.source else self.installed_version
        if _image_ref(self._release, self.coordinator.info) is None:
            return self.installed_version
        return self._release.version

    def version_is_newer(self, latest_version: str, installed_version: str) -> bool:
        """Semver order (a pre-release is older than its release)."""
        try:
            return is_newer(latest_version, installed_version)
        except OblError:
            return latest_version != installed_version

    @property
    def rollback(self) -> bool | None:
        """Whether the plug could return to its running image if the offered one fails (the
        manifest's word for this plug's image, protocol §11); None: nothing offered or not said."""
        latest = self.latest_version
        if self._release is None or latest is None:
            return None
        if not self.version_is_newer(latest, self.installed_version):
            return None
        ref = _image_ref(self._release, self.coordinator.info)
        return ref.rollback if ref is not None else None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """`rollback`, known before Install is pressed."""
        return {ATTR_ROLLBACK: self.rollback}

    def _no_rollback_notice(self) -> str | None:
        """The translated warning for an image that is installed for good (an XZ image)."""
        if self.rollback is not False:
            return None
        base = f"component.{DOMAIN}.entity.update.{self.translation_key}.state_attributes"
        key = f"{base}.{ATTR_ROLLBACK}"

        def text(suffix: str) -> str:
            found = self.platform.platform_translations.get(f"{key}.{suffix}")
            return found or self.platform.default_language_platform_translations.get(
                f"{key}.{suffix}", ""
            )

        return f"⚠️ {text('name')}: {text('state.false')}"

    @property
    def release_summary(self) -> str | None:
        """The first part of the release notes, after the warning when there is no way back."""
        notes = self._release.release_notes if self._release else None
        parts = [part for part in (self._no_rollback_notice(), notes) if part]
        return "\n\n".join(parts)[:SUMMARY_MAX] if parts else None

    @property
    def release_url(self) -> str | None:
        """Link to the release."""
        return self._release.release_url if self._release else None

    async def async_release_notes(self) -> str | None:
        """Full release notes (what HA's dialog shows next to Install), the warning first."""
        if self._release is None:
            return None
        notice = self._no_rollback_notice()
        parts = [f"**{notice}**" if notice else None, self._release.release_notes]
        return "\n\n".join(part for part in parts if part) or None

    @property
    def in_progress(self) -> bool:
        """An install started from here is running."""
        return self._installing

    @property
    def update_percentage(self) -> int | None:
        """The plug's own OTA progress; our upload progress until it reports."""
        if not self._installing:
            return None
        ota = self.coordinator.ota
        percent = self._upload_percent or 0
        if ota.state in (OtaState.RECEIVING, OtaState.VERIFYING):
            percent = max(ota.progress, percent)
        # Two sources (our upload, the plug's events) arrive in either order; never go back.
        self._shown_percent = max(self._shown_percent, percent)
        return self._shown_percent

    @callback
    def _upload_progress(self, sent: int, total: int) -> None:
        percent = sent * 100 // total
        if percent != self._upload_percent:
            self._upload_percent = percent
            self._bump()
            self.async_write_ha_state()

    def _bump(self) -> None:
        """Any sign of progress pushes the stall deadline out."""
        if self._deadline is not None:
            self._deadline.reschedule(asyncio.get_running_loop().time() + self._stall_seconds)

    _deadline: asyncio.Timeout | None = None
    _stall_seconds: float = OTA_STALL_TIMEOUT.total_seconds()

    async def async_install(self, version: str | None, backup: bool, **kwargs: Any) -> None:
        """Download, check, upload, and wait until the plug runs the new image."""
        if self._lock.locked():
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="install_in_progress"
            )
        async with self._lock:
            await self._install()

    async def _install(self) -> None:
        release = self._release
        if release is None:  # pragma: no cover - HA offers no install without a latest version
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="no_release")
        info = self.coordinator.info
        image = await self._fetch_checked_image(release, info)

        self._installing = True
        self._upload_percent = 0
        self._shown_percent = 0
        self._stall_seconds = OTA_STALL_TIMEOUT.total_seconds()
        self.async_write_ha_state()
        try:
            async with asyncio.timeout(self._stall_seconds) as deadline:
                self._deadline = deadline
                self.coordinator.expect_restart()
                await plug_command(
                    self.coordinator,
                    self.coordinator.client.upload_ota(image, self._upload_progress),
                )
                self.coordinator.expect_restart()
                new_info = await self._wait_for_version(release.version, info.firmware)
                await self._wait_for_confirm(release.version, info.firmware)
        except TimeoutError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="install_timeout",
                translation_placeholders={"minutes": str(int(self._stall_seconds // 60))},
            ) from err
        finally:
            self._deadline = None
            self._installing = False
            self._upload_percent = None
            self.async_write_ha_state()
        self.coordinator.async_set_info(new_info)

    async def _fetch_checked_image(self, release: Release, info: DeviceInfo) -> bytes:
        ref = _image_ref(release, info)
        if ref is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_image_for_board",
                translation_placeholders={"board": info.image_board, "version": release.version},
            )
        try:
            data = await self.firmware.async_download(ref)
        except FirmwareError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="download_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        try:
            ref.verify(data)
            image = inspect_image(data)
        except OtaImageError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="bad_image",
                translation_placeholders={"reason": err.reason, "detail": err.detail},
            ) from err
        # OBLI names the board; the vendor container's hw_version is its board identity too
        # (docs/ota-image.md §2): the plug refuses both when they name another board.
        if not board_matches(image.board or "", info.image_board):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="wrong_board",
                translation_placeholders={"image": image.board or "?", "plug": info.image_board},
            )
        if ref.rollback and not image.rollback:
            # The user was shown "rollback: true"; an image without a way back is not that release.
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="rollback_mismatch"
            )
        return data

    async def _wait_for_version(self, target: str, old: str) -> DeviceInfo:
        """The plug reboots into the image on trial; done when it reports the new version."""
        client = self.coordinator.client
        while True:
            try:
                info = await client.info()
            except (CannotConnect, CommandError, BadPayload):
                info = None  # rebooting: refused, busy (503) or cut off mid-answer
            if info is not None and info.firmware == target:
                return info
            if info is not None:
                status = await self._ota_failure()
                if status is not None:
                    raise HomeAssistantError(
                        translation_domain=DOMAIN,
                        translation_key="install_failed",
                        translation_placeholders={"error": status, "version": old},
                    )
            await asyncio.sleep(REBOOT_POLL_SECONDS)

    async def _wait_for_confirm(self, target: str, old: str) -> None:
        """Success only once the new image kept running through its trial (a roll-back shows the
        old version or an OTA failure). Each state read is also the served request it needs."""
        client = self.coordinator.client
        while True:
            uptime: int | None = None
            running: str | None = None
            try:
                uptime = (await client.state()).uptime_s
                running = (await client.info()).firmware
            except OblError:
                running = None  # reset during the trial: it comes back, old or new
            failure = await self._ota_failure()
            if failure is None and running is not None and running != target:
                failure = "rolled_back"
            if failure is not None:
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="install_failed",
                    translation_placeholders={"error": failure, "version": old},
                )
            if running is not None and (uptime is None or uptime >= TRIAL_SECONDS):
                break
            await asyncio.sleep(REBOOT_POLL_SECONDS)
        await asyncio.sleep(CONFIRM_SECONDS)
        try:
            info = await self.coordinator.client.info()
        except OblError:
            info = None
        failure = await self._ota_failure()
        if failure is None and info is not None and info.firmware != target:
            failure = "rolled_back"
        if failure is not None:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="install_failed",
                translation_placeholders={"error": failure, "version": old},
            )

    async def _ota_failure(self) -> str | None:
        try:
            status = await self.coordinator.client.ota_status()
        except OblError:
            return None
        if status.state is OtaState.FAILED:
            return status.error or "failed"
        return None

    def _shown(self) -> object:
        return (self.state, self.state_attributes)  # versions, progress: all this entity shows

    @callback
    def _handle_coordinator_update(self) -> None:
        if self._installing and self.coordinator.ota.state is not OtaState.IDLE:
            self._bump()
        super()._handle_coordinator_update()


def _image_ref(release: Release, info: DeviceInfo) -> ReleaseImage | None:
    """This plug's image: named by its OTA board id (protocol §2), or by the pin-map board
    name older manifests used."""
    return release.image_for(info.image_board) or release.image_for(info.board)
