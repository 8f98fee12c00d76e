"""``wartemarke doctor``: the pre-flight check city IT runs on the laptop before opening.

One line per check, OK / WARNUNG / FEHLER with what to do in German (the people on site read
it); ``--json`` for scripts. Exit code 1 if anything is FEHLER. Nothing is changed: no data dir
or database is created, no migration runs, and no internet is needed.
"""

from __future__ import annotations

import contextlib
import errno
import json
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

OK, WARN, FAIL = "OK", "WARNUNG", "FEHLER"
MiB = 1024 * 1024
DISK_WARN = 1024 * MiB
DISK_FAIL = 100 * MiB
HTTP_TIMEOUT = 3.0
# The plain opener: a proxy from the environment must not stand between us and the LAN.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


# A server started with --certfile speaks only HTTPS. The question here is whether it answers,
# not whether this laptop trusts its certificate (the devices must: README, HTTPS).
_TLS_OPENER = urllib.request.build_opener(
    urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=_unverified())
)


@dataclass
class Check:
    name: str  # stable key for --json
    title: str  # German label of the line
    status: str
    message: str
    hint: str = ""
    data: dict = field(default_factory=dict)

    def line(self) -> str:
        hint = f" → {self.hint}" if self.hint else ""
        return f"{self.status:<8} {self.title}: {self.message}{hint}"


# --- site file --------------------------------------------------------------------------------


def check_site(config: Path | None):
    """(Check, Site): the site file read as ``serve`` would read it."""
    from .config import ConfigError, Site, load_site

    if config is None:
        return Check("site", "Standortdatei", OK, "keine: eingebaute Dienste und Schalter"), Site()
    try:
        site = load_site(config)
    except ConfigError as exc:
        hint = "Datei korrigieren (Zeile und Spalte stehen in der Meldung)"
        return Check("site", "Standortdatei", FAIL, str(exc), hint), Site()
    return (
        Check(
            "site",
            "Standortdatei",
            OK,
            f"{config} gelesen ({len(site.services)} Dienste, {len(site.counters)} Schalter)",
        ),
        site,
    )


# --- printer ----------------------------------------------------------------------------------

PRINTER_HINT = (
    "Drucker einschalten, Kabel/Netzwerk prüfen, Adresse mit dem Selbsttest-Ausdruck des "
    "Druckers vergleichen; danach 'wartemarke printer test'"
)


def check_printer(url: str, data_dir: Path) -> Check:
    """The configured printer's status, asked through its transport as the spooler does."""
    from .printers import PrinterConfigError, open_transport

    title = f"Drucker {url}"
    if url.strip().lower() == "none":
        return Check(
            "printer", title, OK, "Drucken abgeschaltet: der Kiosk zeigt Nummer und QR-Code"
        )
    with contextlib.ExitStack() as stack:
        # The transport keeps python-escpos' cache in the data dir; never create one for that.
        where = (
            data_dir if data_dir.is_dir() else stack.enter_context(tempfile.TemporaryDirectory())
        )
        try:
            transport = open_transport(url, where)
        except (PrinterConfigError, OSError) as exc:
            hint = "Drucker-URL korrigieren (--printer, WARTEMARKE_PRINTER oder [printer] url)"
            return Check("printer", title, FAIL, str(exc), hint)
        if transport.scheme == "virtual":
            return Check(
                "printer",
                title,
                OK,
                f"virtueller Drucker: Tickets werden nur als Bild unter {data_dir / 'tickets'} "
                "gespeichert, nichts wird gedruckt",
                "für echten Druck z. B. --printer tcp://IP:9100",
            )
        status = transport.status()
    data = {"online": status.online, "paper": status.paper, "error": status.error}
    if status.online is False:
        return Check("printer", title, FAIL, f"nicht bereit ({status.error})", PRINTER_HINT, data)
    if status.paper == "out" or status.cover_open:
        hint = "Papierrolle einlegen bzw. Deckel schließen"
        return Check("printer", title, FAIL, f"nicht bereit ({status.error})", hint, data)
    if status.error:
        return Check("printer", title, FAIL, status.error, PRINTER_HINT, data)
    if status.paper == "near_end":
        return Check("printer", title, WARN, "Papier fast leer", "Ersatzrolle bereitlegen", data)
    if status.online is None:
        return Check(
            "printer",
            title,
            WARN,
            "Status unbekannt: der Drucker meldet keinen Zustand",
            "'wartemarke printer test' drucken und den Ausdruck ansehen",
            data,
        )
    return Check("printer", title, OK, "bereit, Papier ok" if status.paper == "ok" else "bereit")


