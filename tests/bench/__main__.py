"""scripts/bench: starts Mosquitto, simulated plugs and a real hass, measures, prints one table.

Exit status: 0 when every measurement was taken (reduced run) or every target passed (--full);
1 when a target failed in a full run; 2 when the harness itself broke (no HA, nothing measured).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from tests.bench import phases
from tests.bench.ha_ws import HaSocket
from tests.bench.stack import ROOT, Plug, Stack
from tests.bench.table import SETTLE_S, Table
from tests.e2e.plug import Recorder


@dataclass(frozen=True)
class Plan:
    """How much to measure: the reduced run proves the harness, the full one gives the numbers."""

    counts: list[int]
    sse_plugs: int
    latency_plugs: int
    relay_rounds: int
    step_rounds: int
    step_window: float
    switch_rounds: int
    steady_s: float
    fluctuating_s: float
    restart_before: float
    restart_after: float


# The reduced CPU phases are 20 s: the kernel counts CPU time in 10 ms ticks, and 3 plugs send
# ~30 state messages in that time (the steady phase is the background the other row subtracts).
REDUCED = Plan([3], 1, 3, 2, 1, 2.6, 1, 20, 20, 2, 12)
FULL = Plan([10, 60, 120], 3, 10, 5, 3, 4.0, 2, 90, 45, 3, 25)


START = time.monotonic()
START_WALL = time.time()


def progress(what: str) -> None:
    print(f"bench: [{time.monotonic() - START:4.0f} s] {what}", flush=True)


class HarnessError(RuntimeError):
    """The bench could not measure something (not: a measurement missed its target)."""


def context() -> str:
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit}, "
        f"{platform.machine()} {os.cpu_count()} cores ({cpu}), load average {load}"
    )


async def configure(stack: Stack, plugs: list[Plug], ws: HaSocket) -> None:
    """Adds plugs through HA's config flow and waits until their entities show live values."""
    await asyncio.to_thread(stack.add_to_ha, plugs)
    deadline = time.monotonic() + 60 + len(plugs)
    while True:
        stack.bind_entities(await ws.entity_registry())
        if all(p.power and p.relay for p in plugs):
            break
        if time.monotonic() > deadline:
            missing = [p.sim.id for p in plugs if not (p.power and p.relay)]
            raise HarnessError(f"no power/relay entity in HA for {missing}")
        await asyncio.sleep(1)
    await relays_on(ws, plugs)


async def relays_on(ws: HaSocket, plugs: list[Plug]) -> None:
    for plug in plugs:
        await ws.call_service("switch", "turn_on", plug.relay)
    await phases.wait_shown(ws, plugs, {p.relay: "on" for p in plugs}, 60)


