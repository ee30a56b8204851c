"""Boot smoke test of the real BL602 image in the emulator: what a plug must do after power-up.

Boot 1 runs the factory image from an erased-settings flash for `seconds` of simulated time (past
the supervisor's 30 s good-boot mark by default); boot 2 powers the same flash up again. Checked:
  - no CPU exception, assert, stack-overflow/malloc-failed hook, unexpected reboot or trap vector
    (machine.py);
  - our boot log lines on UART0 and none of our error lines;
  - the watchdog enabled and fed often enough that it never expires;
  - settings written to the flash's settings partition in boot 1 and read back by boot 2: the
    supervisor's persisted boot counter (boot 2 must report boot 1's number + 1), and a config
    change made over HTTP in boot 1 (PATCH /api/v1/config: a name and startup "on"), which boot 2
    must serve from GET /api/v1/config and apply at power-up (relay on);
  - the FreeRTOS heap's minimum-ever-free and our tasks' stack high-water marks inside the budgets.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import partition_table
from .elf32 import Elf32
from .freertos_stats import FreeRtosStats, TaskStack
from .http_client import Exchange, LoopbackHttp, Request
from .machine import SLICE, Bl602
from .nor_flash import SECTOR, NorFlash

# What boot 1 changes over HTTP and boot 2 must still have.
PATCH = {"name": "emu boot test", "startup": "on"}
BOOT1_REQUESTS = (
    Request("GET", "/api/v1/info"),
    Request("PATCH", "/api/v1/config", json.dumps(PATCH).encode()),
)
BOOT2_REQUESTS = (Request("GET", "/api/v1/config"),)
ROM_SHA256 = "71229c3fd4b0ca0e39e676c65e64b7a14f91f51c42dad9c86db3d0cf67c1c52f"
CPU_HZ = 160_000_000


@dataclass(frozen=True)
class Budgets:
    # Fail under 25 % free stack in any of our tasks: "main" is the SDK's app task, which runs
    # main() and with it obl_app_init(); obl_main and obl_net run the core's two loops.
    stack_margin: float = 0.25
    # The interrupt stack too: on the plug our GPIO edge handler runs on it besides the tick.
    our_tasks: tuple[str, ...] = ("main", "obl_main", "obl_net", "(interrupts)")
    # The Wi-Fi firmware task is parked here, so nothing of the radio stack's own allocations (its
    # firmware, wpa_supplicant, lwIP buffers under traffic, a TLS session) is in the figure: at
    # least half of the 128 KiB heap must still be free at its lowest to leave room for them.
    heap_min_free: int = 64 * 1024


DEFAULT_BUDGETS = Budgets()


@dataclass
class BootReport:
    label: str
    sim_s: float = 0.0
    wall_s: float = 0.0
    failure: str | None = None
    log: list[str] = field(default_factory=list)
    wdt_enabled: bool = False
    wdt_timeout_s: float = 0.0
    feeds: int = 0  # counter resets written to the WCR register
    feed_calls: int = 0  # bl_wdt_feed() calls
    max_feed_gap_s: float = 0.0
    flash_writes: int = 0
    flash_erases: int = 0
    settings_sectors_written: int = 0
    stacks: list[TaskStack] = field(default_factory=list)
    heap_total: int = 0
    heap_free: int = 0
    heap_min_free: int = 0
    ticks: int = 0
    boot_instructions: int = 0  # reset to the first idle moment (+- one slice)
    sample_instructions: int = 0  # counted exactly over sample_s at the end
    sample_s: float = 0.0
    http: list[Exchange] = field(default_factory=list)


def load_rom(path: Path) -> bytes:
    rom = path.read_bytes()
    if hashlib.sha256(rom).hexdigest() != ROM_SHA256:
        raise ValueError(f"{path} is not the BL602 mask ROM dump this test knows (sha256 differs)")
    return rom


def boot(
    elf: Elf32,
    flash: NorFlash,
    rom: bytes,
    seconds: float,
    label: str,
    *,
    requests: tuple[Request, ...] = (),
    sample_s: float = 1.0,
    echo: bool = False,
) -> BootReport:
    """Powers the emulated plug up on `flash`, runs it for `seconds` of simulated time and sends
    `requests` to its HTTP server from 1 s on (http_client.py)."""
    t0 = time.monotonic()
    m = Bl602(elf, flash, rom, echo=echo)
    stats = FreeRtosStats(m)
    client = LoopbackHttp(list(requests))
    if requests:
        client.attach(m)
    m.hook("bl_wdt_feed", lambda: None)
    sample_s = sample_s if seconds >= 2 * sample_s else 0.0
    m.run(seconds - sample_s)
    if sample_s and m.failure is None:
        m.count_instructions(True)
        m.run(seconds)
        m.count_instructions(False)
    rep = BootReport(label, sim_s=m.traps.now_us / 1e6, failure=m.failure, log=m.uart.lines())
    rep.wdt_enabled = m.wdt.enabled
    rep.wdt_timeout_s = m.wdt.timeout_us() / 1e6
    rep.feeds = m.wdt.feeds
    rep.feed_calls = m.stats.calls["bl_wdt_feed"]
    if m.wdt.enabled:  # the gap still open at the end counts too
        m.wdt.max_gap_us = max(m.wdt.max_gap_us, m.traps.now_us - m.wdt.last_feed_us)
    rep.max_feed_gap_s = m.wdt.max_gap_us / 1e6
    rep.flash_writes, rep.flash_erases = flash.writes, flash.erases
    settings = partition_table.active_table(flash).find("obl_set")
    first, count = settings.address[0] // SECTOR, settings.max_len[0] // SECTOR
    rep.settings_sectors_written = len(flash.written & set(range(first, first + count)))
    try:
        rep.stacks = stats.stacks()
        rep.heap_total, rep.heap_free, rep.heap_min_free = stats.heap()
    except Exception as e:  # memory unreadable after a crash: the failure above says why
        rep.failure = rep.failure or f"cannot read FreeRTOS state: {e}"
    rep.ticks = m.traps.ticks
    rep.boot_instructions = (m.first_idle_slices or 0) * SLICE
    rep.sample_instructions, rep.sample_s = m.counted, sample_s
    rep.http = client.exchanges
    rep.wall_s = time.monotonic() - t0
    return rep


# ---- what the log must say --------------------------------------------------------------------
OUR_LINE = re.compile(r"^\d+ ([EWID]) (\w+): (.*)$")
REQUIRED = (
    ("SDK scheduler start", re.compile(r"Starting OS Scheduler")),
    (
        "flash partitions",
        re.compile(r"^\d+ I flash: FW A 0x[0-9a-f]+\+0x[0-9a-f]+, FW B .*settings "),
    ),
    ("supervisor boot record", re.compile(r"^\d+ I supervisor: boot \d+, reset reason \w+")),
    ("app up", re.compile(r"^\d+ I app: \S+ up: relay (on|off)")),
    # the DHCP hostname handed to lwIP instead of the SDK's "Bouffalolab_BL602-xxxxxx"
    ("DHCP hostname", re.compile(r"^\d+ I wifi: DHCP hostname openbl602-[0-9a-f]{6}$")),
)
# Wi-Fi names and passwords must never reach the UART (the SDK prints the device tree's when
# its logs are on).
CREDENTIALS = re.compile(r"ap_ssid|ap_psk|\bpwd\b|passphrase|password", re.IGNORECASE)
BOOT_NUMBER = re.compile(r"^\d+ I supervisor: boot (\d+),")
RELAY_AT_BOOT = re.compile(r"^\d+ I app: \S+ up: relay (on|off)")


def relay_at_boot(rep: BootReport) -> str | None:
    for line in rep.log:
        m = RELAY_AT_BOOT.match(line)
        if m:
            return m.group(1)
    return None


def json_body(ex: Exchange) -> dict[str, object]:
    try:
        doc = json.loads(ex.body)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def http_problems(rep: BootReport, requests: tuple[Request, ...]) -> list[str]:
    """Every request answered 200 with a JSON object."""
    out = []
    if len(rep.http) < len(requests):
        out.append(f"only {len(rep.http)} of {len(requests)} HTTP requests were made")
    for ex in rep.http:
        what = f"{ex.request.method} {ex.request.path}"
        if ex.error:
            out.append(f"{what}: {ex.error}")
        elif ex.status != 200 or not json_body(ex):
            out.append(f"{what}: HTTP {ex.status} {ex.body[:120]!r}")
    return out


def settings_problems(first: BootReport, second: BootReport, http: bool) -> list[str]:
    """What boot 1 stored must be what boot 2 runs with (the config too when `http` sent it)."""
    out = []
    n0, n1 = boot_number(first), boot_number(second)
    if n0 is not None and n1 != n0 + 1:
        out.append(
            f"settings not read back after the reboot: boot {n1}, expected {n0 + 1} "
            f"(the boot record {first.label} wrote)"
        )
    if not http:
        return out
    patched = next((json_body(e) for e in first.http if e.request.method == "PATCH"), {})
    if any(patched.get(k) != v for k, v in PATCH.items()):
        out.append(f"PATCH /api/v1/config did not answer with the change: {patched}")
    served = next((json_body(e) for e in second.http if e.request.path == "/api/v1/config"), {})
    for k, v in PATCH.items():
        if served.get(k) != v:
            out.append(
                f"config not read back after the reboot: {k} is {served.get(k)!r}, not {v!r}"
            )
    if relay_at_boot(second) != "on":
        out.append(f"startup 'on' not applied at power-up: relay {relay_at_boot(second)}")
    return out


def boot_number(rep: BootReport) -> int | None:
    for line in rep.log:
        m = BOOT_NUMBER.match(line)
        if m:
            return int(m.group(1))
    return None


def problems(
    boots: list[BootReport],
    budgets: Budgets = DEFAULT_BUDGETS,
    requests: tuple[tuple[Request, ...], ...] = (BOOT1_REQUESTS, BOOT2_REQUESTS),
) -> list[str]:
    """Every way the boots fell short of what a plug must do; empty when the test passes.
    `requests`: what each boot was sent (the settings check needs the defaults)."""
    out: list[str] = []
    sent = list(requests) + [()] * len(boots)
    for rep, asked in zip(boots, sent, strict=False):
        p = f"{rep.label}: "
        if rep.failure:
            out.append(p + rep.failure)
        out += [p + x for x in http_problems(rep, asked)]
        for what, pattern in REQUIRED:
            if not any(pattern.search(line) for line in rep.log):
                out.append(p + f"no {what} line on UART")
        for line in rep.log:
            if CREDENTIALS.search(line):
                out.append(p + f"Wi-Fi credentials on UART: {line}")
            m = OUR_LINE.match(line)
            if m and m.group(1) == "E":
                out.append(p + f"error logged: {line}")
        if not rep.wdt_enabled:
            out.append(p + "watchdog not enabled")
        elif rep.feeds < int(rep.sim_s):
            out.append(p + f"watchdog fed {rep.feeds} times in {rep.sim_s:.1f} s")
        elif rep.max_feed_gap_s >= rep.wdt_timeout_s:
            out.append(
                p + f"watchdog feed gap {rep.max_feed_gap_s:.2f} s >= {rep.wdt_timeout_s:.2f} s"
            )
        names = [t.name for t in rep.stacks]
        for name in budgets.our_tasks:
            if names.count(name) != 1:
                out.append(p + f"{names.count(name)} tasks named {name!r} (expected 1)")
        for t in rep.stacks:
            if t.name in budgets.our_tasks and t.margin < budgets.stack_margin:
                out.append(
                    p + f"task {t.name} used {t.used} of {t.size} B of stack: "
                    f"{t.margin:.0%} margin < {budgets.stack_margin:.0%}"
                )
        if rep.heap_min_free < budgets.heap_min_free:
            out.append(
                p + f"heap minimum free {rep.heap_min_free} B < budget {budgets.heap_min_free} B"
            )
    if boots and boots[0].settings_sectors_written == 0:
        out.append(f"{boots[0].label}: nothing written to the settings partition")
    for i, (before, after) in enumerate(itertools.pairwise(boots)):
        http = bool(sent[i]) and bool(sent[i + 1])
        out += [f"{after.label}: {x}" for x in settings_problems(before, after, http)]
    return out


# ---- the printed table ------------------------------------------------------------------------
def table(boots: list[BootReport], budgets: Budgets = DEFAULT_BUDGETS) -> str:
    rows: list[tuple[str, ...]] = [("", *(b.label for b in boots))]

    def row(name: str, fmt: str, attr: str) -> None:
        rows.append((name, *(format(getattr(b, attr), fmt) for b in boots)))

    row("simulated s", ".1f", "sim_s")
    row("wall s", ".1f", "wall_s")
    rows.append(
        ("boot instructions (to idle)", *(f"{b.boot_instructions / 1e6:.1f} M" for b in boots))
    )
    rows.append(
        (
            "steady instructions / s",
            *(
                f"{b.sample_instructions / b.sample_s / 1e6:.2f} M "
                f"({b.sample_instructions / b.sample_s / CPU_HZ:.1%} CPU)"
                if b.sample_s
                else "-"
                for b in boots
            ),
        )
    )
    row("ticks", "d", "ticks")
    rows.append(("watchdog feeds (WCR / calls)", *(f"{b.feeds} / {b.feed_calls}" for b in boots)))
    rows.append(
        (
            "max feed gap / timeout",
            *(f"{b.max_feed_gap_s * 1e3:.0f} ms / {b.wdt_timeout_s:.1f} s" for b in boots),
        )
    )
    rows.append(("flash writes / erases", *(f"{b.flash_writes} / {b.flash_erases}" for b in boots)))
    rows.append(("boot record", *(f"boot {boot_number(b)}" for b in boots)))
    rows.append(("relay at power-up", *(str(relay_at_boot(b)) for b in boots)))
    rows.append(
        (
            "HTTP over loopback",
            *(", ".join(f"{e.request.method} {e.status}" for e in b.http) or "-" for b in boots),
        )
    )
    rows.append(
        (
            f"heap min free (budget {budgets.heap_min_free})",
            *(f"{b.heap_min_free} of {b.heap_total}" for b in boots),
        )
    )
    names = sorted({t.name for b in boots for t in b.stacks})
    for name in names:
        mark = " *" if name in budgets.our_tasks else ""
        cells = []
        for b in boots:
            t = next((t for t in b.stacks if t.name == name), None)
            cells.append("-" if t is None else f"{t.used}/{t.size} B ({t.margin:.0%} free)")
        rows.append((f"stack {name}{mark}", *cells))
    width = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, width, strict=True)).rstrip() for r in rows]
    lines.append(
        f"* our tasks: at least {budgets.stack_margin:.0%} of the stack must stay untouched"
    )
    return "\n".join(lines)


def run(
    elf_path: Path,
    flash_path: Path,
    rom_path: Path,
    seconds: float = 31.0,
    reboot_seconds: float = 3.0,
    *,
    echo: bool = False,
) -> tuple[list[BootReport], NorFlash]:
    elf = Elf32.load(elf_path)
    rom = load_rom(rom_path)
    flash = NorFlash.from_file(flash_path)
    first = boot(elf, flash, rom, seconds, "boot 1", requests=BOOT1_REQUESTS, echo=echo)
    second = boot(
        elf, flash.copy(), rom, reboot_seconds, "boot 2", requests=BOOT2_REQUESTS, echo=echo
    )
    return [first, second], flash
