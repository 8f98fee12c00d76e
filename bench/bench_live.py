"""Live fan-out: from a clerk's "next" to every wall display and phone receiving the call.

Run from the repository root::

    .venv/bin/python bench/bench_live.py [--displays 150] [--phones 50] [--calls 30] [--keep]

It starts its own server process (``python -m wartemarke serve`` on 127.0.0.1, SQLite in a
temporary data dir, ``WARTEMARKE_TICKET_LIMIT=off``), then, all on ONE asyncio event loop in
this process (no threads):

* connects ``--displays`` python-socketio AsyncClients to ``/display`` and ``--phones`` to
  ``/ticket`` (each with the token of its own waiting ticket), over websockets;
* logs a clerk in (aiohttp) and sends ``POST /api/counters/1/next`` ``--calls`` times, one at a
  time, after three warm-up calls;
* for each call, timestamps (time.perf_counter, same clock as the request's start) when each
  display receives the ``call`` event and each phone its ``status`` (every waiting visitor's
  place moves up by one).

Latency = arrival at the client - the moment the request was sent. It includes the HTTP request,
the database commit, the broadcast and the clients' own decoding on the shared loop (200 clients
in one Python process compete for one CPU, as a real venue's screens would not). Prints a table;
nothing fails when a target is missed (see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import print_table  # noqa: E402
from tests.conftest import Server, site_with_counters  # noqa: E402

TARGET_P99_MS = 100.0
rows: list[tuple[str, str, str]] = []


def load() -> str:
    """The machine's load: client and server share it, and so does anything else running."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def row(name: str, value: str, remark: str = "") -> None:
    rows.append((name, value, remark))
    print(f"  {name}: {value} {remark}".rstrip(), flush=True)


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (0..100), nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def spread(values_ms: list[float]) -> str:
    return (
        f"p50 {pct(values_ms, 50):.1f} ms, p90 {pct(values_ms, 90):.1f}, "
        f"p99 {pct(values_ms, 99):.1f}, max {max(values_ms):.1f}"
    )


class Round:
    """What one call is expected to reach, and when it did."""

    def __init__(self, expected: int, number: str, after_seq: int) -> None:
        self.expected = expected
        self.number = number  # the ticket the displays must show
        self.after_seq = after_seq  # phones count a status newer than the previous call
        self.max_seq = after_seq
        self.sent = 0.0
        self.arrivals: dict[tuple[str, int], float] = {}
        self.done = asyncio.Event()

    def arrive(self, kind: str, index: int, seq: int) -> None:
        key = (kind, index)
        if key in self.arrivals:
            return
        self.arrivals[key] = time.perf_counter()
        self.max_seq = max(self.max_seq, seq)
        if len(self.arrivals) >= self.expected:
            self.done.set()


class Clients:
    def __init__(self, url: str) -> None:
        self.url = url
        self.displays: list[socketio.AsyncClient] = []
        self.phones: list[socketio.AsyncClient] = []
        self.round: Round | None = None
        self.stray = 0  # events that arrived outside a measured round

    def _on(self, kind: str, index: int, accept):
        async def handler(data):
            current = self.round
            if current is None or not accept(data, current):
                self.stray += 1
                return
            current.arrive(kind, index, data.get("seq", 0))

        return handler

    async def connect_display(self, index: int) -> None:
        client = socketio.AsyncClient(reconnection=False)
        client.on(
            "call",
            self._on("display", index, lambda data, r: data.get("number") == r.number),
            namespace="/display",
        )
        await client.connect(
            self.url,
            namespaces=["/display"],
            transports=["websocket"],
            auth={"device": f"bench-{index:04d}", "kind": "display"},
            wait_timeout=30,
        )
        self.displays.append(client)

    async def connect_phone(self, index: int, token: str) -> None:
        client = socketio.AsyncClient(reconnection=False)
        # A waiting visitor's place changes with every call: any status with the new seq counts.
        client.on(
            "status",
            self._on("phone", index, lambda data, r: data.get("seq", -1) > r.after_seq),
            namespace="/ticket",
        )
        await client.connect(
            self.url,
            namespaces=["/ticket"],
            transports=["websocket"],
            auth={"token": token},
            wait_timeout=30,
        )
        self.phones.append(client)

    async def close(self) -> None:
        await asyncio.gather(
            *(c.disconnect() for c in self.displays + self.phones), return_exceptions=True
        )


async def issue(session: aiohttp.ClientSession, url: str, service: int) -> dict:
    async with session.post(url + "/api/tickets", json={"service": service}) as response:
        assert response.status == 201, await response.text()
        return await response.json()


async def run(server: Server, displays: int, phones: int, calls: int) -> None:
    url = server.url
    warmup = 3
    # unsafe=True: keep the session cookie of a server addressed by IP (127.0.0.1).
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        # Tickets to be called first (service 1), then the phones' tickets behind them: the
        # counter calls whoever waited longest, so the phones stay waiting all along.
        for _ in range(calls + warmup):
            await issue(http, url, 1)
        tokens = [(await issue(http, url, 2))["token"] for _ in range(phones)]

        clients = Clients(url)
        try:
            await connect_all(clients, displays, tokens)
            await asyncio.sleep(1.0)  # let the snapshots and statuses of the connects drain
            # The 200 clients' long-lived objects out of the collector's way: the harness's own
            # garbage collection pauses are not what is measured.
            gc.collect()
            gc.freeze()
            await measure(clients, http, url, displays + phones, calls, warmup)
        finally:
            await clients.close()


