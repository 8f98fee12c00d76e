"""Core figures of one Wartemarke server process, measured from outside over real sockets.

Run from the repository root::

    .venv/bin/python bench/bench_core.py [--tickets N] [--keep]

It starts its own server processes (``python -m wartemarke serve``) on 127.0.0.1 with the
default SQLite store in a temporary data directory, measures, stops them and prints a table.
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import requests
import websocket

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import print_table  # noqa: E402
from tests.conftest import SITE_TOML, Server, site_with_counters  # noqa: E402

rows: list[tuple[str, str, str]] = []  # (figure, value, target/remark)


def row(name: str, value: str, remark: str = "") -> None:
    rows.append((name, value, remark))
    print(f"  {name}: {value} {remark}".rstrip(), flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (0..100), nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def waiting_total(server: Server) -> int:
    return sum(s["waiting"] for s in requests.get(server.url + "/api/services").json())


# 1. Throughput ----------------------------------------------------------------------------


async def _issue_many(url: str, total: int, concurrency: int) -> tuple[float, list[float], int]:
    counter = iter(range(total))
    done: list[float] = []  # completion times, seconds since the start
    errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def issue(service: int) -> int:
            async with session.post(url + "/api/tickets", json={"service": service}) as response:
                await response.read()
                return response.status

        # Warm up: open the connections before the clock starts.
        await asyncio.gather(*(issue(1) for _ in range(concurrency)))
        start = time.perf_counter()

        async def worker() -> None:
            nonlocal errors
            for i in counter:
                if await issue(1 + i % 3) != 201:
                    errors += 1
                done.append(time.perf_counter() - start)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start, sorted(done), errors


def bench_throughput(server: Server, total: int, concurrency: int = 8) -> None:
    waiting_before = waiting_total(server)
    elapsed, done, errors = asyncio.run(_issue_many(server.url, total, concurrency))
    rate = total / elapsed
    row(
        f"1. tickets issued/s ({total} tickets, {concurrency} keep-alive connections)",
        f"{rate:.0f}/s",
        f"target > 200/s: {verdict(rate > 200)}; {errors} errors",
    )
    # The rate falls as the queue grows; show it for the first and the last tenth.
    tenth = max(1, total // 10)
    first = tenth / done[tenth - 1]
    last = tenth / (done[-1] - done[-tenth - 1])
    row(
        "1b. same run: rate over the first / the last tenth of the tickets",
        f"{first:.0f}/s / {last:.0f}/s",
        f"(queue grew from {waiting_before + concurrency} to "
        f"{waiting_before + concurrency + total} waiting)",
    )


# 2. + 3. Sequential latency ---------------------------------------------------------------


def timed_requests(session: requests.Session, method: str, url: str, n: int, **kw) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = session.request(method, url, **kw)
        response.content  # noqa: B018 - the whole body, not only the headers
        times.append(time.perf_counter() - start)
        response.raise_for_status()
    return times


def bench_issue_latency(server: Server, n: int, label: str) -> None:
    session = requests.Session()
    before = waiting_total(server)
    times = timed_requests(session, "POST", server.url + "/api/tickets", n, json={"service": 2})
    median = statistics.median(times)
    row(
        f"{label}. issue one ticket, sequential, kept-alive ({n}; {before}-{before + n} waiting)",
        f"median {ms(median)}, p90 {ms(pct(times, 90))}, p99 {ms(pct(times, 99))}",
        f"target median < 10 ms: {verdict(median < 0.010)}",
    )


def bench_small_requests(server: Server) -> None:
    session = requests.Session()
    for path in ("/api/health", "/api/services"):
        timed_requests(session, "GET", server.url + path, 20)  # warm up
        times = timed_requests(session, "GET", server.url + path, 500)
        median = statistics.median(times)
        row(
            f"3. GET {path}, sequential, kept-alive (500)",
            f"median {ms(median)}, p90 {ms(pct(times, 90))}, max {ms(max(times))}",
            "Nagle/delayed-ACK pitfall would show >= 40 ms: "
            + ("not present" if median < 0.020 else "PRESENT?"),
        )


# 4. Start and restart ---------------------------------------------------------------------


def start_process(server: Server) -> None:
    """Start the server process without waiting (Server.start would also wait)."""
    server.log_path = server.data_dir / f"server-{server.port}.log"
    log = open(server.log_path, "ab")  # noqa: SIM115 - stays open for the child's lifetime
    server.proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wartemarke",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(server.port),
            "--data-dir",
            str(server.data_dir),
            *server.extra,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "WARTEMARKE_LOG_LEVEL": "WARNING"},
    )


def wait_health(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"server exited {server.proc.returncode}:\n{server.log()}")
        try:
            if requests.get(server.url + "/api/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.01)
    raise RuntimeError(f"server not answering after {timeout}s:\n{server.log()}")


def bench_cold_start(data_dir: Path) -> Server:
    data_dir.mkdir(parents=True)
    (data_dir / "site.toml").write_text(site_with_counters(2), encoding="utf-8")
    server = Server(data_dir, extra=["--config", str(data_dir / "site.toml")])
    start = time.perf_counter()
    start_process(server)
    wait_health(server)
    row(
        "4a. cold start (empty data dir: schema, accounts) to first 200 /api/health",
        ms(time.perf_counter() - start),
    )
    return server


def bench_kill_restart(server: Server, rounds: int = 3) -> Server:
    times = []
    for _ in range(rounds):
        issued = requests.post(server.url + "/api/tickets", json={"service": 3}).json()
        start = time.perf_counter()
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(10)
        start_process(server)  # same port, same data dir, immediately
        wait_health(server)
        times.append(time.perf_counter() - start)
        status = requests.get(server.url + f"/api/tickets/{issued['token']}")
        assert status.status_code == 200, "a ticket issued before the kill was lost"
    median = statistics.median(times)
    row(
        f"4b. kill -9 -> restart -> first 200 /api/health ({rounds}x)",
        f"median {ms(median)} (each: {', '.join(ms(t) for t in times)})",
        f"target < 2 s: {verdict(max(times) < 2.0)}",
    )
    return server


# 5. Websocket close handshake -------------------------------------------------------------


def ws_close_once(port: int, timeout: float = 5.0) -> float:
    """Seconds from sending a close frame until the server's close frame (or EOF) arrives."""
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", timeout=timeout
    )
    try:
        opened = ws.recv()
        assert opened.startswith("0{"), opened
        ws.send("40/display,")
        seen_ack = seen_snapshot = False
        while not (seen_ack and seen_snapshot):  # the order of the two is not fixed
            message = ws.recv()
            seen_ack |= message.startswith("40/display,")
            seen_snapshot |= message.startswith('42/display,["snapshot"')
        start = time.perf_counter()
        ws.send_close()
        while True:
            try:
                opcode, _ = ws.recv_data(control_frame=True)
            except websocket.WebSocketConnectionClosedException:
                break  # the server closed the TCP connection: also an answer
            except websocket.WebSocketTimeoutException:
                return float("inf")  # never answered
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
        return time.perf_counter() - start
    finally:
        ws.shutdown()


