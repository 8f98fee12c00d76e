"""From a tap at the kiosk to the ticket's bytes at the printer.

Run from the repository root::

    .venv/bin/python bench/bench_printing.py [--tickets 50]

Starts a virtual network printer (raw TCP on 127.0.0.1, answering status queries like an Epson
TM printer) and a real server process printing to it, then issues tickets one at a time through
the HTTP API, as the kiosk does, and measures for each: the API answer (what the kiosk waits for)
and the moment the printer has received the whole job (the connection closed after the cut
and the printer's answer to the status request that confirms the job).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import Server, site_with_counters  # noqa: E402
from wartemarke.printers.virtual_tcp import VirtualPrinter  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=50)
    args = parser.parse_args()

    arrived: list[float] = []
    got_job = threading.Event()

    def on_job(_job: bytes) -> None:
        arrived.append(time.perf_counter())
        got_job.set()

    with tempfile.TemporaryDirectory() as tmp, VirtualPrinter(on_job=on_job) as printer:
        data = Path(tmp)
        (data / "site.toml").write_text(site_with_counters(2), encoding="utf-8")
        server = Server(
            data,
            extra=["--config", str(data / "site.toml"), "--printer", printer.url],
            env={"WARTEMARKE_TICKET_LIMIT": "off"},
        ).start()
        try:
            session = requests.Session()
            answered, printed = [], []
            for i in range(args.tickets + 3):
                got_job.clear()
                tap = time.perf_counter()
                r = session.post(server.url + "/api/tickets", json={"service": 1 + i % 3})
                r.raise_for_status()
                answer = time.perf_counter()
                if not got_job.wait(10):
                    raise RuntimeError(f"ticket {r.json()['number']} never reached the printer")
                if i >= 3:  # warm-up
                    answered.append(answer - tap)
                    printed.append(arrived[-1] - tap)
        finally:
            server.stop()

    def fmt(values):
        q = statistics.quantiles(values, n=10)
        return (
            f"median {statistics.median(values) * 1000:.1f} ms, p90 {q[-1] * 1000:.1f} ms, "
            f"max {max(values) * 1000:.1f} ms"
        )

    print(f"{args.tickets} tickets, one at a time, printer tcp:// on 127.0.0.1")
    print(f"  tap -> API answer (kiosk shows the number): {fmt(answered)}")
    print(f"  tap -> whole ESC/POS job at the printer:    {fmt(printed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
