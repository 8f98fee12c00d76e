"""Scale-out fan-out: a clerk's "next" on one server process, to 1000 clients spread over two.

Run from the repository root (needs PostgreSQL and redis-server from Debian's packages)::

    .venv/bin/python bench/bench_scale.py [--displays 800] [--phones 200] [--calls 20] [--keep]

It starts a private PostgreSQL server and a private redis-server on 127.0.0.1 (the test suite's
``running_postgres``/``running_redis``), then two ``wartemarke serve`` processes A and B on one
data dir, sharing that database and Redis as their message queue (deploy/scale-out/README.md,
without nginx: each client connects to its process directly). Half of the ``--displays`` and of
the ``--phones`` connect to A, half to B. The clerk's requests go to A: every event reaches
A's clients from A itself and B's clients through Redis.

The clients and the measuring are bench_live.py's (one asyncio loop in this process, websockets,
latency = arrival at the client - the moment the clerk's request was sent, after three warm-up
calls). On top of its figures, this prints the same latency for A's and for B's clients apart:
the difference is what the hop through Redis costs. Nothing fails when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_live import Clients, issue, load, measure, pct, row, rows  # noqa: E402
from bench.results import print_table  # noqa: E402
from tests.conftest import (  # noqa: E402
    Server,
    _pg_bin,
    running_postgres,
    running_redis,
    site_with_counters,
)

WARMUP = 3  # as bench_live.measure


def spread95(values_ms: list[float]) -> str:
    return (
        f"p50 {pct(values_ms, 50):.1f} ms, p95 {pct(values_ms, 95):.1f}, "
        f"p99 {pct(values_ms, 99):.1f}, max {max(values_ms):.1f} (n={len(values_ms)})"
    )


class SplitClients(Clients):
    """bench_live's clients, remembering every round so the arrivals can be split by process."""

    def __init__(self, url: str) -> None:
        self.rounds = []
        super().__init__(url)

    @property
    def round(self):
        return self._round

    @round.setter
    def round(self, value) -> None:
        self._round = value
        if value is not None:
            self.rounds.append(value)


async def connect(clients: SplitClients, urls: list[str], displays: int, tokens: list[str]):
    """Displays and phones, the first half of each to urls[0], the second to urls[1]; returns
    which process each (kind, index) is on."""
    where: dict[tuple[str, int], int] = {}
    started = time.perf_counter()
    for kind, count in (("display", displays), ("phone", len(tokens))):
        half = (count + 1) // 2
        for process, (first, last) in enumerate(((0, half), (half, count))):
            clients.url = urls[process]  # read by connect_*() before their first await
            for batch in range(first, last, 50):
                indexes = range(batch, min(last, batch + 50))
                if kind == "display":
                    await asyncio.gather(*(clients.connect_display(i) for i in indexes))
                else:
                    await asyncio.gather(*(clients.connect_phone(i, tokens[i]) for i in indexes))
                where.update(((kind, i), process) for i in indexes)
    on_a = sum(1 for p in where.values() if p == 0)
    row(
        "0. connect",
        f"{displays} displays + {len(tokens)} phones in {time.perf_counter() - started:.2f} s",
        f"({on_a} on A, {len(where) - on_a} on B; websockets)",
    )
    return where


async def run(servers: list[Server], displays: int, phones: int, calls: int) -> None:
    a_url = servers[0].url
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        # As bench_live: the called tickets first (service 1), the phones' tickets behind them.
        for _ in range(calls + WARMUP):
            await issue(http, a_url, 1)
        tokens = [(await issue(http, a_url, 2))["token"] for _ in range(phones)]
        clients = SplitClients(a_url)
        try:
            where = await connect(clients, [s.url for s in servers], displays, tokens)
            await asyncio.sleep(2.0)  # the connects' snapshots and statuses drain
            gc.collect()
            gc.freeze()
            await measure(clients, http, a_url, displays + phones, calls, WARMUP)
        finally:
            await clients.close()
    by_process: dict[int, list[float]] = {0: [], 1: []}
    for current in clients.rounds[WARMUP:]:
        for key, arrived in current.arrivals.items():
            by_process[where[key]].append((arrived - current.sent) * 1000)
    everyone = by_process[0] + by_process[1]
    if everyone:
        row("6. next → each client, with p95", spread95(everyone))
    for process, name in ((0, "A (the clerk's process)"), (1, "B (through Redis)")):
        if by_process[process]:
            row(f"6{'ab'[process]}. … clients on {name}", spread95(by_process[process]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--displays", type=int, default=800, help="wall displays (/display)")
    parser.add_argument("--phones", type=int, default=200, help="visitors' phones (/ticket)")
    parser.add_argument("--calls", type=int, default=20, help="measured calls")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    args = parser.parse_args()
    bin_dir = _pg_bin()
    if bin_dir is None or shutil.which("redis-server") is None:
        print("needs PostgreSQL and redis-server (Debian: postgresql redis-server)")
        return 2

    base = Path(tempfile.mkdtemp(prefix="wartemarke-bench-scale-"))
    now = datetime.datetime.now().astimezone()
    print(f"Wartemarke scale-out fan-out benchmark, {now:%Y-%m-%d %H:%M %Z}")
    print(
        f"machine: {os.cpu_count()} CPUs ({platform.machine()}), Python "
        f"{platform.python_version()}; two server processes, PostgreSQL, Redis and the "
        "clients (one asyncio loop) all share it"
    )
    print(f"data: {base}")
    print(f"load average before: {load()}\n")
    began = time.perf_counter()
    (base / "site.toml").write_text(site_with_counters(1), encoding="utf-8")
    servers: list[Server] = []
    try:
        with running_postgres(bin_dir) as postgres, running_redis() as redis:
            import psycopg

            with psycopg.connect(postgres + "/postgres", autocommit=True) as conn:
                conn.execute("CREATE DATABASE wartemarke")
            env = {
                "WARTEMARKE_DATABASE": postgres + "/wartemarke",
                "WARTEMARKE_MESSAGE_QUEUE": redis,
                "WARTEMARKE_TICKET_LIMIT": "off",
            }
            extra = ["--config", str(base / "site.toml")]
            servers = [Server(base, extra=extra, env=env), Server(base, extra=extra, env=env)]
            servers[0].add_user("clerk1", "bench-secret")
            for server in servers:  # in turn: the first one sets up the site in the database
                server.start()
            try:
                asyncio.run(run(servers, args.displays, args.phones, args.calls))
            finally:
                for server in servers:
                    server.stop()
    finally:
        if args.keep:
            print(f"\nkept: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)

    print_table(rows, now)
    print(f"\n(total run time {time.perf_counter() - began:.1f} s; load average after: {load()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
