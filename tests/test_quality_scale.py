"""quality_scale.yaml lists every Bronze to Platinum rule, and the static facts behind "done" hold.

Behavioural rules are proven elsewhere: config flow (test_config_flow.py, 100 %), unloading and
availability logging (test_init.py), action exceptions (test_services.py, test_platforms.py),
diagnostics (test_diagnostics.py), repairs (test_init.py), discovery over MQTT (test_mqtt.py).
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml
from homeassistant.const import Platform

from custom_components.openbl602_plug import PLATFORMS

from .translations_util import resolve

COMPONENT = Path(__file__).resolve().parent.parent / "custom_components" / "openbl602_plug"

RULES = {
    "bronze": [
        "action-setup", "appropriate-polling", "brands", "common-modules", "config-flow",
        "config-flow-test-coverage", "dependency-transparency", "docs-actions",
        "docs-high-level-description", "docs-installation-instructions",
        "docs-removal-instructions", "entity-event-setup", "entity-unique-id", "has-entity-name",
        "runtime-data", "test-before-configure", "test-before-setup", "unique-config-entry",
    ],
    "silver": [
        "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
        "docs-installation-parameters", "entity-unavailable", "integration-owner",
        "log-when-unavailable", "parallel-updates", "reauthentication-flow", "test-coverage",
    ],
    "gold": [
        "devices", "diagnostics", "discovery-update-info", "discovery", "docs-data-update",
        "docs-examples", "docs-known-limitations", "docs-supported-devices",
        "docs-supported-functions", "docs-troubleshooting", "docs-use-cases", "dynamic-devices",
        "entity-category", "entity-device-class", "entity-disabled-by-default",
        "entity-translations", "exception-translations", "icon-translations",
        "reconfiguration-flow", "repair-issues", "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}  # fmt: skip


def _strings() -> dict:
    return json.loads((COMPONENT / "strings.json").read_text())


ROOT = COMPONENT.parent.parent


def _rules() -> dict[str, dict[str, str]]:
    rules: dict[str, dict[str, str]] = yaml.safe_load(
        (COMPONENT / "quality_scale.yaml").read_text()
    )["rules"]
    return rules


def _evidence(comment: str) -> list[str]:
    if "evidence:" not in comment:
        return []
    return [item.strip() for item in comment.split("evidence:", 1)[1].split(",") if item.strip()]


def test_every_rule_has_a_status_and_every_claim_its_evidence() -> None:
    rules = _rules()
    assert set(rules) == {rule for tier in RULES.values() for rule in tier}
    for rule, value in rules.items():
        assert isinstance(value, dict), f"{rule}: give status and comment"
        status, comment = value["status"], value.get("comment", "")
        assert status in ("done", "exempt", "todo"), rule
        if status != "done":
            assert len(comment) > 20, f"{rule}: say why"
            continue
        items = _evidence(comment)
        assert items, f"{rule}: a done rule names its evidence"
        for item in items:
            path, _, test = item.partition("::")
            file = ROOT / path
            assert file.exists(), f"{rule}: {path} does not exist"
            if test:
                assert re.search(rf"^(async )?def {re.escape(test)}\(", file.read_text(), re.M), (
                    f"{rule}: {item} is not a test"
                )


def test_the_manifest_claims_the_tier_the_rules_reach() -> None:
    rules = _rules()
    reached = None
    for tier, names in RULES.items():
        if any(rules[name]["status"] == "todo" for name in names):
            break
        reached = tier
    manifest = json.loads((COMPONENT / "manifest.json").read_text())
    assert manifest.get("quality_scale") == reached


def test_docs_cover_what_the_docs_rules_ask() -> None:
    doc = (COMPONENT / "README.md").read_text()
    for heading in (
        "Supported devices",
        "Installation",
        "Configuration parameters",
        "Options",
        "Removal",
        "Data updates",
        "Entities",
        "Actions",
        "Examples",
        "Use cases",
        "Known limitations",
        "Troubleshooting",
    ):
        assert re.search(rf"^#+ {heading}", doc, re.M), heading
    for service in ("openbl602_plug.calibrate", "openbl602_plug.reset_energy"):
        assert service in doc


def test_every_platform_sets_parallel_updates() -> None:
    for platform in PLATFORMS:
        module = importlib.import_module(f"custom_components.openbl602_plug.{platform.value}")
        assert isinstance(module.PARALLEL_UPDATES, int), platform


def test_translations_file_is_the_resolved_strings() -> None:
    english = json.loads((COMPONENT / "translations" / "en.json").read_text())
    assert english == resolve(_strings())


def _string_literals_after(keyword: str) -> set[str]:
    found: set[str] = set()
    for path in COMPONENT.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.keyword)
                and node.arg == keyword
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                found.add(node.value.value)
            if (
                isinstance(node, ast.Assign)
                and any(
                    isinstance(t, ast.Name) and t.id == f"_attr_{keyword}" for t in node.targets
                )
                and isinstance(node.value, ast.Constant)
            ):
                found.add(node.value.value)
    return found


def test_every_exception_translation_key_exists() -> None:
    used = _string_literals_after("translation_key") - {
        key for platform in _strings()["entity"].values() for key in platform
    }
    issues = set(_strings()["issues"])
    missing = {key for key in used if key not in _strings()["exceptions"] and key not in issues}
    assert not missing


def test_every_entity_translation_key_has_a_name_and_icons_refer_to_real_keys() -> None:
    entity = _strings()["entity"]
    for platform in (p.value for p in PLATFORMS):
        module_src = (COMPONENT / f"{platform}.py").read_text()
        keys = set(re.findall(r'translation_key\s*=\s*"([a-z_]+)"', module_src))
        keys |= set(re.findall(r'_attr_translation_key = "([a-z_]+)"', module_src))
        keys -= set(_strings()["exceptions"])
        for key in keys:
            assert "name" in entity[platform][key], (platform, key)
    icons = json.loads((COMPONENT / "icons.json").read_text())
    for platform, keys in icons["entity"].items():
        for key in keys:
            assert key in entity[platform], (platform, key)


def test_actions_are_described() -> None:
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text())
    strings = _strings()["services"]
    icons = json.loads((COMPONENT / "icons.json").read_text())["services"]
    for name, spec in services.items():
        assert set(spec["fields"]) == set(strings[name]["fields"]), name
        assert name in icons


def test_only_our_platforms() -> None:
    assert set(PLATFORMS) <= set(Platform)


def test_brand_icons_are_square_pngs() -> None:
    from PIL import Image

    for name, size in (("icon.png", 256), ("icon@2x.png", 512)):
        with Image.open(COMPONENT / "brand" / name) as image:
            assert image.format == "PNG"
            assert image.size == (size, size)


def test_config_flow_coverage_is_complete_while_the_rule_is_claimed() -> None:
    """config-flow-test-coverage done means 100 %, measured over the tests the rule names."""
    rule = _rules()["config-flow-test-coverage"]
    if rule["status"] != "done":
        return
    tests = [
        item
        for item in _evidence(rule.get("comment", ""))
        if item.startswith("tests/") and "test_quality_scale" not in item
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COV_CORE")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",
            "--cov=custom_components.openbl602_plug.config_flow",
            "--cov-report=term-missing",
            "--cov-fail-under=100",
            *tests,
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
