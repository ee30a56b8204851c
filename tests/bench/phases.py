"""The measurements. Each returns raw numbers; tests/bench/table.py judges them against the targets.

HA's side of a time is the `time_fired` of its state_changed event (HA's clock, same machine),
so the bench's own websocket backlog does not count; the bench's side is taken right before it acts.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sqlite3
import threading
import time
from bisect import bisect_right
from dataclasses import dataclass, field

import aiohttp

from tests.bench.ha_ws import HaSocket, StateChange
from tests.bench.stack import Plug, Stack, cpu_seconds, rss_mib, thread_cpu_seconds
from tests.e2e.plug import Recorder


def tolerance(watts: float) -> float:
    """How close a shown power must be to a load to count as it (meter and rounding error)."""
    return max(1.5, 0.03 * watts)


def matches(value: float, watts: float) -> bool:
    return abs(value - watts) <= tolerance(watts)


def as_float(state: str | None) -> float | None:
    try:
        return float(state) if state is not None else None
    except ValueError:
        return None


def changes_of(ws: HaSocket, entity: str, since: float, until: float) -> list[StateChange]:
    return sorted(
        (c for c in ws.changes if c.entity_id == entity and since <= c.fired <= until),
        key=lambda c: c.fired,
    )


async def wait_shown(
    ws: HaSocket, plugs: list[Plug], expect: dict[str, str], wait_s: float
) -> None:
    """Until HA shows each entity in `expect` in that state, or numerically at that load."""
    deadline = time.monotonic() + wait_s
    while True:
        states = await ws.states()
        bad = []
        for entity, want in expect.items():
            got = states.get(entity)
            value, target = as_float(got), as_float(want)
            ok = got == want if target is None else value is not None and matches(value, target)
            if not ok:
                bad.append(f"{entity}={got} (want {want})")
        if not bad:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("HA does not show " + ", ".join(bad[:5]))
        await asyncio.sleep(0.5)


# -- relay command -> HA state ---------------------------------------------------------------

# The firmware's minimum relay switching interval (200 ms) plus a margin for the plug's own clock.
RELAY_MIN_INTERVAL_S = 0.25


async def relay_latency(
    ws: HaSocket, plugs: list[Plug], rounds: int
) -> tuple[list[float], list[str]]:
    """A switch service call, answered when HA's switch entity shows the new state.
    Returns the latencies and a description of each switching HA never showed (within 5 s)."""
    latencies: list[float] = []
    missed: list[str] = []
    states = await ws.states()
    shown = {p.relay: states.get(p.relay) for p in plugs}
    last_sent: dict[str, float] = {}
    for _ in range(rounds * 2):
        for plug in plugs:
            want = "off" if shown[plug.relay] == "on" else "on"
            # The plug switches its relay at most once per RELAY_MIN_INTERVAL_S (protocol §5.4): a
            # quicker command would measure that deliberate hold, not the command path.
            wait = last_sent.get(plug.relay, 0.0) + RELAY_MIN_INTERVAL_S - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            last_sent[plug.relay] = time.monotonic()
            t0 = time.time()
            await ws.call_service("switch", f"turn_{want}", plug.relay)
            deadline = time.monotonic() + 5
            while True:
                seen = [c for c in changes_of(ws, plug.relay, t0, 1e12) if c.state == want]
                if seen:
                    latencies.append(seen[0].fired - t0)
                    shown[plug.relay] = want
                    break
                if time.monotonic() > deadline:
                    recent = [
                        (round(c.fired - t0, 3), c.state)
                        for c in ws.changes
                        if c.entity_id == plug.relay and c.fired > t0 - 10
                    ]
                    missed.append(f"{plug.relay} turn_{want}: changes since t0-10 s {recent}")
                    shown[plug.relay] = (await ws.states()).get(plug.relay)
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)
    return latencies, missed


# -- load steps and switch-on ----------------------------------------------------------------


@dataclass
class StepResults:
    """Per step: seconds until HA showed the settled value (None: never within the window)."""

    settle: list[float | None] = field(default_factory=list)
    wrong_values: int = 0
    steps_with_wrong: int = 0
    wrong_examples: list[float] = field(default_factory=list)

    def judge(
        self, changes: list[StateChange], t0: float, before: float | None, after: float
    ) -> None:
        """`before` None: every value but `after` is wrong (switch-on: 1 W is not 0 W)."""
        settled: float | None = None
        wrong = 0
        for c in changes:
            value = as_float(c.state)
            if value is None:
                wrong += 1
                continue
            if matches(value, after):
                if settled is None:
                    settled = c.fired - t0
            elif before is None or not matches(value, before) or settled is not None:
                wrong += 1
                if len(self.wrong_examples) < 8:
                    self.wrong_examples.append(value)
        self.settle.append(settled)
        self.wrong_values += wrong
        self.steps_with_wrong += wrong > 0


async def load_steps(
    ws: HaSocket, plugs: list[Plug], low: float, high: float, rounds: int, window: float
) -> dict[str, tuple[StepResults, StepResults]]:
    """Every plug's load steps low -> high -> low at once; HA's power entity is watched.
    Results per transport: (up, down)."""
    results = {p.transport: (StepResults(), StepResults()) for p in plugs}
    for plug in plugs:
        plug.set_load(low)
    await wait_shown(ws, plugs, {p.power: str(low) for p in plugs}, 30)
    await asyncio.sleep(2.5)  # past the report interval of the last change
    for _ in range(rounds):
        for before, after, direction in ((low, high, 0), (high, low, 1)):
            starts = {}
            for plug in plugs:
                starts[plug.power] = time.time()
                plug.set_load(after)
            await asyncio.sleep(window)
            for plug in plugs:
                t0 = starts[plug.power]
                changes = changes_of(ws, plug.power, t0, t0 + window)
                results[plug.transport][direction].judge(changes, t0, before, after)
    return results


async def switch_on(
    ws: HaSocket, plugs: list[Plug], load: float, rounds: int, window: float
) -> dict[str, StepResults]:
    """Relay off with a load attached, then switched on through HA: when does HA show the load?
    Results per transport."""
    results = {p.transport: StepResults() for p in plugs}
    for _ in range(rounds):
        for plug in plugs:
            await ws.call_service("switch", "turn_off", plug.relay)
            plug.set_load(load)
        await wait_shown(ws, plugs, {p.power: "0" for p in plugs}, 30)
        await asyncio.sleep(2.5)
        starts = {}
        for plug in plugs:
            starts[plug.power] = time.time()
            await ws.call_service("switch", "turn_on", plug.relay)
        await asyncio.sleep(window)
        for plug in plugs:
            t0 = starts[plug.power]
            changes = changes_of(ws, plug.power, t0, t0 + window)
            results[plug.transport].judge(changes, t0, None, load)
    return results


# -- HA CPU per state message ------------------------------------------------------------------


@dataclass
class CpuSample:
    plugs: int
    load: str
    seconds: float
    cpu_s: float
    messages: int
    # CPU seconds per thread name over the phase (what the threads alive at its end used)
    threads: dict[str, float] = field(default_factory=dict)
    # the phase's start and end on the wall clock (HA's recorder keeps its rows by wall time)
    wall: tuple[float, float] = (0.0, 0.0)

    @property
    def ms_per_message(self) -> float | None:
        return 1000 * self.cpu_s / self.messages if self.messages else None

    @property
    def core_pct(self) -> float:
        return 100 * self.cpu_s / self.seconds

    @property
    def per_plug_minute(self) -> float:
        return self.messages / self.plugs / (self.seconds / 60)


class Fluctuator:
    """Changes every given plug's load to a random value every `period` seconds, in a thread."""

    def __init__(self, plugs: list[Plug], period: float, seed: int) -> None:
        self.plugs = plugs
        self.period = period
        self.rng = random.Random(seed)
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.errors = 0

    def _run(self) -> None:
        while not self.stop_flag.is_set():
            for plug in self.plugs:
                try:
                    plug.set_load(round(self.rng.uniform(40, 2000)))
                except (OSError, RuntimeError):
                    self.errors += 1
            self.stop_flag.wait(self.period)

    def __enter__(self) -> Fluctuator:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_flag.set()
        self.thread.join()


