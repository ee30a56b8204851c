"""Firmware release manifest (a URL, or a file for offline plugs) and image downloads."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .client import BadPayload
from .client.payloads import loads_object
from .client.release import Release, ReleaseImage, parse_release
from .const import DOMAIN, FIRMWARE_CHECK_INTERVAL

if TYPE_CHECKING:
    from .coordinator import OblConfigEntry

_LOGGER = logging.getLogger(__package__)

# Bigger than any BL602 firmware slot (the 2 MB flash table's largest is ~1 MiB).
MAX_IMAGE_BYTES = 4 * 1024 * 1024
MAX_MANIFEST_BYTES = 256 * 1024


class FirmwareError(Exception):
    """The manifest or an image could not be read."""


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


class FirmwareCoordinator(DataUpdateCoordinator[Release | None]):
    """Checks the release manifest now and then; None when no manifest is configured."""

    config_entry: OblConfigEntry

    def __init__(self, hass: HomeAssistant, entry: OblConfigEntry, source: str) -> None:
        """source: URL, absolute path, or a path relative to HA's config directory."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{entry.title} firmware",
            update_interval=FIRMWARE_CHECK_INTERVAL,
        )
        self.source = source.strip()

    async def _async_update_data(self) -> Release | None:
        if not self.source:
            return None
        try:
            return parse_release(loads_object(await self._read(self.source, MAX_MANIFEST_BYTES)))
        except (FirmwareError, BadPayload) as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="manifest_unavailable",
                translation_placeholders={"source": self.source, "error": str(err)},
            ) from err

    def resolve(self, location: str) -> str:
        """An image location relative to the manifest's."""
        if _is_url(location) or Path(location).is_absolute():
            return location
        if _is_url(self.source):
            return urljoin(self.source, location)
        return str(self._path(self.source).parent / location)

    def _path(self, location: str) -> Path:
        path = Path(location.removeprefix("file://"))
        return path if path.is_absolute() else Path(self.hass.config.path(str(path)))

    async def _read(self, location: str, limit: int) -> bytes:
        if _is_url(location):
            session = async_get_clientsession(self.hass)
            try:
                async with session.get(location, timeout=aiohttp.ClientTimeout(total=60)) as resp:
                    resp.raise_for_status()
                    data = await resp.content.read(limit + 1)
            except (aiohttp.ClientError, TimeoutError) as err:
                raise FirmwareError(f"{location}: {err}") from err
            except Exception as err:
                # Anything else (a resolver bug raising TypeError) is still "manifest unavailable":
                # one line in the log per failure streak, not a traceback at every check.
                raise FirmwareError(f"{location}: {type(err).__name__}: {err}") from err
        else:
            path = self._path(location)

            def read() -> bytes:
                with path.open("rb") as file:
                    return file.read(limit + 1)

            try:
                data = await self.hass.async_add_executor_job(read)
            except OSError as err:
                raise FirmwareError(f"{path}: {err.strerror or err}") from err
        if len(data) > limit:
            raise FirmwareError(f"{location}: larger than {limit} bytes")
        return data

    async def async_download(self, image: ReleaseImage) -> bytes:
        """Fetch an image; verifying it is the caller's job."""
        return await self._read(self.resolve(image.url), MAX_IMAGE_BYTES)
