"""First-start work: write the site's services and counters into the database, make sure an
admin can log in, and (with ``--demo``) create the demo accounts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from .auth import hash_password
from .clock import Clock
from .config import ConfigError, Settings
from .domain.model import DomainError
from .seed import DEMO_USERS, starting_site
from .sitefile import check_site, write_site
from .store import Store


@dataclass
class StartReport:
    """What start-up did that the person starting the server must be told."""

    lines: list[str] = field(default_factory=list)


def apply_site(store: Store, settings: Settings, clock: Clock) -> None:
    with store.read() as tx:
        empty = not tx.services()
    site = settings.site  # completed in place: the screens read the venue from it
    if empty:
        starting_site(site, settings.demo)
    with store.write(publish=True) as tx:
        try:
            check_site(tx, site)
        except DomainError as exc:
            raise ConfigError(f"site file: {exc.message}") from None
        write_site(tx, site, clock.now())


def ensure_accounts(store: Store, settings: Settings, clock: Clock) -> StartReport:
    report = StartReport()
    with store.read() as tx:
        users = tx.users()
    if settings.demo and not users:
        with store.write(publish=False) as tx:
            for username, name, role, password in DEMO_USERS:
                tx.add_user(username, hash_password(password), role, clock.now(), name)
        report.lines.append("Demo accounts (for trying Wartemarke out only):")
        report.lines += [f"  {u:8} {role:6} password: {pw}" for u, _n, role, pw in DEMO_USERS]
    elif not users:
        password = secrets.token_urlsafe(9)
        with store.write(publish=False) as tx:
            tx.add_user("admin", hash_password(password), "admin", clock.now(), "Admin")
        note = Path(settings.data_dir) / "initial-admin-password.txt"
        note.write_text(f"admin\n{password}\n", encoding="utf-8")
        note.chmod(0o600)
        report.lines.append(
            f"Created the account 'admin' with password {password} (also in {note}). "
            "Add clerks with: wartemarke user add NAME --role clerk --password-stdin"
        )
    return report