async def connect_all(clients: Clients, displays: int, tokens: list[str]) -> None:
    started = time.perf_counter()
    for batch in range(0, displays, 50):
        await asyncio.gather(
            *(clients.connect_display(i) for i in range(batch, min(displays, batch + 50)))
        )
    for batch in range(0, len(tokens), 50):
        await asyncio.gather(
            *(
                clients.connect_phone(i, tokens[i])
                for i in range(batch, min(len(tokens), batch + 50))
            )
        )
    row(
        "0. connect",
        f"{displays} displays + {len(tokens)} phones in {time.perf_counter() - started:.2f} s",
        "(websockets; each gets its snapshot or status)",
    )


async def measure(
    clients: Clients, http: aiohttp.ClientSession, url: str, expected: int, calls: int, warmup: int
) -> None:
    async with http.post(
        url + "/api/login", json={"username": "clerk1", "password": "bench-secret"}
    ) as response:
        assert response.status == 200, await response.text()
        csrf = (await response.json())["csrf_token"]

    per_client: dict[str, list[float]] = {"display": [], "phone": []}
    last_client: list[float] = []
    spread_ms: list[float] = []
    http_ms: list[float] = []
    missed = 0
    seq = 0
    for i in range(calls + warmup):
        number = f"A{i + 1:03d}"
        current = Round(expected, number, seq)
        clients.round = current
        current.sent = time.perf_counter()
        async with http.post(url + "/api/counters/1/next", headers={"X-CSRFToken": csrf}) as r:
            body = await r.json()
            answered = time.perf_counter()
        assert r.status == 200, body
        assert body["ticket"]["number"] == number, body
        try:
            await asyncio.wait_for(current.done.wait(), timeout=10)
        except TimeoutError:
            missed += expected - len(current.arrivals)
        clients.round = None
        seq = current.max_seq
        if i < warmup:
            continue
        http_ms.append((answered - current.sent) * 1000)
        times = {key: (t - current.sent) * 1000 for key, t in current.arrivals.items()}
        for (kind, _), ms in times.items():
            per_client[kind].append(ms)
        if times:
            last_client.append(max(times.values()))
            spread_ms.append(max(times.values()) - min(times.values()))
        await asyncio.sleep(0.2)  # calls come seconds apart in real life; no overlap here

    everyone = per_client["display"] + per_client["phone"]
    p99 = pct(everyone, 99)
    row(
        f"1. next → each client ({calls} calls × {expected} clients = {len(everyone)})",
        spread(everyone),
        f"target p99 < {TARGET_P99_MS:.0f} ms: {'ok' if p99 < TARGET_P99_MS else 'MISSED'}",
    )
    if per_client["display"]:
        row("1a. … displays (`call` event)", spread(per_client["display"]))
    if per_client["phone"]:
        row("1b. … phones (`status`: the place moved up)", spread(per_client["phone"]))
    row(
        f"2. next → the last of the {expected} clients, per call",
        spread(last_client),
        f"mean {statistics.mean(last_client):.1f} ms",
    )
    row(
        "2b. first → last client of the same call",
        spread(spread_ms),
        "(the fan-out itself: server sends + clients decode)",
    )
    row("3. the clerk's HTTP answer (next → 200)", spread(http_ms), "(commit + broadcast)")
    row("4. arrivals missing after 10 s", str(missed), "target 0")
    if clients.stray:
        row("5. events outside a measured call", str(clients.stray), "(snapshots, late statuses)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--displays", type=int, default=150, help="wall displays (/display)")
    parser.add_argument("--phones", type=int, default=50, help="visitors' phones (/ticket)")
    parser.add_argument("--calls", type=int, default=30, help="measured calls")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="wartemarke-bench-live-"))
    now = datetime.datetime.now().astimezone()
    print(f"Wartemarke live fan-out benchmark, {now:%Y-%m-%d %H:%M %Z}")
    print(
        f"machine: {os.cpu_count()} CPUs ({platform.machine()}, {platform.platform()}), "
        f"Python {platform.python_version()}; clients: one asyncio loop, python-socketio "
        f"{socketio.__version__ if hasattr(socketio, '__version__') else ''}".rstrip()
    )
    print(f"data: {base}")
    print(f"load average before: {load()}\n")
    began = time.perf_counter()
    # One counter for all three services: every call reaches every display.
    (base / "site.toml").write_text(site_with_counters(1), encoding="utf-8")
    server = Server(
        base,
        extra=["--config", str(base / "site.toml")],
        env={"WARTEMARKE_TICKET_LIMIT": "off"},
    )
    try:
        server.add_user("clerk1", "bench-secret")
        server.start()
        asyncio.run(run(server, args.displays, args.phones, args.calls))
    finally:
        server.stop()
        if args.keep:
            print(f"\nkept: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)

    print_table(rows, now)
    print(f"\n(total run time {time.perf_counter() - began:.1f} s; load average after: {load()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
