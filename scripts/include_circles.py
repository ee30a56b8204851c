#!/usr/bin/env python3
"""Fails when firmware/core's include graph has a circle (docs/architecture.md, "Layers").

A unit is a .c file together with its .h (app/app_publish.c + app/app_publish.h); unit A
depends on unit B when a file of A includes B's header. A circle is any path of such
dependencies that returns to its start.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "firmware" / "core"
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def unit_of(path: Path) -> str:
    return str(path.relative_to(CORE).with_suffix(""))


def graph() -> dict[str, set[str]]:
    units: dict[str, set[str]] = {}
    for path in sorted(CORE.rglob("*.[ch]")):
        deps = units.setdefault(unit_of(path), set())
        for name in INCLUDE.findall(path.read_text(errors="replace")):
            for base in (CORE, path.parent):
                target = base / name
                if target.is_file():
                    dep = unit_of(target)
                    if dep != unit_of(path):
                        deps.add(dep)
                    break
    return units


def circles(units: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(u: str) -> None:
        state[u] = 1
        path.append(u)
        for v in sorted(units.get(u, ())):
            if state.get(v) == 1:
                found.append(path[path.index(v) :] + [v])
            elif v not in state:
                visit(v)
        path.pop()
        state[u] = 2

    for u in sorted(units):
        if u not in state:
            visit(u)
    return found


def main() -> int:
    units = graph()
    found = circles(units)
    for c in found:
        print("include circle: " + " -> ".join(c), file=sys.stderr)
    print(f"include graph: {len(units)} units of firmware/core, {len(found)} circles")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
