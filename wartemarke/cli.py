"""The ``wartemarke`` command.

Every option can also come from an environment variable (shown in ``--help``), so a systemd
unit or a container needs no command line.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from .config import DEFAULT_DATA_DIR, ENV, ConfigError, env_default


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        default=env_default("data_dir", DEFAULT_DATA_DIR),
        help=f"where the database, tickets and keys live (env {ENV['data_dir']}; "
        f"default ./{DEFAULT_DATA_DIR})",
    )
    p.add_argument(
        "--database",
        default=env_default("database"),
        help=f"database URL, e.g. postgresql+psycopg://user:pw@host/db "
        f"(env {ENV['database']}; default: SQLite in the data dir)",
    )
    p.add_argument(
        "--config", default=env_default("config"), help=f"site file, TOML (env {ENV['config']})"
    )


def _flag_env(name: str) -> bool:
    return env_default(name, "").lower() in ("1", "true", "yes", "on")


def _mdns_default() -> bool:
    from .mdns import enabled_by_env  # on unless WARTEMARKE_MDNS=0

    return enabled_by_env()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wartemarke", description="Queue management and kiosk system for pop-up offices."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="start the server (kiosk, counters, display, API)")
    _common(serve)
    serve.add_argument("--host", default=env_default("host", "0.0.0.0"), help="env WARTEMARKE_HOST")
    serve.add_argument(
        "--port", type=int, default=int(env_default("port", "8080")), help="env WARTEMARKE_PORT"
    )
    serve.add_argument(
        "--printer",
        default=env_default("printer"),
        help="printer URL (env WARTEMARKE_PRINTER; default virtual)",
    )
    serve.add_argument(
        "--public-url",
        default=env_default("public_url"),
        help="base URL phones reach the server by, for ticket QR codes (env WARTEMARKE_PUBLIC_URL)",
    )
    serve.add_argument(
        "--certfile",
        default=env_default("certfile"),
        help="HTTPS: the certificate (chain), PEM, e.g. from 'wartemarke cert' "
        "(env WARTEMARKE_CERTFILE; default: plain HTTP)",
    )
    serve.add_argument(
        "--keyfile",
        default=env_default("keyfile"),
        help="HTTPS: its private key, PEM (env WARTEMARKE_KEYFILE; default: in --certfile)",
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        default=_flag_env("demo"),
        help="fill an empty database with a demo venue and accounts (env WARTEMARKE_DEMO=1)",
    )
    serve.add_argument(
        "--message-queue",
        default=env_default("message_queue"),
        help="redis:// URL shared by several server processes (env WARTEMARKE_MESSAGE_QUEUE)",
    )
    serve.add_argument(
        "--proxy-hops",
        type=int,
        default=env_default("proxy_hops", "0"),
        metavar="N",
        help="reverse proxies in front (nginx: 1); only then are X-Forwarded-For/-Proto "
        "trusted (env WARTEMARKE_PROXY_HOPS; default 0)",
    )
    serve.add_argument("--access-log", action="store_true", help="log every HTTP request")
    serve.add_argument(
        "--no-mdns",
        dest="mdns",
        action="store_false",
        default=_mdns_default(),
        help="do not announce the server as wartemarke.local on the LAN (mDNS; on by default "
        "with --host 0.0.0.0, off on 127.0.0.1; env WARTEMARKE_MDNS=0)",
    )

    user = sub.add_parser("user", help="manage clerk and admin accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="add an account (or set a new password)")
    _common(add)
    add.add_argument("name")
    add.add_argument("--role", choices=["clerk", "admin"], default="clerk")
    add.add_argument("--display-name", default="")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    lst = user_sub.add_parser("list", help="list accounts")
    _common(lst)

    printer = sub.add_parser("printer", help="receipt printer tools")
    printer_sub = printer.add_subparsers(dest="printer_command", required=True)
    test = printer_sub.add_parser("test", help="print a test page with all special characters")
    _common(test)
    test.add_argument("--printer", default=env_default("printer"), help="printer URL")

    report = sub.add_parser("report", help="write the evaluation report (printable HTML, A4)")
    _common(report)
    report.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="first day (today)")
    report.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="last day (today)")
    report.add_argument("--out", required=True, help="the HTML file to write")
    report.add_argument(
        "--event", metavar="ID", help="only this pop-up event (its id or key; default: all)"
    )

    retention = sub.add_parser(
        "retention",
        help="archive old days: keep their figures as day aggregates, delete their raw rows",
    )
    _common(retention)
    retention.add_argument(
        "--days",
        type=int,
        metavar="N",
        help="keep the raw rows of the last N days (default: the setting retention_days, "
        "from the site file's [data] retention_days)",
    )

    export = sub.add_parser(
        "export", help="write the data of a range of days for a central installation (or CSV/xlsx)"
    )
    _common(export)
    export.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="first day (all)")
    export.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="last day (all)")
    export.add_argument("--out", required=True, help="the file to write")
    export.add_argument(
        "--format",
        choices=["json", "csv", "xlsx"],
        default="json",
        help="json: the exchange file for 'wartemarke import'; csv: one statistics table "
        "(--table); xlsx: all tables (csv/xlsx default to today)",
    )
    export.add_argument(
        "--table",
        choices=["events", "by_service", "by_hour", "by_day", "by_event", "appointments"],
        default="events",
        help="the table written with --format csv",
    )

    imp = sub.add_parser("import", help="merge an export file from another installation")
    _common(imp)
    imp.add_argument("file", help="the JSON file written by 'wartemarke export'")

    appointments = sub.add_parser(
        "appointments", help="booked time slots: import bookings from a file, list a day's"
    )
    appointments_sub = appointments.add_subparsers(dest="appointments_command", required=True)
    book = appointments_sub.add_parser(
        "import",
        help="book every row of a .csv or .xlsx file, all or nothing "
        "(columns Datum, Uhrzeit, Dienst, optionally Buchungscode and Name)",
    )
    _common(book)
    book.add_argument("file", help="the .csv or .xlsx file; the first row names the columns")
    listing = appointments_sub.add_parser("list", help="the appointments of one day")
    _common(listing)
    listing.add_argument("--day", metavar="YYYY-MM-DD", help="the day (default: today)")

    backup = sub.add_parser(
        "backup", help="write a checked copy of the database (safe while the server runs)"
    )
    _common(backup)
    backup.add_argument(
        "out",
        metavar="OUT",
        help="the file to write, or a directory for wartemarke-YYYYMMDD-HHMMSS.sqlite3 "
        "(.dump for PostgreSQL)",
    )
    restore = sub.add_parser(
        "restore", help="replace the database by a backup (the server must be stopped)"
    )
    _common(restore)
    restore.add_argument("backup", metavar="BACKUP", help="a file written by 'wartemarke backup'")

    doctor = sub.add_parser(
        "doctor", help="pre-flight check before opening: printer, disk, database, network, time"
    )
    _common(doctor)
    doctor.add_argument(
        "--host", default=env_default("host", "0.0.0.0"), help="env WARTEMARKE_HOST"
    )
    doctor.add_argument(
        "--port", type=int, default=int(env_default("port", "8080")), help="env WARTEMARKE_PORT"
    )
    doctor.add_argument("--printer", default=env_default("printer"), help="printer URL")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")

    cert = sub.add_parser(
        "cert",
        help="HTTPS on the LAN: a local CA (ca.crt, for the devices to trust) and a server "
        "certificate for this machine's LAN addresses and wartemarke.local",
    )
    _common(cert)
    cert.add_argument(
        "--host",
        action="append",
        default=[],
        metavar="NAME|IP",
        help="another name or address devices open (repeatable)",
    )
    cert.add_argument("--out", help="the directory to write to (default: <data dir>/tls)")
    cert.add_argument("--days", type=int, default=825, help="server certificate validity")
    cert.add_argument(
        "--new-ca", action="store_true", help="make a new CA even if the directory has one"
    )
    return parser


def load_settings(args: argparse.Namespace):
    from .config import (
        SITE_FILE,
        Settings,
        load_site,
        parse_clock_file,
        parse_clock_start,
        prepare_data_dir,
    )

    settings = Settings(
        data_dir=prepare_data_dir(Path(args.data_dir)),
        database=args.database,
        config_file=Path(args.config) if args.config else None,
    )
    if settings.config_file is None and (settings.data_dir / SITE_FILE).is_file():
        # Saved by the admin area ("Standortdatei") when the server was started without one.
        settings.config_file = settings.data_dir / SITE_FILE
    if settings.config_file:
        settings.site = load_site(settings.config_file)
    for name in ("host", "port", "printer", "public_url", "demo", "message_queue", "certfile"):
        if hasattr(args, name):
            setattr(settings, name, getattr(args, name))
    settings.keyfile = getattr(args, "keyfile", None)
    settings.proxy_hops = getattr(args, "proxy_hops", 0)
    if not 0 <= settings.proxy_hops <= 5:
        raise ConfigError(f"--proxy-hops/{ENV['proxy_hops']} must be 0 to 5")
    settings.login_limit = env_default("login_limit") or settings.login_limit
    settings.checkin_limit = env_default("checkin_limit") or settings.checkin_limit
    if env_default("housekeeping_interval"):
        try:
            settings.housekeeping_interval = max(1.0, float(env_default("housekeeping_interval")))
        except ValueError:
            raise ConfigError("WARTEMARKE_HOUSEKEEPING_SECONDS must be a number") from None
    settings.ticket_limit = env_default("ticket_limit") or settings.ticket_limit
    if env_default("clock_start"):
        settings.clock_start = parse_clock_start(env_default("clock_start"))
    if env_default("clock_file"):
        if settings.clock_start is not None:
            raise ConfigError(
                f"{ENV['clock_start']} and {ENV['clock_file']} exclude each other; set one"
            )
        settings.clock_file = parse_clock_file(env_default("clock_file"))
    return settings


def cmd_serve(args) -> int:
    # gevent must patch the standard library before anything else opens sockets or threads.
    from gevent import monkey

    monkey.patch_all()

    from .app import create_app
    from .backup import hold_server_lock
    from .server import listen, serve, tls_context

    settings = load_settings(args)
    tls = tls_context(settings.certfile, settings.keyfile) if settings.certfile else None
    hold_server_lock(settings.data_dir)  # a restore refuses while any server holds it
    sock = listen(settings.host, settings.port)  # fail early and clearly on a busy port
    app = create_app(settings)
    state = app.extensions["wartemarke"]
    for line in state.report.lines:
        print(line, flush=True)
    shown = "localhost" if settings.host in ("0.0.0.0", "::") else settings.host
    print(
        f"Wartemarke serving on {'https' if tls else 'http'}://{shown}:{settings.port}/ "
        f"(data: {settings.data_dir}, database: {state.store.engine.url.render_as_string()})",
        flush=True,
    )
    from .mdns import announce  # wartemarke.local on the LAN; unregistered at exit

    venue = state.ops.venue().get("name", "")
    scheme = "https" if tls else "http"
    mdns = announce(settings.host, settings.port, venue, args.mdns, scheme)
    app.extensions["wartemarke_mdns"] = mdns
    serve(app, sock, access_log=args.access_log, tls=tls)
    return 0


def cmd_user(args) -> int:
    from .auth import hash_password, validate_new_user
    from .clock import Clock
    from .domain.model import DomainError
    from .store import open_store

    settings = load_settings(args)
    store = open_store(settings.database_url)
    clock = Clock(settings.site.timezone, start=settings.clock_start, file=settings.clock_file)
    if args.user_command == "list":
        with store.read() as tx:
            for row in tx.users():
                state = "active" if row.active else "disabled"
                print(f"{row.username}\t{row.role}\t{state}\t{row.display_name}")
        return 0
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        password = getpass.getpass(f"Password for {args.name}: ")
    try:
        validate_new_user(args.name, password, args.role)
    except DomainError as exc:
        raise ConfigError(exc.message) from None
    with store.write(publish=False) as tx:
        existing = tx.user_by_name(args.name)
        if existing:
            tx.set_password(existing.id, hash_password(password))
            print(f"New password set for {args.name}.")
        else:
            tx.add_user(
                args.name, hash_password(password), args.role, clock.now(), args.display_name
            )
            print(f"Added {args.role} {args.name}.")
    return 0


def cmd_printer(args) -> int:
    from .printers import PrinterConfigError, print_test_page

    settings = load_settings(args)
    try:
        status = print_test_page(settings.printer_url, settings.data_dir)
    except PrinterConfigError as exc:
        raise ConfigError(str(exc)) from None
    paper = {"ok": "paper ok", "near_end": "paper near end", "out": "PAPER OUT"}.get(
        status.paper, "paper state unknown"
    )
    online = {True: "online", False: "OFFLINE", None: "status unknown"}[status.online]
    print(f"{settings.printer_url}: {online}, {paper}")
    if status.error:
        print(f"error: {status.error}", file=sys.stderr)
    return 1 if status.online is False or status.error else 0


def cmd_report(args) -> int:
    from .clock import Clock
    from .domain.model import DomainError
    from .report import render
    from .stats import collect, parse_range
    from .store import open_store

    settings = load_settings(args)
    store = open_store(settings.database_url)
    try:
        with store.read() as tx:
            venue = tx.setting("venue") or {}
        # The time zone the server ran in decides the days and hours, as on the server.
        zone = venue.get("timezone") or settings.site.timezone
        clock = Clock(zone, start=settings.clock_start, file=settings.clock_file)
        try:
            first, last = parse_range(args.first, args.last, clock.day())
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        try:
            stats = collect(store, first, last, clock.tz, event=args.event)
        except DomainError as exc:
            raise ConfigError(f"--event: {exc.message}") from None
    finally:
        store.dispose()
    out = Path(args.out)
    try:
        out.write_text(render(stats, venue.get("name", ""), clock.local()), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {out}: {exc.strerror}") from None
    event = f" (event {stats['event']['name']})" if stats["event"] else ""
    print(
        f"{out}: {first} to {last}{event}, {stats['issued']} tickets issued, "
        f"{stats['served']} served, {stats['cases']} cases"
    )
    return 0


def cmd_retention(args) -> int:
    from .clock import Clock
    from .retention import apply_retention, check_days, configured_days
    from .store import open_store

    settings = load_settings(args)
    store = open_store(settings.database_url)
    try:
        days = args.days if args.days is not None else settings.site.retention_days
        try:
            if days is None:
                days = configured_days(store)
            if days is not None:
                check_days(days)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if days is None:
            raise ConfigError(
                "no retention configured: set [data] retention_days in the site file "
                "or give --days N"
            )
        with store.read() as tx:
            venue = tx.setting("venue") or {}
        zone = venue.get("timezone") or settings.site.timezone
        clock = Clock(zone, start=settings.clock_start, file=settings.clock_file)
        result = apply_retention(store, clock, days)
    finally:
        store.dispose()
    if not result["days"]:
        print(f"nothing to archive: no raw data before {result['cutoff']} (keeping {days} days)")
        return 0
    print(
        f"archived {len(result['days'])} day(s) before {result['cutoff']} "
        f"({result['days'][0]} to {result['days'][-1]}): {result['aggregates']} day aggregates "
        f"stored; deleted {result['tickets']} tickets, {result['events']} events, "
        f"{result['feedback']} answers, {result['visit_cases']} case rows, "
        f"{result['print_jobs']} print jobs, {result['appointments']} bookings"
    )
    return 0


def cmd_export(args) -> int:
    from .clock import Clock
    from .exchange import export_data, stats_tables, to_csv, to_xlsx, write_json
    from .stats import parse_range
    from .store import open_store

    settings = load_settings(args)
    store = open_store(settings.database_url)
    out = Path(args.out)
    try:
        with store.read() as tx:
            venue = tx.setting("venue") or {}
        zone = venue.get("timezone") or settings.site.timezone
        clock = Clock(zone, start=settings.clock_start, file=settings.clock_file)
        first = last = None
        if args.first or args.last or args.format != "json":
            try:
                first, last = parse_range(args.first, args.last, clock.day())
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        try:
            if args.format == "json":
                data = export_data(store, first, last)
                write_json(data, out)
                summary = (
                    f"{len(data['tickets'])} tickets, {len(data['events'])} events, "
                    f"installation {data['installation_id']}"
                )
            elif args.format == "csv":
                header, rows = stats_tables(store, first, last, clock.tz)[args.table]
                out.write_bytes(to_csv(header, rows))
                summary = f"{args.table}, {len(rows)} rows"
            else:
                tables = stats_tables(store, first, last, clock.tz)
                out.write_bytes(to_xlsx(tables))
                summary = ", ".join(
                    f"{name} {len(rows)} rows" for name, (_, rows) in tables.items()
                )
        except OSError as exc:
            raise ConfigError(f"cannot write {out}: {exc.strerror}") from None
    finally:
        store.dispose()
    span = f"{first} to {last}" if first else "all days"
    print(f"{out}: {span}, {summary}")
    return 0


def cmd_import(args) -> int:
    from .clock import Clock
    from .exchange import ExchangeError, import_data, read_json
    from .store import open_store

    settings = load_settings(args)
    path = Path(args.file)
    try:
        data = read_json(path)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except ExchangeError as exc:
        raise ConfigError(str(exc)) from None
    store = open_store(settings.database_url)
    try:
        with store.read() as tx:
            zone = (tx.setting("venue") or {}).get("timezone") or settings.site.timezone
        clock = Clock(zone, start=settings.clock_start, file=settings.clock_file)
        result = import_data(store, data, today=clock.day())
    except (ExchangeError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: cannot import: {exc}") from None
    finally:
        store.dispose()
    created = result["services_created"] + result["counters_created"]
    print(
        f"{path}: installation {result['installation_id']}: {result['tickets_new']} new tickets, "
        f"{result['tickets_updated']} updated, {result['events_new']} new events"
        + (f"; created (disabled): {', '.join(created)}" if created else "")
        + (
            f"; pop-up events added: {', '.join(result['popups_created'])}"
            if result["popups_created"]
            else ""
        )
    )
    return 0


def cmd_appointments(args) -> int:
    """``appointments import FILE``: all rows booked, or none and every bad row named (exit 2);
    ``appointments list [--day]``: one day's bookings as a table."""
    from datetime import date

    from .appointment_files import read_bookings
    from .clock import Clock
    from .domain.model import DomainError
    from .operations import Actor, Operations
    from .operations.appointments import BadRows
    from .store import open_store

    settings = load_settings(args)
    rows: list[tuple[int, dict]] = []
    path = Path(args.file) if args.appointments_command == "import" else None
    if path is not None:
        try:
            rows = read_bookings(path.read_bytes(), path.name)
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
        except DomainError as exc:
            raise ConfigError(f"{path}: {exc.message}") from None
    elif args.day is not None:
        try:
            date.fromisoformat(args.day)
        except ValueError:
            raise ConfigError(f"--day: '{args.day}' is not a date (YYYY-MM-DD)") from None
    store = open_store(settings.database_url)
    try:
        with store.read() as tx:
            zone = (tx.setting("venue") or {}).get("timezone") or settings.site.timezone
            set_up = bool(tx.services())
        if path is not None and not set_up:
            raise ConfigError(
                f"no services in {settings.data_dir} yet: start the server once "
                "('wartemarke serve') to set up the site's services, counters and hours"
            )
        clock = Clock(zone, start=settings.clock_start, file=settings.clock_file)
        ops = Operations(store, clock)
        ops.rules_source = lambda: settings.site.appointments
        if path is not None:
            try:
                # No account books here: the event log gets no user id (as for the kiosk's).
                result = ops.import_appointments(Actor(id=None, name="cli", role="admin"), rows)
            except BadRows as exc:
                bad = exc.details["rows"]
                for row in bad:
                    print(f"line {row['line']}: {row['message']}", file=sys.stderr)
                print(
                    f"wartemarke: error: {path}: {len(bad)} row(s) cannot be booked; "
                    "nothing was saved",
                    file=sys.stderr,
                )
                return 2
            except DomainError as exc:
                raise ConfigError(f"{path}: {exc.message}") from None
            count = result["imported"]
            if not count:
                print(f"{path}: no bookings in the file, nothing booked")
            else:
                noun = "appointment" if count == 1 else "appointments"
                print(f"{count} {noun} booked for {', '.join(result['days'])}")
            return 0
        ops.mark_no_shows()  # as the admin page does: missed slots show as no-shows
        view = ops.appointments_view(args.day or clock.day())
    finally:
        store.dispose()
    _print_appointments(view)
    return 0