def bench_ws_close(server: Server, rounds: int = 20) -> None:
    times = [ws_close_once(server.port) for _ in range(rounds)]
    median = statistics.median(times)
    unanswered = sum(t == float("inf") for t in times)
    row(
        f"5. websocket close frame -> server's close frame ({rounds}x)",
        f"median {ms(median)}, max {ms(max(times))}",
        f"{unanswered} unanswered within 5 s",
    )


# ------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000, help="tickets for figure 1")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dirs")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="wartemarke-bench-"))
    servers: list[Server] = []
    now = datetime.datetime.now().astimezone()
    print(f"Wartemarke core benchmark, {now:%Y-%m-%d %H:%M %Z}")
    print(
        f"machine: {os.cpu_count()} CPUs ({platform.machine()}, {platform.platform()}), "
        f"Python {platform.python_version()} ({sys.executable})"
    )
    print(f"data: {base}\n")
    began = time.perf_counter()
    try:
        # Figures 1-3 and 5 use one server; the restarts (4) get their own data dir and server.
        # Figure 2 runs first, on a short queue; 2b repeats it behind the 2000 tickets of 1.
        main_dir = base / "main"
        main_dir.mkdir()
        (main_dir / "site.toml").write_text(SITE_TOML, encoding="utf-8")
        # The per-address ticket limit guards a venue's LAN; a load test turns it off.
        server = Server(
            main_dir,
            extra=["--config", str(main_dir / "site.toml")],
            env={"WARTEMARKE_TICKET_LIMIT": "off"},
        )
        servers.append(server)
        server.start()
        warm = requests.Session()
        timed_requests(warm, "POST", server.url + "/api/tickets", 5, json={"service": 3})
        bench_issue_latency(server, 300, "2")  # a realistic queue: a few hundred a day
        bench_small_requests(server)
        bench_ws_close(server)
        bench_throughput(server, args.tickets)
        bench_issue_latency(server, 100, "2b")  # the same, behind the throughput run's queue
        server.stop()

        restart = bench_cold_start(base / "restart")
        servers.append(restart)
        bench_kill_restart(restart)
        restart.stop()
    finally:
        for server in servers:
            server.stop()
        if args.keep:
            print(f"\nkept: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)

    print_table(sorted(rows, key=lambda r: r[0].split(" ", 1)[0]), now)
    print(f"\n(total run time {time.perf_counter() - began:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
