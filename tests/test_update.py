"""Firmware update entity: manifest, release notes, install with progress, and refusals."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.openbl602_plug.const import CONF_FIRMWARE_MANIFEST, DOMAIN

from .conftest import setup_entry
from .fakeplug import FakePlug
from .images import bl60x, obli

UPDATE = "update.kettle_firmware"
BOARD = "SM-028_V1.3"


@pytest.fixture(autouse=True)
def quick_confirm() -> Iterator[None]:
    """The plug confirms a new image within a second; the fake at once."""
    with patch("custom_components.openbl602_plug.update.CONFIRM_SECONDS", 0.05):
        yield


def _manifest(image: bytes, board: str = BOARD, **image_fields: Any) -> dict[str, Any]:
    return {
        "version": "0.2.0",
        "release_notes": "## 0.2.0\n- faster metering",
        "release_url": "https://example.invalid/releases/0.2.0",
        "images": [
            {
                "board": board,
                "url": "plug.obli",
                "sha256": hashlib.sha256(image).hexdigest(),
                "size": len(image),
            }
            | image_fields
        ],
    }


def _publish(tmp_path: Path, manifest: dict[str, Any], image: bytes) -> str:
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "plug.obli").write_bytes(image)
    return str(tmp_path / "manifest.json")


async def _setup(hass: HomeAssistant, entry: MockConfigEntry, source: str) -> None:
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={CONF_FIRMWARE_MANIFEST: source})
    await setup_entry(hass, entry)
    await entry.runtime_data.firmware.async_refresh()
    await hass.async_block_till_done()


async def _install(hass: HomeAssistant, **data: Any) -> None:
    await hass.services.async_call(
        "update", "install", {ATTR_ENTITY_ID: UPDATE} | data, blocking=True
    )


async def test_offers_the_release_and_installs_it_with_progress(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    tmp_path: Path,
) -> None:
    image = obli(board="sm-028-v1.3", version="0.2.0", payload=b"\x01" * 10000)
    await _setup(hass, plug_entry, _publish(tmp_path, _manifest(image), image))
    state = hass.states.get(UPDATE)
    assert state.state == "on"
    assert state.attributes["installed_version"] == "0.1.0"
    assert state.attributes["latest_version"] == "0.2.0"
    assert state.attributes["release_summary"].startswith("## 0.2.0")
    assert state.attributes["release_url"] == "https://example.invalid/releases/0.2.0"

    client = await hass_ws_client(hass)
    await client.send_json({"id": 1, "type": "update/release_notes", "entity_id": UPDATE})
    result = await client.receive_json()
    assert result["result"] == "## 0.2.0\n- faster metering"

    progress: list[Any] = []

    @callback  # on the event loop, in order (a plain function runs in the executor)
    def record(event: Event) -> None:
        new = event.data["new_state"]
        if event.data["entity_id"] == UPDATE and new is not None:
            progress.append(
                (new.attributes.get("in_progress"), new.attributes.get("update_percentage"))
            )

    hass.bus.async_listen("state_changed", record)
    fake_plug.ota_next_fw = "0.2.0"
    await _install(hass)
    assert fake_plug.ota_images == [image]
    assert (True, 0) in progress
    percents = [p for busy, p in progress if busy and p is not None]
    assert percents == sorted(percents)
    assert 100 in percents
    state = hass.states.get(UPDATE)
    assert state.state == "off"
    assert state.attributes["in_progress"] is False
    assert state.attributes["installed_version"] == "0.2.0"
    device = device_registry.async_get_device(identifiers={(DOMAIN, "02a1b2c3d4e5")})
    assert device.sw_version == "0.2.0"


async def test_manifest_and_image_over_http(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry
) -> None:
    image = bl60x(hw=BOARD)
    manifest = _manifest(image)
    manifest["images"][0]["url"] = "image.ota"
    fake_plug.files = {"manifest.json": json.dumps(manifest).encode(), "image.ota": image}
    await _setup(hass, plug_entry, f"http://127.0.0.1:{fake_plug.port}/fw/manifest.json")
    assert hass.states.get(UPDATE).attributes["latest_version"] == "0.2.0"
    fake_plug.ota_next_fw = "0.2.0"
    await _install(hass)
    assert fake_plug.ota_images == [image]


@pytest.mark.parametrize(
    ("image", "named"),
    [
        (obli(board="posix-sim", version="0.2.0"), "posix-sim"),
        # issue 12 item 1: the vendor container's hw_version is its board identity; the SDK's
        # default (OpenBeken's and every unconfigured build's) names no board
        (bl60x(hw="BFL_Module_v1.1"), "BFL_Module_v1.1"),
    ],
)
async def test_wrong_board_image_is_refused_before_upload(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    tmp_path: Path,
    image: bytes,
    named: str,
) -> None:
    await _setup(hass, plug_entry, _publish(tmp_path, _manifest(image), image))
    with pytest.raises(ServiceValidationError) as err:
        await _install(hass)
    assert err.value.translation_key == "wrong_board"
    assert err.value.translation_placeholders == {"image": named, "plug": BOARD}
    assert fake_plug.ota_images == []
    assert hass.states.get(UPDATE).attributes["in_progress"] is False


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda img, m: m["images"][0].update(sha256="0" * 64), "hash_mismatch"),
        (lambda img, m: m["images"][0].update(size=1), "size_mismatch"),
        ("corrupt", "hash_mismatch"),
        ("not_an_image", "bad_magic"),
    ],
)
async def test_bad_images_are_refused_before_upload(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    tmp_path: Path,
    mutate: Any,
    reason: str,
) -> None:
    image = obli(board=BOARD, version="0.2.0")
    if mutate == "corrupt":
        image = image[:100] + bytes([image[100] ^ 1]) + image[101:]
        manifest = _manifest(image)
    elif mutate == "not_an_image":
        image = b"<html>404</html>"
        manifest = _manifest(image)
    else:
        manifest = _manifest(image)
        mutate(image, manifest)
    await _setup(hass, plug_entry, _publish(tmp_path, manifest, image))
    with pytest.raises(ServiceValidationError) as err:
        await _install(hass)
    assert err.value.translation_key == "bad_image"
    assert err.value.translation_placeholders["reason"] == reason
    assert fake_plug.ota_images == []


async def test_install_refusals(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry, tmp_path: Path
) -> None:
    image = obli(board=BOARD)
    manifest = _manifest(image, board="other-board")
    await _setup(hass, plug_entry, _publish(tmp_path, manifest, image))
    # issue 14 item 9: a release without an image for this plug's board offers no update
    state = hass.states.get(UPDATE)
    assert state.state == "off"
    assert state.attributes["latest_version"] == state.attributes["installed_version"]
    with pytest.raises(HomeAssistantError, match="No update available"):
        await _install(hass)
    assert fake_plug.ota_images == []

    (tmp_path / "manifest.json").write_text(json.dumps(_manifest(image)))
    (tmp_path / "plug.obli").unlink()
    await plug_entry.runtime_data.firmware.async_refresh()
    with pytest.raises(HomeAssistantError) as err:
        await _install(hass)
    assert err.value.translation_key == "download_failed"


async def test_unreadable_manifest_leaves_latest_unknown(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry, tmp_path: Path
) -> None:
    await _setup(hass, plug_entry, str(tmp_path / "missing.json"))
    state = hass.states.get(UPDATE)
    assert state.state == "unknown"
    assert state.attributes["latest_version"] is None
    with pytest.raises(HomeAssistantError, match="No update available"):
        await _install(hass)


async def test_manifest_errors(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry, tmp_path: Path
) -> None:
    (tmp_path / "manifest.json").write_text('{"version": "next"}')
    await _setup(hass, plug_entry, str(tmp_path / "manifest.json"))
    firmware = plug_entry.runtime_data.firmware
    assert not firmware.last_update_success
    (tmp_path / "manifest.json").write_bytes(b" " * (300 * 1024))
    await firmware.async_refresh()
    assert "larger than" in str(firmware.last_exception)
    firmware.source = f"http://127.0.0.1:{fake_plug.port}/fw/none.json"
    await firmware.async_refresh()
    assert "404" in str(firmware.last_exception)
    assert firmware.resolve("/abs/image.bin") == "/abs/image.bin"
    firmware.source = "fw/manifest.json"
    assert firmware.resolve("a.bin") == hass.config.path("fw/a.bin")


async def test_stuck_install_is_cleared_by_the_timeout(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry, tmp_path: Path
) -> None:
    from datetime import timedelta

    image = obli(board=BOARD, version="0.2.0")
    await _setup(hass, plug_entry, _publish(tmp_path, _manifest(image), image))
    # the plug accepts the image but never comes back with the new version
    with (
        patch("custom_components.openbl602_plug.update.OTA_STALL_TIMEOUT", timedelta(seconds=1)),
        patch("custom_components.openbl602_plug.update.REBOOT_POLL_SECONDS", 0.05),
        pytest.raises(HomeAssistantError) as err,
    ):
        await _install(hass)
    assert err.value.translation_key == "install_timeout"
    state = hass.states.get(UPDATE)
    assert state.attributes["in_progress"] is False
    assert state.attributes["installed_version"] == "0.1.0"


async def test_rolled_back_install_is_reported(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry, tmp_path: Path
) -> None:
    image = obli(board=BOARD, version="0.2.0")
    await _setup(hass, plug_entry, _publish(tmp_path, _manifest(image), image))
    fake_plug.ota_fail_after = "rolled_back"
    with (
        patch("custom_components.openbl602_plug.update.REBOOT_POLL_SECONDS", 0.05),
        pytest.raises(HomeAssistantError) as err,
    ):
        await _install(hass)
    assert err.value.translation_key == "install_failed"
    assert err.value.translation_placeholders == {"error": "rolled_back", "version": "0.1.0"}


async def test_plug_ota_events_drive_progress(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry, tmp_path: Path
) -> None:
    from .conftest import wait_for

    image = obli(board=BOARD, version="0.2.0")
    await _setup(hass, plug_entry, _publish(tmp_path, _manifest(image), image))
    await wait_for(hass, lambda: fake_plug.stream_count == 1)
    entity = hass.data["entity_components"]["update"].get_entity(UPDATE)
    entity._installing = True  # mid-install view, without a real upload
    fake_plug.push("ota", {"state": "receiving", "progress": 45, "bytes": 45, "total": 100})
    await wait_for(hass, lambda: hass.states.get(UPDATE).attributes["update_percentage"] == 45)
    fake_plug.push_state(ota={"state": "verifying", "progress": 100, "error": None})
    await wait_for(hass, lambda: hass.states.get(UPDATE).attributes["update_percentage"] == 100)
    entity._installing = False


async def test_version_strings_that_are_not_semver_still_compare(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry, tmp_path: Path
) -> None:
    fake_plug.info["fw"] = "custom-build"
    image = obli(board=BOARD)
    await _setup(hass, plug_entry, _publish(tmp_path, _manifest(image), image))
    assert hass.states.get(UPDATE).state == "on"


async def test_success_only_after_the_new_image_stays(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry, tmp_path: Path
) -> None:
    """Issue 14 item 9: the plug runs the new version on trial; a roll-back right after it first
    answered is a failed install, not a success."""
    image = obli(board=BOARD, version="0.2.0")
    await _setup(hass, plug_entry, _publish(tmp_path, _manifest(image), image))
    fake_plug.ota_next_fw = "0.2.0"
    fake_plug.ota_roll_back_after = 0.2
    with (
        patch("custom_components.openbl602_plug.update.CONFIRM_SECONDS", 0.6),
        pytest.raises(HomeAssistantError) as err,
    ):
        await _install(hass)
    assert err.value.translation_key == "install_failed"
    assert err.value.translation_placeholders["error"] == "rolled_back"
    assert hass.states.get(UPDATE).attributes["installed_version"] == "0.1.0"


async def test_a_second_install_is_refused_while_one_runs(
    hass: HomeAssistant, fake_plug: FakePlug, plug_entry: MockConfigEntry, tmp_path: Path
) -> None:
    image = obli(board=BOARD, version="0.2.0")
    await _setup(hass, plug_entry, _publish(tmp_path, _manifest(image), image))
    release = asyncio.Event()

    async def slow_install(self: Any) -> None:
        await release.wait()

    with patch("custom_components.openbl602_plug.update.OblFirmwareUpdate._install", slow_install):
        first = asyncio.get_running_loop().create_task(_install(hass))
        await asyncio.sleep(0.1)
        with pytest.raises(HomeAssistantError) as err:
            await _install(hass)
        assert err.value.translation_key == "install_in_progress"
        release.set()
        await first


async def test_busy_and_malformed_answers_while_rebooting_are_waited_out(
    hass: HomeAssistant,
    fake_plug: FakePlug,
    plug_entry: MockConfigEntry,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 14 item 10: 503 busy and a cut-off answer are the plug rebooting, not an error."""
    image = obli(board=BOARD, version="0.2.0")
    await _setup(hass, plug_entry, _publish(tmp_path, _manifest(image), image))
    fake_plug.ota_next_fw = "0.2.0"
    fake_plug.info_glitches = ["busy", "malformed", "busy"]
    with patch("custom_components.openbl602_plug.update.REBOOT_POLL_SECONDS", 0.05):
        await _install(hass)
    assert hass.states.get(UPDATE).attributes["installed_version"] == "0.2.0"
    ours = [r for r in caplog.records if r.name.startswith("custom_components")]
    assert not [r for r in ours if r.levelname == "ERROR"]
