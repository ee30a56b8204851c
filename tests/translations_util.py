"""Resolves the [%key:...%] references of strings.json the way HA core's translation build does.

Custom integrations ship translations/en.json as HA reads it at run time, so every reference must be
resolved there; test_translations.py checks en.json against this resolution.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import homeassistant

HA = Path(homeassistant.__file__).parent
_REF = re.compile(r"\[%key:([a-z0-9_:]+)%\]")


def _lookup(ref: str) -> str:
    parts = ref.split("::")
    if parts[0] == "common":
        node: Any = json.loads((HA / "strings.json").read_text())["common"]
        parts = parts[1:]
    elif parts[0] == "component":
        node = json.loads((HA / "components" / parts[1] / "translations" / "en.json").read_text())
        parts = parts[2:]
    else:
        raise KeyError(ref)
    for part in parts:
        node = node[part]
    if not isinstance(node, str):
        raise KeyError(ref)
    return node


def resolve(node: Any) -> Any:
    """A copy of node with every reference replaced by its text."""
    if isinstance(node, dict):
        return {key: resolve(value) for key, value in node.items()}
    if isinstance(node, str):
        return _REF.sub(lambda m: _lookup(m.group(1)), node)
    return node