def _print_appointments(view: dict) -> None:
    found = view["appointments"]
    if not found:
        print(f"{view['day']}: no appointments")
        return
    noun = "appointment" if len(found) == 1 else "appointments"
    print(f"{view['day']}: {len(found)} {noun}")
    table = [("time", "service", "code", "status")] + [
        (a["slot"], a["service_name"] or str(a["service"]), a["code"], a["status"]) for a in found
    ]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())


def _database_url(args) -> tuple[Path, str]:
    """The data dir and database of backup/restore: they need no site file."""
    from .config import Settings, prepare_data_dir

    settings = Settings(data_dir=prepare_data_dir(Path(args.data_dir)), database=args.database)
    return settings.data_dir, settings.database_url


def cmd_backup(args) -> int:
    from datetime import datetime

    from .backup import backup

    _, url = _database_url(args)
    facts = backup(url, args.out, datetime.now().astimezone())
    print(f"{facts.path}: {facts.describe()}")
    return 0


def cmd_restore(args) -> int:
    from datetime import datetime

    from .backup import restore

    data_dir, url = _database_url(args)
    facts, kept = restore(url, Path(args.backup), data_dir, datetime.now().astimezone())
    print(f"restored {facts.path}: {facts.describe()}")
    if kept:
        print(f"the replaced database is kept as {kept}")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=os.environ.get("WARTEMARKE_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return cmd_serve(args)
        if args.command == "user":
            return cmd_user(args)
        if args.command == "printer":
            return cmd_printer(args)
        if args.command == "report":
            return cmd_report(args)
        if args.command == "retention":
            return cmd_retention(args)
        if args.command == "export":
            return cmd_export(args)
        if args.command == "import":
            return cmd_import(args)
        if args.command == "appointments":
            return cmd_appointments(args)
        if args.command == "backup":
            return cmd_backup(args)
        if args.command == "restore":
            return cmd_restore(args)
        if args.command == "cert":
            from .certs import describe, issue

            out = Path(args.out) if args.out else Path(args.data_dir) / "tls"
            print("\n".join(describe(issue(out, args.host, args.days, args.new_ca))))
            return 0
        if args.command == "doctor":
            from .doctor import main as doctor

            return doctor(args)
    except ConfigError as exc:
        print(f"wartemarke: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