async def run(plan: Plan, stack: Stack, table: Table) -> None:
    stack.broker.start()
    first = plan.counts[0]
    mqtt = stack.add_plugs(first, "mqtt")
    sse = stack.add_plugs(plan.sse_plugs, "sse")
    progress(f"{first} MQTT + {plan.sse_plugs} SSE simulated plugs up; starting hass")
    stack.start_hass()
    try:
        await asyncio.to_thread(stack.login, 300)
    except SystemExit as err:
        raise HarnessError(str(err)) from err
    async with HaSocket(stack.base, stack.token) as ws:
        stack.token = await ws.long_lived_token()
        await asyncio.to_thread(stack.add_mqtt)
        await configure(stack, mqtt + sse, ws)
        progress("plugs configured in HA; relay command latency")
        transports = {"MQTT": mqtt[: plan.latency_plugs], "SSE": sse}
        measured = [p for plugs in transports.values() for p in plugs]

        await ws.watch()
        for name, plugs in transports.items():
            latencies, missed = await phases.relay_latency(ws, plugs, plan.relay_rounds)
            if not latencies:
                raise HarnessError(f"no relay switching seen in HA over {name}")
            for miss in missed:
                progress(f"relay switching not seen in HA: {miss}")
            table.relay(name, latencies, len(missed))
        await relays_on(ws, measured)  # a switching HA missed may have left one off
        progress("load steps")
        steps = await phases.load_steps(ws, measured, 100, 1500, plan.step_rounds, plan.step_window)
        for name, (up, down) in steps.items():
            table.steps("load step 100 → 1500 W → settled value in HA", name, up, SETTLE_S)
            table.steps("load step 1500 → 100 W → settled value in HA", name, down, SETTLE_S)
        progress("switch-on")
        switched = await phases.switch_on(ws, measured, 1000, plan.switch_rounds, plan.step_window)
        for name, result in switched.items():
            table.switch_on(name, result)
        await ws.unwatch()
        entities = {e: p.sim.id for p in measured for e in p.entities}
        flicker = [c for c in ws.changes if c.entity_id in entities and c.state == "unavailable"]
        table.add(
            "entities gone unavailable while measuring the above (no fault injected)",
            f"{len(flicker)} times, plugs {sorted({entities[c.entity_id] for c in flicker})}"
            if flicker
            else "0",
        )
        for c in flicker[:: max(1, len(flicker) // 10)]:
            progress(f"{c.entity_id} unavailable at [{c.fired - START_WALL:.3f} s]")
        ws.changes.clear()

        with Recorder(stack.broker.port, ["openbl602/+/state"]) as recorder:
            for count in plan.counts:
                if count > len(mqtt):
                    more = await asyncio.to_thread(stack.add_plugs, count - len(mqtt), "mqtt")
                    await configure(stack, more, ws)
                    mqtt += more
                progress(f"HA CPU at {count} MQTT plugs")
                steady = await phases.cpu_phase(stack, recorder, mqtt, plan.steady_s, False)
                table.cpu(steady)
                sample = await phases.cpu_phase(stack, recorder, mqtt, plan.fluctuating_s, True)
                if sample.messages == 0:
                    raise HarnessError("no MQTT state messages counted under a changing load")
                table.cpu(sample)
                table.cpu_above_background(sample, steady)
                await asyncio.sleep(phases.RECORDER_COMMIT_S + 1)  # its rows committed
                table.recorded(sample, phases.recorded_rows(stack, sample.wall))
                rss = phases.hass_rss(stack)
                table.add(f"hass RSS, {count} + {len(sse)} plugs", f"{rss:.0f} MiB")

        progress("broker restart")
        restart = await phases.broker_restart(
            stack, ws, mqtt + sse, plan.restart_before, plan.restart_after
        )
        if restart.entities == 0:
            raise HarnessError("no available plug entity before the broker restart")
        table.restart(restart)
        tracked = [e for p in mqtt + sse for e in p.entities]
        states = await ws.states()
        tracked = [e for e in tracked if states.get(e) != "unavailable"]

    progress("hass restart")
    seconds = await phases.startup(stack, tracked, 300)
    table.add(
        f"hass start → all {len(tracked)} entities of {len(mqtt) + len(sse)} plugs available",
        f"{seconds:.1f} s",
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument("--full", action="store_true", help="N = 10/60/120, long phases")
    parser.add_argument("--plugs", type=int, nargs="+", help="override the plug counts (MQTT)")
    parser.add_argument("--sim", type=Path, required=True, help="the openbl602-sim binary")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench-run")
    args = parser.parse_args()
    plan = FULL if args.full else REDUCED
    if args.plugs:
        plan = Plan(sorted(args.plugs), *list(plan.__dict__.values())[1:])
    print(f"bench: {context()}", flush=True)
    stack = Stack(args.workdir, args.sim)
    table = Table()
    started = time.monotonic()
    broken = ""
    try:
        asyncio.run(run(plan, stack, table))
    except Exception as err:  # any failure of the harness is reported, then exit 2
        traceback.print_exc()
        broken = f"{type(err).__name__}: {err}"
    finally:
        stack.stop()
    print(f"\nbench: {context()}, {time.monotonic() - started:.0f} s")
    print(table.render())
    if broken:
        print(f"\nbench: HARNESS BROKEN ({broken}); logs in {args.workdir / 'logs'}")
        return 2
    print(f"\nbench: {table.failed} of {sum(r.result != '-' for r in table.rows)} targets FAIL")
    return 1 if args.full and table.failed else 0


if __name__ == "__main__":
    sys.exit(main())