def state_messages(recorder: Recorder, t0: float, t1: float) -> int:
    with recorder.lock:
        return sum(
            1
            for m in recorder.messages
            if t0 <= m.t <= t1 and m.topic.endswith("/state") and not m.retain
        )


async def cpu_phase(
    stack: Stack, recorder: Recorder, plugs: list[Plug], seconds: float, fluctuating: bool
) -> CpuSample:
    assert stack.hass is not None
    pid = stack.hass.pid
    if fluctuating:
        with Fluctuator(plugs, 1.0, seed=len(plugs)):
            await asyncio.sleep(2)  # into the regime before counting
            c0, t0, th0 = cpu_seconds(pid), time.monotonic(), thread_cpu_seconds(pid)
            w0 = time.time()
            await asyncio.sleep(seconds)
            c1, t1, th1 = cpu_seconds(pid), time.monotonic(), thread_cpu_seconds(pid)
            w1 = time.time()
    else:
        for i, plug in enumerate(plugs):
            plug.set_load(60 + 7 * (i % 40))
        await asyncio.sleep(3)  # the last change reported (report interval 2 s, meter settled)
        c0, t0, th0 = cpu_seconds(pid), time.monotonic(), thread_cpu_seconds(pid)
        w0 = time.time()
        await asyncio.sleep(seconds)
        c1, t1, th1 = cpu_seconds(pid), time.monotonic(), thread_cpu_seconds(pid)
        w1 = time.time()
    return CpuSample(
        len(plugs),
        "fluctuating" if fluctuating else "steady",
        t1 - t0,
        c1 - c0,
        state_messages(recorder, t0, t1),
        {name: cpu - th0.get(name, 0.0) for name, cpu in th1.items() if cpu > th0.get(name, 0.0)},
        (w0, w1),
    )