# --- data dir and disk ------------------------------------------------------------------------


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_data_dir(data_dir: Path) -> Check:
    """Writable, or creatable by ``serve``; probed with a temporary file, nothing left behind."""
    hint = "anderes Verzeichnis wählen (--data-dir, WARTEMARKE_DATA_DIR) oder Rechte prüfen"
    title = "Datenverzeichnis"
    base = _existing_ancestor(data_dir)
    if not base.is_dir():
        return Check("data_dir", title, FAIL, f"{data_dir}: {base} ist kein Verzeichnis", hint)
    try:
        if base == data_dir:
            with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".doctor-"):
                pass
        else:
            tempfile.TemporaryDirectory(dir=base, prefix=".doctor-").cleanup()
    except OSError as exc:
        return Check(
            "data_dir", title, FAIL, f"{base} ist nicht beschreibbar ({exc.strerror})", hint
        )
    if base == data_dir:
        return Check("data_dir", title, OK, f"{data_dir} beschreibbar")
    return Check("data_dir", title, OK, f"{data_dir} fehlt noch, wird beim Start angelegt")


def check_disk(data_dir: Path, warn: int = DISK_WARN, fail: int = DISK_FAIL) -> Check:
    base = _existing_ancestor(data_dir)
    try:
        free = shutil.disk_usage(base).free
    except OSError as exc:
        return Check("disk", "Speicherplatz", FAIL, f"{base}: {exc.strerror}")
    text = f"{free / 1024**3:.1f} GiB frei in {base}"
    hint = (
        "Platz schaffen: alte Sicherungen und Dateien verschieben, 'wartemarke retention' "
        "für alte Tage"
    )
    data = {"free_bytes": free}
    if free < fail:
        return Check("disk", "Speicherplatz", FAIL, f"nur {text}", hint, data)
    if free < warn:
        return Check("disk", "Speicherplatz", WARN, f"nur {text}", hint, data)
    return Check("disk", "Speicherplatz", OK, text, data=data)


# --- database ---------------------------------------------------------------------------------


def _sqlite_state(path: Path) -> tuple[str | None, bool, int | None, list[str]]:
    """(revision, has tables, tickets, problems) of an SQLite file, read only."""
    from .backup import connect_existing

    conn = connect_existing(path)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        revision = tickets = None
        if "alembic_version" in tables:
            revision = (
                conn.execute("SELECT version_num FROM alembic_version").fetchone() or [None]
            )[0]
        if "tickets" in tables:
            tickets = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
    finally:
        conn.close()
    return revision, bool(tables), tickets, [] if problems == ["ok"] else problems


def _server_state(url: str) -> tuple[str | None, bool, int | None, list[str]]:
    from sqlalchemy import inspect

    from .store import Store
    from .store.migrate import current_revision

    store = Store(url)
    try:
        revision = current_revision(store.engine)
        with store.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            tickets = None
            if "tickets" in tables:
                tickets = conn.exec_driver_sql("SELECT count(*) FROM tickets").scalar_one()
    finally:
        store.dispose()
    return revision, bool(tables), tickets, []


def check_database(url: str) -> Check:
    """Opens, is intact (SQLite: quick_check) and at this version's migration; never creates
    or upgrades anything."""
    from sqlalchemy.engine import make_url

    from .backup import known_revisions
    from .store.database import normalise_url

    url = normalise_url(url)
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    title = "Datenbank"
    revisions = known_revisions()
    head = revisions[-1]
    try:
        if url.startswith("sqlite"):
            path = Path(parsed.database or "")
            if not path.is_file():
                return Check("database", title, OK, f"{path} fehlt noch, wird beim Start angelegt")
            state = _sqlite_state(path)
        else:
            state = _server_state(url)
    except Exception as exc:  # any driver's "cannot open": the line says which
        detail = " ".join(str(getattr(exc, "orig", exc)).split())[:200]
        hint = "Datenbank-Server und Adresse/Passwort (--database, WARTEMARKE_DATABASE) prüfen"
        return Check("database", title, FAIL, f"{shown} lässt sich nicht öffnen: {detail}", hint)
    revision, has_tables, tickets, problems = state
    restore = "Server stoppen und die letzte Sicherung einspielen: 'wartemarke restore DATEI'"
    if problems:
        return Check("database", title, FAIL, f"beschädigt: {'; '.join(problems)}", restore)
    data = {"revision": revision, "head": head, "tickets": tickets}
    if revision is None:
        if has_tables:
            return Check(
                "database", title, FAIL, f"{shown} ist keine Wartemarke-Datenbank", restore
            )
        return Check("database", title, OK, "leer, wird beim Start eingerichtet", data=data)
    if revision not in revisions:
        hint = "die neuere Wartemarke-Version installieren, mit der sie geschrieben wurde"
        return Check("database", title, FAIL, f"unbekanntes Schema {revision}", hint, data)
    if revision != head:
        return Check(
            "database",
            title,
            WARN,
            f"Schema {revision}, wird beim Start auf {head} aktualisiert",
            "vorher eine Sicherung anlegen: 'wartemarke backup VERZEICHNIS'",
            data,
        )
    return Check("database", title, OK, f"Schema {head} (aktuell), {tickets} Tickets", data=data)


