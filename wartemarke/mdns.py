"""How the tablets find the server without anybody typing an IP address.

* ``announce()``: on a LAN bind the server names itself by multicast DNS: ``wartemarke.local``
  (an A record for its LAN addresses) and a ``_http._tcp`` service (``_https._tcp`` with TLS)
  "Wartemarke (<venue>)" with its port, which Bonjour/Avahi browsers list. A name already
  taken by another machine gives ``wartemarke-2.local`` (and so on), said in the log.
* ``device_urls()``: the addresses devices open, for the admin tab "Geräte einrichten" (QR codes).

The announcing runs in a child process (``python -m wartemarke.mdns``). zeroconf runs an asyncio
loop in a thread of its own; under gevent's monkey patching that thread would be a greenlet in
the server's OS thread, sharing asyncio's "running loop" with every request. A plain interpreter
keeps the two apart, and whatever goes wrong there (no multicast, no free name) is a warning in
the log, never the server's crash. The child unregisters (sends the goodbye packets that make
browsers forget the service) on SIGTERM/SIGINT or when its stdin closes: at the server's
shutdown, or when the server died, even by SIGKILL.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading

log = logging.getLogger("wartemarke.mdns")  # also when run as __main__

HOSTNAME = "wartemarke"
SERVICE_TYPE = "_http._tcp.local."  # "_https._tcp.local." when the server speaks HTTPS
ENV_FLAG = "WARTEMARKE_MDNS"
# Other hosts answering for wartemarke.local: try wartemarke-2 … wartemarke-9, then give up.
MAX_NAMES = 9
# How long to listen for another host's answer to "who is <name>.local?" (RFC 6762 probing
# takes 750 ms); the server serves meanwhile, only the announcement waits.
PROBE_MS = 1000
# A DNS label (the service's instance name) holds at most 63 bytes.
MAX_LABEL = 63
# The screens a QR code sets up: role → path.
ROLES = (
    ("kiosk", "/kiosk/"),
    ("counter", "/counter/"),
    ("display", "/display/"),
    ("join", "/join"),
)


def enabled_by_env() -> bool:
    """``WARTEMARKE_MDNS=0`` (or false/no/off) turns the announcement off; on otherwise."""
    return os.environ.get(ENV_FLAG, "1").strip().lower() not in ("0", "false", "no", "off")


class Announcement:
    """The announcing child process, as the server sees it.

    ``state``: off (not wanted), starting, on (``host`` is the announced name, e.g.
    ``wartemarke.local``) or failed (the child's warning in the log says why)."""

    def __init__(self, state: str = "off", proc: subprocess.Popen | None = None) -> None:
        self.state = state
        self.host: str | None = None
        self._proc = proc
        if proc is not None:
            # A (green) thread: the child reports one JSON line once it has announced.
            threading.Thread(target=self._read, name="mdns-reader", daemon=True).start()
            atexit.register(self.close)

    def _read(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            for line in self._proc.stdout:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if isinstance(message, dict) and isinstance(message.get("host"), str):
                    self.host, self.state = message["host"], "on"
                elif isinstance(message, dict) and "error" in message:
                    self.state = "failed"
        if self.state == "starting":  # the child ended without announcing
            self.state = "failed"

    def close(self, timeout: float = 3.0) -> None:
        """Let the child unregister and wait for it (a few hundred ms of goodbye packets)."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(OSError, ValueError):
            proc.stdin.close()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wildcard(host: str) -> bool:
    return host in ("0.0.0.0", "::", "")


def lan_addresses_for(host: str) -> list[str]:
    """The IPv4 addresses devices reach a server bound to ``host`` by (doctor's own rule)."""
    from .app import lan_address
    from .doctor import device_addresses, ip_addr_json

    return device_addresses(host, ip_addr_json(), lan_address())


def announce(
    host: str, port: int, venue: str, enabled: bool = True, scheme: str = "http"
) -> Announcement:
    """Start announcing the server (in a child process); never raises."""
    if not enabled:
        log.info("mDNS off (--no-mdns or %s=0): devices need the IP address", ENV_FLAG)
        return Announcement()
    addresses = lan_addresses_for(host)
    if not addresses:
        if wildcard(host):
            log.warning("mDNS: no LAN address to announce (not connected to a network?)")
        else:
            log.info("mDNS off: the server listens on %s only", host)
        return Announcement()
    command = [sys.executable, "-m", "wartemarke.mdns", f"--port={port}", f"--venue={venue}"]
    command.append(f"--scheme={scheme}")
    try:
        proc = subprocess.Popen(
            [*command, "--", *addresses],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
    except OSError as exc:
        log.warning("mDNS: cannot start the announcement: %s", exc)
        return Announcement("failed")
    return Announcement("starting", proc)


def port_of(host_header: str, scheme: str) -> int:
    """The port of a Host header ("10.0.0.5:8080", "[::1]:8080"), else the scheme's default."""
    _, colon, port = host_header.rpartition(":")
    if colon and port.isdigit():
        return int(port)
    return 443 if scheme == "https" else 80


def _origin(scheme: str, host: str, port: int) -> str:
    default = {"http": 80, "https": 443}.get(scheme)
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" + ("" if port == default else f":{port}")


def device_urls(settings, scheme: str, port: int, mdns: Announcement | None) -> dict:
    """The base URLs devices open, each with the URL and QR code (an SVG data URI) of every
    screen: the configured public URL, else each LAN address; plus ``<scheme>://wartemarke.local``
    while that is announced. ``problem`` says why there is no LAN address (loopback bind, no
    network). ``scheme``/``port``: how the admin reached the server, which is how devices do."""
    from .qr import qr_svg

    fixed = settings.public_url or settings.site.public_url
    bases: list[dict] = []
    problem = None
    if fixed:
        bases.append({"kind": "public", "url": fixed.rstrip("/")})
    else:
        addresses = lan_addresses_for(settings.host)
        if not addresses:
            problem = "no_network" if wildcard(settings.host) else "loopback"
        bases += [{"kind": "lan", "url": _origin(scheme, a, port)} for a in addresses]
    mdns = mdns or Announcement()
    if mdns.state == "on" and mdns.host:
        bases.append({"kind": "mdns", "url": _origin(scheme, mdns.host, port)})
    for base in bases:
        base["devices"] = []
        for role, path in ROLES:
            url = base["url"] + path
            svg = base64.b64encode(qr_svg(url)).decode("ascii")
            base["devices"].append(
                {"role": role, "url": url, "qr": f"data:image/svg+xml;base64,{svg}"}
            )
    return {
        "bases": bases,
        "problem": problem,
        "host": settings.host,
        "mdns": {"state": mdns.state, "host": mdns.host},
    }


# --- the child process ------------------------------------------------------------------------


def instance_name(venue: str) -> str:
    """The service's name, "Wartemarke (<venue>)", the venue shortened to fit a DNS label."""
    venue = " ".join(venue.split())  # no control characters or line breaks
    if not venue:
        return "Wartemarke"
    while len(f"Wartemarke ({venue})".encode()) > MAX_LABEL:
        venue = venue[:-1]
    return f"Wartemarke ({venue.rstrip()})"


def free_hostname(zc, ours: list[str]) -> str | None:
    """The first of wartemarke, wartemarke-2, … that no other host answers for (a host with
    only our own addresses is this machine: an earlier run, a second server)."""
    from zeroconf import AddressResolver, IPVersion

    for n in range(1, MAX_NAMES + 1):
        name = HOSTNAME if n == 1 else f"{HOSTNAME}-{n}"
        resolver = AddressResolver(f"{name}.local.")
        if not resolver.request(zc, PROBE_MS):
            return name
        found = set(resolver.parsed_addresses(IPVersion.V4Only))
        if found <= set(ours):
            return name
        log.warning("mDNS: %s.local is taken by %s", name, ", ".join(sorted(found)))
    return None


def _emit(message: dict) -> None:
    print(json.dumps(message), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wartemarke.mdns")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--venue", default="")
    parser.add_argument("--scheme", choices=["http", "https"], default="http")
    parser.add_argument("addresses", nargs="+")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("WARTEMARKE_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    def server_gone() -> None:
        # Unbuffered: a buffered read would hold stdin's lock at the interpreter's exit.
        with contextlib.suppress(OSError, ValueError):
            while os.read(sys.stdin.fileno(), 4096):  # b"" at EOF: the server closed it or died
                pass
        stop.set()

    threading.Thread(target=server_gone, daemon=True).start()

    from zeroconf import IPVersion, ServiceInfo, Zeroconf

    try:
        zc = Zeroconf(interfaces=args.addresses, ip_version=IPVersion.V4Only)
    except Exception as exc:  # no multicast route, no such interface: say so, serve on
        log.warning("mDNS: cannot announce on %s: %s", ", ".join(args.addresses), exc)
        _emit({"error": str(exc)})
        return 1
    try:
        name = free_hostname(zc, args.addresses)
        if name is None:
            log.warning(
                "mDNS: %s.local to %s-%d.local are all taken", HOSTNAME, HOSTNAME, MAX_NAMES
            )
            _emit({"error": "no free name"})
            return 1
        kind = SERVICE_TYPE.replace("_http.", f"_{args.scheme}.")
        info = ServiceInfo(
            kind,
            f"{instance_name(args.venue)}.{kind}",
            port=args.port,
            addresses=[socket.inet_aton(a) for a in args.addresses],
            server=f"{name}.local.",
            properties={"path": "/"},
        )
        zc.register_service(info, allow_name_change=True)
        host = f"{name}.local"
        if name != HOSTNAME:
            log.warning("mDNS: %s.local belongs to another host; announced as %s", HOSTNAME, host)
        log.info(
            "mDNS: devices find the server as %s://%s:%d/ (service '%s')",
            args.scheme,
            host,
            args.port,
            info.name.removesuffix("." + kind),
        )
        _emit({"host": host, "service": info.name})
        stop.wait()
        zc.unregister_all_services()
        return 0
    except Exception as exc:
        log.warning("mDNS: the announcement failed: %s", exc)
        _emit({"error": str(exc)})
        return 1
    finally:
        zc.close()


if __name__ == "__main__":
    sys.exit(main())
