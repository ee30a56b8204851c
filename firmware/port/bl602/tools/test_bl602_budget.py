"""bl602_budget.py on a tiny synthetic call graph, disassembly and map (no SDK or build needed)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bl602_budget as b


def node(title: str, name: str, frame: int | None, qual: str = "static") -> str:
    size = f"\\n{frame} bytes ({qual})" if frame is not None else ""
    return f'node: {{ title: "{title}" label: "{name}\\n/src/{title.split(":")[0]}:1:1{size}" }}'


def edge(src: str, dst: str, site: str = "/src/a.c:9:3") -> str:
    return f'edge: {{ sourcename: "{src}" targetname: "{dst}" label: "{site}" }}'


# task_entry (16) -> step (100) -> [indirect] big_handler (1000) | small_handler (10)
#                               -> leaf (50) -> memcpy (elf, 32)
OURS = "\n".join(
    [
        node("/src/a.c:task_entry", "task_entry", 16),
        node("/src/a.c:step.constprop.0", "step.constprop", 100),
        node("__indirect_call", "Indirect Call Placeholder", None),
        node("big_handler", "big_handler", 1000),
        node("small_handler", "small_handler", 10),
        node("leaf", "leaf", 50),
        node("memcpy", "memcpy", None),
        edge("/src/a.c:task_entry", "/src/a.c:step.constprop.0"),
        edge("/src/a.c:step.constprop.0", "__indirect_call", "/src/a.c:20:5"),
        edge("/src/a.c:step.constprop.0", "leaf"),
        edge("leaf", "memcpy"),
    ]
)
DISASM = """
23000000 <memcpy>:
23000000:\t1101                \taddi\tsp,sp,-32
23000002:\t2021                \tjal\t23000010 <helper>
23000004:\t8082                \tret

23000010 <helper>:
23000010:\t8082                \tret
"""


def graph(extra: str = "") -> b.Graph:
    g = b.Graph()
    g.add_ci(OURS + "\n" + extra, ours=True)
    g.add_disassembly(b.parse_disassembly(DISASM))
    return g


def run(decls: str, g: b.Graph | None = None) -> tuple[list[b.TaskResult], list[str]]:
    return b.analyse_stacks(g or graph(), b.parse_decls(decls))


def test_undeclared_indirect_call_in_our_code_fails() -> None:
    results, problems = run("task t 4096 256 a.c:task_entry\n")
    want = "indirect call in a.c:step.constprop.0 without declared targets (lines 20)"
    assert want in problems
    assert results[0].worst == 16 + 100 + 50 + 32  # without targets only the direct calls count


def test_declared_targets_and_context_give_the_worst_path() -> None:
    decls = "task t 2048 256 a.c:task_entry\nindirect a.c:step big_handler small_handler\n"
    results, problems = run(decls)
    assert problems == []
    r = results[0]
    assert r.worst == 16 + 100 + 1000
    assert r.used == r.worst + 256
    path = [b.short(k) for k, _ in r.path]
    assert path == ["a.c:task_entry", "a.c:step.constprop.0", "big_handler"]


def test_margin_under_25_percent_fails() -> None:
    # 1372 of 1800 B: 24 % left
    results, problems = run("task t 1800 256 a.c:task_entry\nindirect a.c:step big_handler\n")
    assert results[0].margin < 0.25
    assert any("task t: 1372 of 1800 B stack" in p for p in problems)
    results, problems = run("task t 1830 256 a.c:task_entry\nindirect a.c:step big_handler\n")
    assert problems == []


def test_task_binding_narrows_an_indirect_call() -> None:
    decls = (
        "task t 4096 0 a.c:task_entry a.c:step=small_handler\n"
        "indirect a.c:step big_handler small_handler\n"
    )
    results, problems = run(decls)
    assert problems == []
    assert results[0].worst == 16 + 100 + 50 + 32


def test_recursion_fails_unless_cut() -> None:
    g = graph(edge("leaf", "/src/a.c:task_entry"))
    decls = "task t 4096 0 a.c:task_entry\nindirect a.c:step small_handler\n"
    _, problems = run(decls, g)
    assert any(p.startswith("recursion: ") for p in problems)
    g = graph(edge("leaf", "/src/a.c:task_entry"))
    _, problems = run(decls + "cut leaf a.c:task_entry\n", g)
    assert problems == []


def test_function_without_frame_fails_unless_assumed() -> None:
    g = graph(edge("small_handler", "rom_func"))
    decls = "task t 4096 0 a.c:task_entry\nindirect a.c:step small_handler\n"
    _, problems = run(decls, g)
    assert any("no frame size for rom_func" in p for p in problems)
    g = graph(edge("small_handler", "rom_func"))
    results, problems = run(decls + "assume rom_func 2000\n", g)
    assert problems == []
    assert results[0].worst == 16 + 100 + 10 + 2000


def test_declaration_of_a_missing_function_fails() -> None:
    _, problems = run("task t 4096 0 a.c:task_entry\nindirect a.c:step gone\n")
    assert any("gone" in p and "not in the build" in p for p in problems)


def test_unbounded_dynamic_frame_in_our_code_fails() -> None:
    g = graph(node("vla", "vla", 64, "dynamic"))
    _, problems = run("task t 4096 0 a.c:task_entry\nindirect a.c:step small_handler\n", g)
    assert any("vla: unbounded dynamic stack frame" in p for p in problems)


def test_disassembly_gives_frames_and_calls() -> None:
    funcs = b.parse_disassembly(DISASM)
    assert funcs["memcpy"] == (32, {"helper"})
    assert funcs["helper"] == (0, set())


def test_map_sizes_read_both_line_forms() -> None:
    text = """ignored
Linker script and memory map

 .text.short    0x23001000       0x40 /x/libopenbl602_plug.a(a.o)
 .bss.a_rather_long_section_name
                0x4200e000      0x100 /x/libopenbl602_plug.a(b.o)
 *(.data)
                0x4200f000                . = ALIGN (0x4)
"""
    assert list(b.map_sizes(text)) == [
        (0x23001000, 0x40, "/x/libopenbl602_plug.a(a.o)"),
        (0x4200E000, 0x100, "/x/libopenbl602_plug.a(b.o)"),
    ]
