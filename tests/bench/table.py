"""One table: each measurement, its target and PASS/FAIL (or `-` where the issue sets no target)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from tests.bench.phases import CpuSample, RestartResult, StepResults

# Targets of issue #16.
SETTLE_S = 0.3
SWITCH_ON_S = 0.3
RELAY_P95_S = 0.050
CPU_MS_PER_MESSAGE = 0.5
STEADY_PER_PLUG_MINUTE = 1.0
OLDEST_VALUE_S = 2.0


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; inf for an empty list."""
    if not values:
        return math.inf
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def fmt_s(seconds: float) -> str:
    if math.isinf(seconds):
        return "never"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


@dataclass
class Row:
    what: str
    value: str
    target: str
    result: str


class Table:
    def __init__(self) -> None:
        self.rows: list[Row] = []

    def add(self, what: str, value: str, target: str = "", ok: bool | None = None) -> None:
        self.rows.append(Row(what, value, target or "-", "-" if ok is None else verdict(ok)))

    @property
    def failed(self) -> int:
        return sum(r.result == "FAIL" for r in self.rows)

    def relay(self, transport: str, latencies: list[float], missed: int) -> None:
        """A switching HA never showed counts as infinitely late."""
        p95 = percentile(latencies + [math.inf] * missed, 95)
        self.add(
            f"relay command → HA state, {transport} ({len(latencies) + missed} switchings)",
            f"median {fmt_s(percentile(latencies, 50))}, p95 {fmt_s(p95)}"
            + (f"; {missed} never shown" if missed else ""),
            f"p95 ≤ {RELAY_P95_S * 1000:.0f} ms",
            p95 <= RELAY_P95_S,
        )

    def steps(self, what: str, transport: str, result: StepResults, limit: float) -> None:
        times = [math.inf if s is None else s for s in result.settle]
        median = percentile(times, 50)
        examples = ", ".join(f"{v:g}" for v in result.wrong_examples[:4])
        wrong = f"{result.wrong_values} wrong values in {result.steps_with_wrong} of {len(times)}"
        self.add(
            f"{what}, {transport} ({len(times)} steps)",
            f"median {fmt_s(median)}, max {fmt_s(max(times, default=math.inf))}; {wrong}"
            + (f" (e.g. {examples} W)" if examples else ""),
            f"median ≤ {limit * 1000:.0f} ms, 0 wrong",
            median <= limit and result.wrong_values == 0,
        )

    def switch_on(self, transport: str, result: StepResults) -> None:
        times = [math.inf if s is None else s for s in result.settle]
        median = percentile(times, 50)
        examples = ", ".join(f"{v:g}" for v in result.wrong_examples[:4])
        self.add(
            f"switch-on → real power in HA, {transport} ({len(times)} switchings)",
            f"median {fmt_s(median)}, max {fmt_s(max(times, default=math.inf))}; "
            f"{result.steps_with_wrong} of {len(times)} showed another value first"
            + (f" (e.g. {examples} W)" if examples else ""),
            f"median ≤ {SWITCH_ON_S * 1000:.0f} ms, no other value first",
            median <= SWITCH_ON_S and result.steps_with_wrong == 0,
        )

    def cpu(self, sample: CpuSample) -> None:
        per = sample.ms_per_message
        head = f"HA CPU, {sample.plugs} plugs, {sample.load} load ({sample.seconds:.0f} s)"
        usage = (
            f"{sample.core_pct:.1f} % of a core; {sample.messages} state messages "
            f"({sample.messages / sample.seconds:.1f}/s, "
            f"{sample.per_plug_minute:.2f} per plug per minute)"
        )
        if sample.load == "steady":
            # One message of slack over the fleet: a 60 s heartbeat can fall in the window twice.
            slack = 60 / sample.seconds / sample.plugs
            self.add(
                head,
                usage + (f"; {per:.2f} ms per message" if per is not None else ""),
                f"≤ {STEADY_PER_PLUG_MINUTE:g} message per plug per minute",
                sample.per_plug_minute <= STEADY_PER_PLUG_MINUTE + slack,
            )
        else:
            tick = 1000 / os.sysconf("SC_CLK_TCK")  # the resolution of /proc/<pid>/stat
            text = usage
            if per is not None:
                step = tick / sample.messages
                text += f"; {per:.2f} ms per message (± {step:.2f}, {tick:g} ms ticks)"
            self.add(
                head,
                text,
                f"≤ {CPU_MS_PER_MESSAGE:g} ms per message",
                per is not None and per <= CPU_MS_PER_MESSAGE,
            )

    def cpu_above_background(self, sample: CpuSample, steady: CpuSample) -> None:
        """What the messages cost beyond what HA does anyway (recorder commits, timers), with the
        steady phase just before as that background: at a few messages a second the background
        is most of the row above."""
        background = steady.cpu_s / steady.seconds * sample.seconds
        per = 1000 * (sample.cpu_s - background) / sample.messages
        tick = 1000 / os.sysconf("SC_CLK_TCK")
        # each phase's CPU time is a difference of two tick counts: within one tick
        step = tick * (1 + sample.seconds / steady.seconds) / sample.messages
        idle = 1000 * background / sample.seconds
        self.add(
            f"HA CPU per state message above the steady phase's background, {sample.plugs} plugs",
            f"{per:.2f} ms (± {step:.2f}); background {idle:.1f} ms of CPU per second",
            f"≤ {CPU_MS_PER_MESSAGE:g} ms per message",
            per <= CPU_MS_PER_MESSAGE,
        )
        # Information: which of hass's threads the fluctuating phase's CPU went to.
        top = sorted(sample.threads.items(), key=lambda item: -item[1])[:4]
        self.add(
            f"HA CPU by thread, {sample.plugs} plugs, fluctuating load",
            ", ".join(f"{name} {1000 * cpu / sample.messages:.2f}" for name, cpu in top)
            + " ms per message",
        )

    def recorded(self, sample: CpuSample, rows: dict[str, int]) -> None:
        """Information: which entities' states HA recorded per message (each is a state write
        the recorder turned into a row: the CPU rows above are mostly these)."""
        if not sample.messages:
            return
        top = sorted(rows.items(), key=lambda item: -item[1])
        total = sum(rows.values()) / sample.messages
        self.add(
            f"HA state rows recorded per state message, {sample.plugs} plugs, fluctuating load",
            f"{total:.2f}: "
            + ", ".join(f"{kind} {count / sample.messages:.2f}" for kind, count in top),
        )

    def restart(self, result: RestartResult) -> None:
        self.add(
            f"broker restart, {result.plugs} plugs answering HTTP: unavailable",
            f"{result.entity_seconds_unavailable:.2f} entity-seconds "
            f"({result.entities_unavailable} of {result.entities} entities went unavailable)",
            "0 entity-seconds",
            result.entity_seconds_unavailable == 0,
        )
        self.add(
            f"broker restart, {result.plugs} plugs: oldest power value shown",
            f"{result.oldest_value_s:.2f} s ({result.oldest_entity})",
            f"≤ {OLDEST_VALUE_S:g} s",
            result.oldest_value_s <= OLDEST_VALUE_S,
        )

    def render(self) -> str:
        lines = [
            "| measurement | measured | target | result |",
            "|---|---|---|---|",
            *(f"| {r.what} | {r.value} | {r.target} | {r.result} |" for r in self.rows),
        ]
        return "\n".join(lines)