# --- network ----------------------------------------------------------------------------------


def ip_addr_json(run=subprocess.run) -> list[dict]:
    """``ip -j addr`` parsed, or [] where there is no iproute2."""
    ip = shutil.which("ip")
    if ip is None:
        return []
    try:
        done = run([ip, "-j", "-4", "addr", "show"], capture_output=True, text=True, timeout=5)
        return json.loads(done.stdout) if done.returncode == 0 else []
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return []


def lan_addresses(interfaces: list[dict], primary: str | None) -> list[str]:
    """Non-loopback IPv4 addresses of interfaces that are up, the default route's first."""
    found = []
    for interface in interfaces:
        if "UP" not in interface.get("flags", []) or "LOOPBACK" in interface.get("flags", []):
            continue
        for info in interface.get("addr_info", []):
            address = info.get("local", "")
            if info.get("family") == "inet" and info.get("scope") == "global" and address:
                found.append(address)
    if primary and not primary.startswith("127."):
        found.insert(0, primary)
    return list(dict.fromkeys(found))


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def device_addresses(host: str, interfaces: list[dict], primary: str | None) -> list[str]:
    """What other devices may open: every LAN address, or just the one ``--host`` binds."""
    if host in ("0.0.0.0", "::", ""):
        return lan_addresses(interfaces, primary)
    return [] if _is_loopback(host) else [host]


def check_lan(host: str, port: int, addresses: list[str]) -> Check:
    title = "LAN-Adressen"
    urls = [f"http://{a}:{port}/" for a in addresses]
    if _is_loopback(host):
        return Check(
            "lan",
            title,
            FAIL,
            f"der Server lauscht nur auf {host}: andere Geräte erreichen ihn nicht",
            "mit --host 0.0.0.0 (WARTEMARKE_HOST) starten",
        )
    if not urls:
        return Check(
            "lan",
            title,
            WARN,
            "keine Netzwerkverbindung: nur dieser Laptop erreicht den Server",
            "mit dem WLAN/LAN des Veranstaltungsorts verbinden",
        )
    shown = ", ".join(f"{u}kiosk/" for u in urls)
    return Check("lan", title, OK, f"Geräte öffnen {shown}", data={"urls": urls})


def health(base_url: str, timeout: float = HTTP_TIMEOUT) -> dict | None:
    """The /api/health answer of a Wartemarke at base_url (or its https:// twin), else None."""
    tls_url = base_url.replace("http://", "https://", 1)
    for opener, url in ((_OPENER, base_url), (_TLS_OPENER, tls_url)):
        try:
            with opener.open(f"{url.rstrip('/')}/api/health", timeout=timeout) as response:
                body = json.loads(response.read(4096))
        except (OSError, ValueError):
            continue
        return body if isinstance(body, dict) and body.get("ok") is True else None
    return None


def check_port(host: str, port: int) -> tuple[Check, bool]:
    """(Check, whether a Wartemarke already serves on it)."""
    title = f"Port {port}"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as serve binds it
        try:
            probe.bind((host, port))
            return Check("port", title, OK, f"frei auf {host}"), False
        except OSError as exc:
            problem = exc
    if problem.errno == errno.EACCES:
        return Check(
            "port", title, FAIL, "keine Berechtigung", "einen Port über 1024 wählen"
        ), False
    if problem.errno != errno.EADDRINUSE:
        return Check("port", title, FAIL, f"{host}:{port}: {problem.strerror}"), False
    local = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    answer = health(f"http://{f'[{local}]' if ':' in local else local}:{port}")
    if answer is not None:
        version = answer.get("version", "?")
        return Check("port", title, OK, f"Wartemarke {version} läuft bereits darauf"), True
    return (
        Check(
            "port",
            title,
            FAIL,
            "von einem anderen Programm belegt",
            f"das Programm beenden (welches: sudo ss -ltnp 'sport = :{port}') oder "
            "einen anderen Port wählen (--port, WARTEMARKE_PORT)",
        ),
        False,
    )