# sensor.openbl602_bench_mqtt_001_power -> sensor.power; switch.openbl602_bench_mqtt_001 -> switch
_BENCH_ENTITY = re.compile(r"^(\w+)\.openbl602_bench_(?:mqtt|sse)_\d+(?:_(\w+))?$")

# HA's recorder commits every 5 s (its default): rows of a phase are in its database after that.
RECORDER_COMMIT_S = 5.0


def recorded_rows(stack: Stack, wall: tuple[float, float]) -> dict[str, int]:
    """State rows HA's recorder wrote for the plugs' entities in a wall-clock window, by entity
    kind (platform and key, summed over the plugs): what each message made HA record."""
    db = stack.config / "home-assistant_v2.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        rows = conn.execute(
            "SELECT m.entity_id, COUNT(*) FROM states s JOIN states_meta m"
            " ON s.metadata_id = m.metadata_id"
            " WHERE s.last_updated_ts >= ? AND s.last_updated_ts < ? GROUP BY m.entity_id",
            wall,
        ).fetchall()
    kinds: dict[str, int] = {}
    for entity_id, count in rows:
        match = _BENCH_ENTITY.match(entity_id)
        if match:
            kind = ".".join(filter(None, match.groups()))
            kinds[kind] = kinds.get(kind, 0) + count
    return kinds


def hass_rss(stack: Stack) -> float:
    assert stack.hass is not None
    return rss_mib(stack.hass.pid)


# -- broker restart: availability and freshness --------------------------------------------------


@dataclass
class RestartResult:
    entity_seconds_unavailable: float
    entities_unavailable: int
    oldest_value_s: float
    oldest_entity: str
    plugs: int
    entities: int


def _age(t: float, shown: float, since: float, loads: list[tuple[float, float]]) -> float:
    """How long ago the shown power stopped being the plug's load (0: it is the load now)."""
    times = [lt for lt, _ in loads]
    i = bisect_right(times, t) - 1
    if i < 0 or matches(shown, loads[i][1]):
        return 0.0
    for j in range(i - 1, -1, -1):
        if matches(shown, loads[j][1]):
            return t - loads[j + 1][0]
    # Neither a current nor a past load (a transient): as old as the change it followed.
    k = max(bisect_right(times, since) - 1, 0)
    return t - loads[k][0]


