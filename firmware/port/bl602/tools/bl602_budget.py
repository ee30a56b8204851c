#!/usr/bin/env python3
"""Flash, RAM and stack budgets of the BL602 image (scripts/build-bl602 output), printed as a table.

    bl602_budget.py --build build/bl602 [--markdown]      # exit 1 when a budget is not met

Flash: the firmware image (FW_OTA.bin: boot header + image, what a slot holds) against the smaller
FW slot of our partition table, and the OpenBeken route: the .xz.ota against OpenBeken's 544 KiB
slot and FW_OTA.bin against its 800 KiB slot (boot2 unpacks the XZ body there). Fail above 85 %.
RAM: what the image places statically in the 216 KiB TCM (data, bss, the start-up/interrupt
stack), the FreeRTOS heap the linker script leaves, our modules' share (map file). Fail above 85 %.
Stack: each task's worst path over the call graph GCC writes with -fcallgraph-info=su (*.ci: frame
sizes, direct calls), the indirect calls declared in stack_graph.txt (an indirect call in our code
without a declaration fails), and, for code built without it (C library, libgcc, vendor blobs),
frames and calls read from the ELF's disassembly; plus FreeRTOS's context save. Fails under 25 %
margin, on recursion, on an unbounded dynamic frame in our code, on a function without a frame.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import struct
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

FLASH_LIMIT = 0.85
RAM_LIMIT = 0.85
STACK_MARGIN = 0.25
OPENBEKEN_OTA_SLOT = 544 * 1024  # OpenBeken's 2 MiB table: the slot an OTA upload lands in
OPENBEKEN_RUN_SLOT = 800 * 1024  # ... and the one boot2 unpacks it into
TCM_START, TCM_SIZE = 0x4200C000, 216 * 1024  # SDK flash_rom.ld ram_tcm (no BLE: __EM_SIZE = 0)
WIFI_RAM_START, WIFI_RAM_SIZE = 0x42042000, 40 * 1024  # ram_wifi
OUR_LIB = "libopenbl602_plug.a("

HERE = Path(__file__).resolve().parent
DEFAULT_GRAPH = HERE / "stack_graph.txt"


class BudgetError(Exception):
    """Input that the tool cannot account for (it fails rather than guess)."""


# ---------------------------------------------------------------- call graph


@dataclasses.dataclass
class Func:
    key: str  # "path:name" for file-local functions, "name" for global ones (GCC's .ci titles)
    name: str
    path: str
    frame: int | None
    qualifier: str = "static"
    calls: set[str] = dataclasses.field(default_factory=set)
    indirect_sites: list[str] = dataclasses.field(default_factory=list)
    ours: bool = False


_NODE = re.compile(r'^node: \{ title: "([^"]*)" label: "([^"]*)"')
_EDGE = re.compile(r'^edge: \{ sourcename: "([^"]*)" targetname: "([^"]*)" label: "([^"]*)"')
_FRAME = re.compile(r"\\n(\d+) bytes \(([a-z,]+)\)")
_CLONE = re.compile(r"\.(constprop|isra|part|cold|lto_priv)\b.*$")
INDIRECT = "__indirect_call"


def base_name(name: str) -> str:
    """A function's source name without GCC's clone suffixes."""
    return _CLONE.sub("", name)


def parse_ci(text: str, ours: bool) -> tuple[dict[str, Func], list[tuple[str, str, str]]]:
    """Functions defined in one .ci file and its call edges (source, target, call site)."""
    funcs: dict[str, Func] = {}
    edges: list[tuple[str, str, str]] = []
    for line in text.splitlines():
        if m := _NODE.match(line):
            title, label = m.groups()
            frame = _FRAME.search(label)
            if frame is None or title == INDIRECT:
                continue  # a declaration: defined elsewhere
            name = label.split("\\n", 1)[0]
            path = title.rsplit(":", 1)[0] if ":" in title else label.split("\\n")[1].split(":")[0]
            funcs[title] = Func(title, name, path, int(frame.group(1)), frame.group(2), ours=ours)
        elif m := _EDGE.match(line):
            edges.append(m.groups())  # type: ignore[arg-type]
    return funcs, edges


@dataclasses.dataclass
class Decls:
    # name, stack bytes, context bytes, entries and CALLER=TARGET bindings
    tasks: list[tuple[str, int, int, list[str]]]
    indirect: dict[str, list[str]]  # caller ref -> target refs
    assumed: dict[str, int]  # function -> frame bytes (code with neither .ci nor disassembly)
    cuts: set[tuple[str, str]] = dataclasses.field(default_factory=set)  # edges that never happen


def parse_decls(text: str) -> Decls:
    d = Decls([], {}, {})
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].split()
        if not line:
            continue
        kind, args = line[0], line[1:]
        if kind == "task" and len(args) >= 4:
            d.tasks.append((args[0], int(args[1], 0), int(args[2], 0), args[3:]))
        elif kind == "indirect" and len(args) >= 2:
            d.indirect.setdefault(args[0], []).extend(args[1:])
        elif kind == "assume" and len(args) == 2:
            d.assumed[args[0]] = int(args[1], 0)
        elif kind == "cut" and len(args) == 2:
            d.cuts.add((args[0], args[1]))
        else:
            raise BudgetError(f"stack_graph line {n}: cannot read {raw.strip()!r}")
    return d


class Graph:
    def __init__(self) -> None:
        self.funcs: dict[str, Func] = {}

    def add_ci(self, text: str, ours: bool) -> None:
        funcs, edges = parse_ci(text, ours)
        for key, f in funcs.items():
            old = self.funcs.get(key)
            if old is None or (old.frame or 0) < (f.frame or 0):
                self.funcs[key] = f  # weak and strong definitions: keep the larger frame
        for src, dst, site in edges:
            caller = self.funcs.get(src)
            if caller is None:
                continue
            if dst == INDIRECT:
                caller.indirect_sites.append(site)
            else:
                caller.calls.add(dst)

    def add_disassembly(self, funcs: dict[str, tuple[int, set[str]]]) -> None:
        """Functions known only from the ELF (no .ci): frame and direct calls."""
        for name, (frame, calls) in funcs.items():
            if name not in self.funcs:
                self.funcs[name] = Func(name, name, "", frame, "elf", set(calls))

    def resolve(self, ref: str) -> list[str]:
        """Keys of the functions a reference names: `name` (global), `file.c:name` (file-local)."""
        if ":" not in ref:
            return [ref] if ref in self.funcs else []
        file, name = ref.rsplit(":", 1)
        return [
            k
            for k, f in self.funcs.items()
            if f.path and os.path.basename(f.path) == file and base_name(f.name) == name
        ]


@dataclasses.dataclass
class TaskResult:
    name: str
    stack: int
    context: int
    worst: int
    path: list[tuple[str, int]]

    @property
    def used(self) -> int:
        return self.worst + self.context

    @property
    def margin(self) -> float:
        return 1.0 - self.used / self.stack


Path_ = tuple[int, list[tuple[str, int]]]  # bytes, [(function, frame)] from the entry down


def _resolve_all(graph: Graph, refs: Iterable[str], what: str, problems: list[str]) -> set[str]:
    keys: set[str] = set()
    for ref in refs:
        found = graph.resolve(ref)
        if not found:
            problems.append(f"stack_graph: {what} {ref} not in the build")
        keys.update(found)
    return keys


def analyse_stacks(graph: Graph, decls: Decls) -> tuple[list[TaskResult], list[str]]:
    problems: list[str] = []
    indirect: dict[str, set[str]] = {}
    for caller_ref, target_refs in decls.indirect.items():
        targets = _resolve_all(graph, target_refs, f"target (of {caller_ref})", problems)
        for c in _resolve_all(graph, [caller_ref], "indirect caller", problems):
            indirect.setdefault(c, set()).update(targets)
    cuts = {
        (c, t)
        for caller, callee in decls.cuts
        for c in _resolve_all(graph, [caller], "cut caller", problems)
        for t in _resolve_all(graph, [callee], "cut callee", problems)
    }
    for f in graph.funcs.values():
        if f.ours and f.indirect_sites and f.key not in indirect:
            lines = ", ".join(
                sorted({s.rsplit(":", 2)[1] for s in f.indirect_sites if s.count(":") > 1})
            )
            problems.append(
                f"indirect call in {short(f.key)} without declared targets (lines {lines})"
            )
        if f.ours and f.qualifier.startswith("dynamic") and "bounded" not in f.qualifier:
            problems.append(f"{short(f.key)}: unbounded dynamic stack frame")

    unknown: set[str] = set()
    recursion: set[str] = set()

    def task_worst(entries: set[str], calls: dict[str, set[str]]) -> Path_:
        memo: dict[str, Path_] = {}

        def worst(key: str, active: list[str]) -> Path_:
            if key in memo:
                return memo[key]
            if key in active:
                recursion.add(" -> ".join(active[active.index(key) :] + [key]))
                return 0, []
            f = graph.funcs.get(key)
            if f is None:
                if key in decls.assumed:
                    return decls.assumed[key], [(key + " (assumed)", decls.assumed[key])]
                unknown.add(key)
                return 0, [(key + " (unknown)", 0)]
            active.append(key)
            best: Path_ = (0, [])
            cut_here = {t for c, t in cuts if c == key}
            for callee in sorted((f.calls | calls.get(key, set())) - cut_here):
                r = worst(callee, active)
                if r[0] > best[0]:
                    best = r
            active.pop()
            frame = f.frame or 0
            res = (frame + best[0], [(f.key, frame), *best[1]])
            memo[key] = res
            return res

        best: Path_ = (0, [])
        for k in sorted(entries):
            r = worst(k, [])
            if r[0] > best[0]:
                best = r
        return best

    results = []
    for name, stack, context, items in decls.tasks:
        # CALLER=TARGET[,TARGET] on a task line: what that indirect call reaches on this task only.
        calls = dict(indirect)
        entries: set[str] = set()
        for item in items:
            if "=" in item:
                caller, bound_refs = item.split("=", 1)
                bound = _resolve_all(graph, bound_refs.split(","), f"task {name} target", problems)
                for c in _resolve_all(graph, [caller], f"task {name} caller", problems):
                    calls[c] = bound
            else:
                entries |= _resolve_all(graph, [item], f"task {name} entry", problems)
        total, path = task_worst(entries, calls)
        res = TaskResult(name, stack, context, total, path)
        if res.margin < STACK_MARGIN:
            problems.append(f"task {name}: {res.used} of {stack} B stack, margin {res.margin:.0%}")
        results.append(res)
    problems.extend(f"recursion: {r} (a `cut` if it cannot happen)" for r in sorted(recursion))
    problems.extend(f"no frame size for {k} (an `assume` line)" for k in sorted(unknown))
    return results, problems


# ---------------------------------------------------------------- ELF and map

_DIS_FUNC = re.compile(r"^([0-9a-f]+) <([^>+]+)>:$")
_DIS_SP = re.compile(r"\taddi\s+sp,sp,-(\d+)$")
_DIS_CALL = re.compile(r"\t(?:jal|j)\s+(?:ra,)?[0-9a-f]+ <([^>+]+)>$")


def parse_disassembly(text: str) -> dict[str, tuple[int, set[str]]]:
    """objdump -d: per function its first stack adjustment and what it calls or tail-calls."""
    out: dict[str, tuple[int, set[str]]] = {}
    cur: str | None = None
    frame = 0
    calls: set[str] = set()
    for line in text.splitlines():
        if m := _DIS_FUNC.match(line):
            if cur is not None:
                out[cur] = (frame, calls)
            cur, frame, calls = m.group(2), -1, set()
            continue
        if cur is None:
            continue
        if frame < 0 and (m := _DIS_SP.search(line)):
            frame = int(m.group(1))
        if (m := _DIS_CALL.search(line)) and m.group(1) != cur:
            calls.add(m.group(1))
    if cur is not None:
        out[cur] = (frame, calls)
    return {k: (max(v[0], 0), v[1]) for k, v in out.items()}


@dataclasses.dataclass
class ElfInfo:
    sections: list[tuple[str, int, int]]  # name, address, size (allocated sections)
    symbols: dict[str, int]


def read_elf(path: Path) -> ElfInfo:
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        raise BudgetError(f"{path}: not a 32-bit little-endian ELF")
    (shoff,) = struct.unpack_from("<I", data, 32)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 46)
    hdrs = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    shstr = hdrs[shstrndx]

    def name_at(table: tuple[int, ...], off: int) -> str:
        start = table[4] + off
        return data[start : data.index(b"\0", start)].decode()

    sections = []
    symbols: dict[str, int] = {}
    for h in hdrs:
        name = name_at(shstr, h[0])
        if h[2] & 2 and h[5]:  # SHF_ALLOC
            sections.append((name, h[3], h[5]))
        if h[1] == 2:  # SHT_SYMTAB
            strtab = hdrs[h[6]]
            for off in range(h[4], h[4] + h[5], 16):
                st_name, st_value = struct.unpack_from("<II", data, off)
                if st_name:
                    symbols.setdefault(name_at(strtab, st_name), st_value)
    return ElfInfo(sections, symbols)


_MAP_IN = re.compile(r"^ (\S+)(?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(.*))?$")
_MAP_CONT = re.compile(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")


def map_sizes(text: str) -> Iterable[tuple[int, int, str]]:
    """(address, size, input file) of each input section placed by the linker (GNU ld map file)."""
    body = text.split("Linker script and memory map", 1)[-1]
    pending = False
    for line in body.splitlines():
        if line.startswith(" ") and not line.startswith("  ") and (m := _MAP_IN.match(line)):
            if m.group(2) is None:
                pending = True
                continue
            pending = False
            yield int(m.group(2), 16), int(m.group(3), 16), m.group(4)
        elif pending and (m := _MAP_CONT.match(line)):
            pending = False
            yield int(m.group(1), 16), int(m.group(2), 16), m.group(3)
        else:
            pending = False


# ---------------------------------------------------------------- report


@dataclasses.dataclass
class Row:
    group: str
    item: str
    used: int
    limit: int | None
    note: str = ""
    ok: bool = True

    def pct(self) -> str:
        return f"{self.used / self.limit:.1%}" if self.limit else ""


def flash_rows(build: Path, table: Path) -> list[Row]:
    pt = tomllib.loads(table.read_text())
    fw = next(e for e in pt["pt_entry"] if e["name"] == "FW")
    slot = min(fw["size0"], fw["size1"])
    image = (build / "FW_OTA.bin").stat().st_size
    xz_ota = (build / "openbl602_plug.xz.ota").stat().st_size
    rows = [
        Row("flash", "FW_OTA.bin vs our FW slot", image, slot, f"{slot // 1024} KiB, limit 85 %"),
        Row("flash", ".xz.ota vs OpenBeken OTA slot", xz_ota, OPENBEKEN_OTA_SLOT, "limit 85 %"),
        Row("flash", "FW_OTA.bin vs OpenBeken run slot", image, OPENBEKEN_RUN_SLOT, "limit 85 %"),
    ]
    for r in rows:
        r.ok = r.used <= FLASH_LIMIT * (r.limit or 0)
    return rows


def ram_rows(elf: ElfInfo, map_text: str) -> list[Row]:
    def in_tcm(addr: int) -> bool:
        return TCM_START <= addr < TCM_START + TCM_SIZE

    static = sum(size for _, addr, size in elf.sections if in_tcm(addr))
    heap = elf.symbols.get("_heap_size", 0)
    wifi_end = WIFI_RAM_START + WIFI_RAM_SIZE
    wifi_static = sum(size for _, addr, size in elf.sections if WIFI_RAM_START <= addr < wifi_end)
    ours_ram = ours_flash = 0
    for addr, size, file in map_sizes(map_text):
        if OUR_LIB not in file:
            continue
        if in_tcm(addr):
            ours_ram += size
        elif 0x23000000 <= addr < 0x23400000:
            ours_flash += size
    rows = [
        Row("ram", "static in TCM (data+bss+irq stack)", static, TCM_SIZE, "limit 85 %"),
        Row("ram", "  of which our modules", ours_ram, TCM_SIZE, "incl. our task stacks"),
        Row("ram", "FreeRTOS heap left in TCM", heap, TCM_SIZE, "+ Wi-Fi RAM heap"),
        Row("ram", "Wi-Fi RAM static (.wifibss)", wifi_static, WIFI_RAM_SIZE, "40 KiB region"),
        Row("flash", "  our modules' code+rodata", ours_flash, None, "of the image"),
    ]
    rows[0].ok = static <= RAM_LIMIT * TCM_SIZE
    return rows


def short(key: str) -> str:
    """`file.c:func` for a file-local function, `func` for a global one."""
    if ":" not in key:
        return key
    path, name = key.rsplit(":", 1)
    return f"{os.path.basename(path)}:{name}"


def stack_rows(results: list[TaskResult]) -> list[Row]:
    rows = []
    for r in results:
        deepest = " > ".join(base_name(k.rsplit(":", 1)[-1]) for k, _ in r.path[:12])
        rows.append(
            Row(
                "stack",
                f"task {r.name}",
                r.used,
                r.stack,
                f"margin {r.margin:.0%} (min 25 %), {r.worst} + context {r.context}: {deepest}",
                r.margin >= STACK_MARGIN,
            )
        )
    return rows


def render(rows: list[Row], markdown: bool) -> str:
    if markdown:
        out = ["| budget | item | bytes | of | use | note |", "|---|---|---:|---:|---:|---|"]
        for r in rows:
            out.append(
                f"| {r.group} | {r.item} | {r.used:,} | {r.limit:,} | {r.pct()} | {r.note} |"
                if r.limit
                else f"| {r.group} | {r.item} | {r.used:,} | | | {r.note} |"
            )
        return "\n".join(out)
    out = [f"{'budget':6} {'item':38} {'bytes':>9} {'of':>9} {'use':>6}  ok  note"]
    for r in rows:
        limit = f"{r.limit:9d}" if r.limit else " " * 9
        ok = "ok" if r.ok else "NO"
        out.append(f"{r.group:6} {r.item:38} {r.used:9d} {limit} {r.pct():>6}  {ok}  {r.note}")
    return "\n".join(out)


def objdump_text(elf: Path) -> str:
    tool = shutil.which("riscv64-unknown-elf-objdump")
    if tool is None:
        raise BudgetError("riscv64-unknown-elf-objdump not found")
    return subprocess.run([tool, "-d", str(elf)], check=True, capture_output=True, text=True).stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", type=Path, default=Path("build/bl602"))
    ap.add_argument("--ptable", type=Path, default=HERE.parent / "img_conf/partition_cfg_2M.toml")
    ap.add_argument("--graph", type=Path, default=DEFAULT_GRAPH)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--path", action="store_true", help="print each task's deepest path")
    args = ap.parse_args(argv)
    try:
        elf_path = args.build / "openbl602_plug.elf"
        elf = read_elf(elf_path)
        graph = Graph()
        objs = args.build / "objs"
        for ci in sorted(objs.rglob("*.ci")):
            ours = ci.relative_to(objs).parts[0] == "openbl602_plug"  # our component's objects
            graph.add_ci(ci.read_text(errors="replace"), ours=ours)
        graph.add_disassembly(parse_disassembly(objdump_text(elf_path)))
        results, problems = analyse_stacks(graph, parse_decls(args.graph.read_text()))
        rows = flash_rows(args.build, args.ptable)
        rows += ram_rows(elf, (args.build / "openbl602_plug.map").read_text(errors="replace"))
        rows += stack_rows(results)
    except (BudgetError, OSError, KeyError, StopIteration) as err:
        print(f"bl602_budget: {err}", file=sys.stderr)
        return 2
    print(render(rows, args.markdown))
    if args.path:
        for t in results:
            print(f"\n{t.name}: {t.used} B")
            for key, frame in t.path:
                print(f"  {frame:6d}  {short(key)}")
    failed = [r for r in rows if not r.ok]
    for p in problems:
        print(f"PROBLEM: {p}")
    for r in failed:
        print(f"OVER BUDGET: {r.group} {r.item}: {r.used} of {r.limit} ({r.pct()})")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