def check_lan_reachable(addresses: list[str], port: int, running: bool) -> Check:
    """A running server answers on each LAN address (i.e. it is not bound to 127.0.0.1 only).
    From the laptop itself: a firewall between the devices shows only from another device."""
    title = "Erreichbarkeit im LAN"
    if not running:
        return Check(
            "lan_reachable",
            title,
            WARN,
            f"nicht geprüft: kein Wartemarke-Server auf Port {port}",
            "Server starten ('wartemarke serve') und 'wartemarke doctor' wiederholen",
        )
    if not addresses:
        return Check("lan_reachable", title, WARN, "nicht geprüft: keine LAN-Adresse")
    failed = [a for a in addresses if health(f"http://{a}:{port}") is None]
    if failed:
        return Check(
            "lan_reachable",
            title,
            FAIL,
            f"keine Antwort unter {', '.join(f'{a}:{port}' for a in failed)}",
            "Server mit --host 0.0.0.0 starten; Firewall: Port freigeben "
            f"(sudo ufw allow {port}/tcp)",
            {"failed": failed},
        )
    return Check("lan_reachable", title, OK, f"antwortet unter {', '.join(addresses)}")


# --- time -------------------------------------------------------------------------------------

TIME_HINT = (
    "Uhrzeit mit einer verlässlichen Uhr vergleichen; NTP einschalten: sudo timedatectl "
    "set-ntp true (ohne Internet: sudo timedatectl set-time 'JJJJ-MM-TT hh:mm:ss')"
)


def ntp_synchronized(run=subprocess.run) -> tuple[bool | None, str]:
    """(synchronised or None if no tool can tell, which tool said so)."""
    timedatectl = shutil.which("timedatectl")
    if timedatectl:
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            done = run(
                [timedatectl, "show", "-p", "NTPSynchronized", "--value"],
                capture_output=True,
                text=True,
                timeout=5,
            )
            value = done.stdout.strip().lower()
            if done.returncode == 0 and value in ("yes", "no"):
                return value == "yes", "timedatectl"
    chronyc = shutil.which("chronyc")
    if chronyc:
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            done = run([chronyc, "tracking"], capture_output=True, text=True, timeout=5)
            for line in done.stdout.splitlines():
                key, _, value = line.partition(":")
                if done.returncode == 0 and key.strip() == "Leap status":
                    return value.strip() == "Normal", "chronyc"
    return None, ""


def check_time(timezone: str, synced: bool | None, source: str) -> Check:
    now = datetime.now(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M:%S")
    title = "Uhrzeit"
    clock = f"{now} ({timezone})"
    if synced:
        return Check("time", title, OK, f"{clock}, per NTP synchronisiert ({source})")
    if synced is False:
        return Check("time", title, WARN, f"{clock}, nicht synchronisiert ({source})", TIME_HINT)
    return Check("time", title, WARN, f"{clock}, Synchronisation unbekannt", TIME_HINT)


# --- all together -----------------------------------------------------------------------------


def run_checks(args) -> list[Check]:
    from .app import lan_address
    from .config import SITE_FILE, Settings

    data_dir = Path(args.data_dir).expanduser().absolute()
    config = Path(args.config) if args.config else None
    if config is None and (data_dir / SITE_FILE).is_file():
        config = data_dir / SITE_FILE
    site_check, site = check_site(config)
    settings = Settings(data_dir=data_dir, database=args.database, printer=args.printer, site=site)
    checks = [site_check, check_printer(settings.printer_url, data_dir)]
    checks += [
        check_data_dir(data_dir),
        check_disk(data_dir),
        check_database(settings.database_url),
    ]
    addresses = device_addresses(args.host, ip_addr_json(), lan_address())
    checks.append(check_lan(args.host, args.port, addresses))
    checks.append(check_time(site.timezone, *ntp_synchronized()))
    port, running = check_port(args.host, args.port)
    checks += [port, check_lan_reachable(addresses, args.port, running)]
    return checks


def report(checks: list[Check], as_json: bool, out=sys.stdout) -> int:
    errors = sum(c.status == FAIL for c in checks)
    warnings = sum(c.status == WARN for c in checks)
    if as_json:
        body = {"ok": not errors, "errors": errors, "warnings": warnings}
        body["checks"] = [asdict(c) for c in checks]
        json.dump(body, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        for check in checks:
            out.write(check.line() + "\n")
        verdict = "bereit zur Öffnung" if not errors else "vor der Öffnung beheben"
        out.write(f"Ergebnis: {errors} FEHLER, {warnings} WARNUNG: {verdict}\n")
    return 1 if errors else 0


def main(args) -> int:
    return report(run_checks(args), args.json)