async def broker_restart(
    stack: Stack, ws: HaSocket, plugs: list[Plug], before: float, after: float
) -> RestartResult:
    """Loads keep changing (every 5 s per plug, staggered) while Mosquitto is restarted."""
    for i, plug in enumerate(plugs):
        plug.set_load(60 + 7 * (i % 40))
    await asyncio.sleep(3)  # every plug reported its load (report interval 2 s)
    states = await ws.states()
    entities = {e: states.get(e, "unavailable") for p in plugs for e in p.entities}
    tracked = [e for e, state in entities.items() if state != "unavailable"]
    await ws.watch()
    cycle = [300.0, 900.0, 150.0, 1200.0, 600.0, 75.0]
    loads: dict[str, list[tuple[float, float]]] = {}
    start = time.time()
    restart_at = start
    for plug in plugs:
        loads[plug.power] = [(start, plug.load_w)]
    stop_flag = threading.Event()

    def change_loads() -> None:
        step = 0
        while not stop_flag.is_set():
            for i, plug in enumerate(plugs):
                if (step + i) % 10 == 0:  # each plug every 10 ticks of 0.5 s, staggered
                    watts = cycle[(step // 10 + i) % len(cycle)]
                    t = time.time()
                    try:
                        plug.set_load(watts)
                    except (OSError, RuntimeError):
                        continue
                    loads[plug.power].append((t, watts))
            step += 1
            stop_flag.wait(0.5)

    thread = threading.Thread(target=change_loads, daemon=True)
    thread.start()
    try:
        await asyncio.sleep(before)
        restart_at = time.time()
        await asyncio.to_thread(stack.broker.stop)
        await asyncio.to_thread(stack.broker.start)
        await asyncio.sleep(after)
    finally:
        stop_flag.set()
        await asyncio.to_thread(thread.join)
    end = time.time()
    await ws.unwatch()

    unavailable = 0.0
    flickered = 0
    for entity in tracked:
        down_since: float | None = None
        down = 0.0
        for c in changes_of(ws, entity, start, end):
            if c.state == "unavailable" and down_since is None:
                down_since = c.fired
            elif c.state != "unavailable" and down_since is not None:
                down += c.fired - down_since
                down_since = None
        if down_since is not None:
            down += end - down_since
        unavailable += down
        flickered += down > 0

    oldest, oldest_entity = 0.0, ""
    for plug in plugs:
        shown = as_float(states.get(plug.power))
        since = start
        for c in [*changes_of(ws, plug.power, start, end), StateChange(plug.power, None, end)]:
            if shown is not None:
                age = _age(c.fired, shown, since, loads[plug.power])
                if age > oldest:
                    oldest, oldest_entity = age, plug.power
            if c.state is not None:
                shown, since = as_float(c.state), c.fired
    if oldest_entity:
        # The worst plug's timeline, relative to the restart, for whoever looks into it.
        timeline = {
            "entity": oldest_entity,
            "oldest_s": oldest,
            "loads": [(round(t - restart_at, 3), w) for t, w in loads[oldest_entity]],
            "shown": [
                (round(c.fired - restart_at, 3), c.state)
                for c in changes_of(ws, oldest_entity, start, end)
            ],
        }
        (stack.workdir / "broker-restart.json").write_text(json.dumps(timeline, indent=1))
    return RestartResult(unavailable, flickered, oldest, oldest_entity, len(plugs), len(tracked))


# -- startup -> all entities available -------------------------------------------------------------


async def startup(stack: Stack, tracked: list[str], wait_s: float) -> float:
    """hass restarted with every plug configured: seconds until each tracked entity is available."""
    stack.stop_hass()
    stack.start_hass()
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        assert stack.hass is not None
        if stack.hass.poll() is not None:
            raise RuntimeError(f"hass exited with {stack.hass.returncode} during startup")
        try:
            async with HaSocket(stack.base, stack.token) as ws:
                while time.monotonic() < deadline:
                    states = await ws.states_since()
                    shown = [states.get(e, ("unavailable", 0.0)) for e in tracked]
                    if all(s != "unavailable" for s, _ in shown):
                        return max(t for _, t in shown) - stack.hass_started
                    await asyncio.sleep(1)
        except (OSError, RuntimeError, aiohttp.ClientError):
            await asyncio.sleep(1)
    raise RuntimeError(f"not every entity available {wait_s:.0f} s after hass started")
