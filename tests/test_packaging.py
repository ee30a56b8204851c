"""HACS and Home Assistant packaging: the files HACS and HA read before any code runs."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "custom_components" / "openbl602_plug"


def _manifest() -> dict:
    return json.loads((COMPONENT / "manifest.json").read_text())


def test_manifest_has_every_key_hacs_and_hassfest_require() -> None:
    manifest = _manifest()
    for key in (
        "domain",
        "name",
        "codeowners",
        "documentation",
        "issue_tracker",
        "version",
        "iot_class",
        "config_flow",
        "requirements",
    ):
        assert key in manifest, key
    assert manifest["domain"] == COMPONENT.name
    assert manifest["iot_class"] == "local_push"
    assert manifest["config_flow"] is True
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])


def test_manifest_discovery_matches_the_protocol() -> None:
    manifest = _manifest()
    assert manifest["zeroconf"] == ["_openbl602._tcp.local."]
    assert manifest["mqtt"] == ["openbl602/+/info"]
    assert {"hostname": "openbl602-*"} in manifest["dhcp"]


def test_hacs_json_names_a_minimum_home_assistant_version() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert hacs["name"]
    assert re.fullmatch(r"\d{4}\.\d+\.\d+", hacs["homeassistant"])


def test_requirements_pin_the_home_assistant_test_harness() -> None:
    lines = (ROOT / "requirements_test.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in lines if "==" in line and not line.startswith("#"))
    assert pins["homeassistant"] == "2025.4.4"
    assert pins["pytest-homeassistant-custom-component"] == "0.13.236"
