"""docs/protocol.schema.json as a validator that answers with the plug's error codes (protocol §4).

Used by the contract tests and by tests/fakeplug.py, so the in-process fake refuses exactly what the
firmware's validator refuses (the sim is checked against the same cases).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "protocol.schema.json"

# The plug's "integer" is a JSON number written without fraction or exponent: 5.0 is wrong_type.
# JSON Schema's own "integer" accepts 5.0, so the type checker is narrowed.
_TYPES = Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
)
_Validator = jsonschema.validators.extend(Draft202012Validator, type_checker=_TYPES)

_CODES = {
    "type": "wrong_type",
    "enum": "invalid_value",
    "const": "invalid_value",
    "pattern": "invalid_value",
    "minimum": "out_of_range",
    "maximum": "out_of_range",
    "exclusiveMinimum": "out_of_range",
    "exclusiveMaximum": "out_of_range",
    "maxLength": "too_long",
    "minLength": "too_short",
    "required": "required",
    "minProperties": "required",
}


@cache
def schema() -> dict[str, Any]:
    """The whole protocol schema."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return loaded


def _validator(pointer: str) -> Any:
    root = schema()
    resource = Resource.from_contents(root)
    registry: Registry[Any] = Registry().with_resource(root["$id"], resource)
    return _Validator({"$ref": f"{root['$id']}#{pointer}"}, registry=registry)


@cache
def validator(name: str) -> Any:
    """A validator for one $defs entry ("state") or a JSON pointer ("/http/...")."""
    return _validator(name if name.startswith("/") else f"/$defs/{name}")


def endpoint_validator(endpoint: str, part: str = "request") -> Any:
    """Validator of an HTTP endpoint's request or response body ("POST /api/v1/relay")."""
    return _validator(f"/http/{endpoint.replace('/', '~1').replace(' ', '%20')}/{part}")


def _field(path: Iterable[Any], extra: str | None = None) -> str:
    parts = [str(p) for p in path]
    if extra is not None:
        parts.append(extra)
    return ".".join(parts)


def _codes(error: ValidationError) -> Iterator[tuple[str, str]]:
    keyword = error.validator
    if keyword in ("anyOf", "oneOf") and error.context:
        # "0 or 10..4000", "0 or 8..63 bytes": the plug names the last alternative's failure.
        last = max(int(e.schema_path[0]) for e in error.context)
        for sub in error.context:
            if int(sub.schema_path[0]) == last:
                yield from _codes(sub)
        return
    if keyword == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        for key in sorted(set(error.instance) - known):
            yield "unknown_field", _field(error.absolute_path, key)
        return
    if keyword == "required":
        missing = error.message.split("'")[1]
        yield "required", _field(error.absolute_path, missing)
        return
    yield _CODES.get(str(keyword), str(keyword)), _field(error.absolute_path)


def errors(validator_: Any, document: Any) -> list[tuple[str, str]]:
    """(code, dotted field) for every violation, in the plug's vocabulary."""
    found: set[tuple[str, str]] = set()
    for error in validator_.iter_errors(document):
        found.update(_codes(error))
    # A value of the wrong type is only that (the plug checks the type first).
    wrong_type = {field for code, field in found if code == "wrong_type"}
    return sorted((c, f) for c, f in found if c == "wrong_type" or f not in wrong_type)


def _read_only(node: dict[str, Any], patch: Any, path: list[str]) -> Iterator[tuple[str, str]]:
    if not isinstance(patch, dict):
        return
    for key, value in patch.items():
        sub = node.get("properties", {}).get(key)
        if sub is None:
            continue
        if sub.get("readOnly"):
            yield "read_only", ".".join([*path, key])
        elif sub.get("type") == "object":
            yield from _read_only(sub, value, [*path, key])


def config_patch_errors(patch: Any) -> list[tuple[str, str]]:
    """What the plug answers to PATCH /api/v1/config with this body ([] = accepted)."""
    if not isinstance(patch, dict):
        return [("invalid_json", "")]
    found = set(errors(validator("config"), patch))
    found |= set(_read_only(schema()["$defs"]["config"], patch, []))
    return sorted(found)


def config_leaves(
    node: dict[str, Any] | None = None, path: str = ""
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(dotted field, schema) of every scalar config field."""
    node = node if node is not None else schema()["$defs"]["config"]
    for key, sub in node["properties"].items():
        dotted = f"{path}{key}"
        if sub.get("type") == "object":
            yield from config_leaves(sub, f"{dotted}.")
        else:
            yield dotted, sub


def nest(field: str, value: Any) -> dict[str, Any]:
    """{"a": {"b": value}} from "a.b"."""
    doc: Any = value
    for part in reversed(field.split(".")):
        doc = {part: doc}
    return dict(doc)


def config_leaves_of(patch: dict[str, Any], path: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted field, value) of every scalar in a PATCH body."""
    for key, value in patch.items():
        if isinstance(value, dict):
            yield from config_leaves_of(value, f"{path}{key}.")
        else:
            yield f"{path}{key}", value
