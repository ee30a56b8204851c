"""A scripts/release output, installed through HA's update entity onto a simulated plug.

The release is signed and the plug holds the public key, so the plug accepts only what the release
signed. It is made without the BL602 firmware build (--no-bl602): that takes minutes and has its
own stage in scripts/test; the manifest with the BL602 entry is tested in
tests/client/test_release_manifest.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from custom_components.openbl602_plug.client import OblHttpClient
from custom_components.openbl602_plug.const import CONF_FIRMWARE_MANIFEST, DOMAIN

from .conftest import SimPlug

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "firmware/tools/obl_image.py"


def _run(*args: str | Path, cwd: Path = ROOT) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, check=True, capture_output=True, text=True, timeout=120
    )
    return done.stdout


def _make_release(version: str, out: Path, key: Path) -> dict[str, object]:
    """scripts/release as a maintainer runs it; returns the manifest."""
    _run(sys.executable, TOOL, "keygen", "--out", key)
    _run(ROOT / "scripts/release", version, "--key", key, "--out", out, "--no-bl602")
    _run("sha256sum", "--check", "--quiet", "SHA256SUMS", cwd=out)
    manifest: dict[str, object] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return manifest


async def test_update_entity_installs_a_signed_release_on_the_sim(
    hass: HomeAssistant, sim_factory: Callable[..., SimPlug], tmp_path: Path
) -> None:
    key = tmp_path / "release-key.pem"
    release_dir = tmp_path / "release"
    manifest = await hass.async_add_executor_job(_make_release, "9.3.0", release_dir, key)
    assert manifest["version"] == "9.3.0"
    images = manifest["images"]
    assert isinstance(images, list)
    assert [img["board"] for img in images] == ["posix-sim"]

    sim = sim_factory("relsim")
    # the plug trusts the release key: from now on it takes only images that key signed
    public_key = (
        await hass.async_add_executor_job(_run, sys.executable, TOOL, "pubkey", "--key", key)
    ).strip()
    async with aiohttp.ClientSession() as session:
        await OblHttpClient(session, sim.host, sim.http_port).patch_config(
            {"ota_public_key": public_key}
        )

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": sim.host, "port": sim.http_port, "protect": False}
    )
    assert result["type"] == "create_entry", result
    entry = result["result"]
    hass.config_entries.async_update_entry(
        entry, options={CONF_FIRMWARE_MANIFEST: str(release_dir / "manifest.json")}
    )
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    await entry.runtime_data.firmware.async_refresh()
    await hass.async_block_till_done()

    update = er.async_get(hass).async_get_entity_id("update", DOMAIN, f"{entry.unique_id}_firmware")
    assert update is not None
    state = hass.states.get(update)
    assert state.state == "on"
    assert state.attributes["latest_version"] == "9.3.0"
    assert state.attributes["installed_version"] != "9.3.0"

    await hass.services.async_call("update", "install", {ATTR_ENTITY_ID: update}, blocking=True)
    state = hass.states.get(update)
    assert state.attributes["installed_version"] == "9.3.0"
    assert state.state == "off"
    async with aiohttp.ClientSession() as session:
        info = await OblHttpClient(session, sim.host, sim.http_port).info()
    assert info.firmware == "9.3.0"  # the plug itself reports the released version
    await hass.config_entries.async_unload(entry.entry_id)
