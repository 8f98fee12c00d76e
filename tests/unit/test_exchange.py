"""The exchange file's checks and merge rules, and the CSV dialect, without a server."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from wartemarke.exchange import (
    ExchangeError,
    export_data,
    import_data,
    installation_id,
    to_csv,
)
from wartemarke.store import open_store
from wartemarke.store import schema as s


def store(tmp_path, name):
    return open_store(f"sqlite:///{tmp_path / name}.sqlite3")


def laptop_file(inst="a" * 32, prefix="A", name="Personalausweis") -> dict:
    at = "2026-03-30T08:00:00+00:00"
    return {
        "format": "wartemarke-export",
        "version": 1,
        "installation_id": inst,
        "services": [{"id": 7, "name": name, "prefix": prefix, "expected_minutes": 15.0}],
        "counters": [{"id": 3, "name": "Schalter 1"}],
        "tickets": [
            {
                "id": 1,
                "day": "2026-03-30",
                "number": f"{prefix}001",
                "service_id": 7,
                "original_service_id": None,
                "status": "done",
                "priority": 0,
                "lang": "de",
                "issued_at": at,
                "queued_at": at,
                "called_at": at,
                "serving_at": None,
                "finished_at": "2026-03-30T08:10:00+00:00",
                "counter_id": 3,
                "recalls": 0,
            },
        ],  # fmt: skip
        "events": [
            {
                "id": 10,
                "at": at,
                "day": "2026-03-30",
                "kind": "issued",
                "ticket_id": 1,
                "number": f"{prefix}001",
                "from_status": None,
                "to_status": "waiting",
                "service_id": 7,
                "counter_id": None,
                "data": None,
            },
        ],  # fmt: skip
        "visit_cases": [{"ticket_id": 1, "service_id": 7, "count": 2}],
        "feedback": [
            {
                "ticket_id": 1,
                "day": "2026-03-30",
                "service_id": 7,
                "rating": 4,
                "district": "3",
                "at": at,
            }
        ],  # fmt: skip
    }


def test_csv_is_what_german_excel_expects():
    body = to_csv(
        ["a", "b", "c"], [[1, 2.5, "Düsseldorf; Bilk"], [None, datetime(2026, 3, 30), True]]
    )
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert text.endswith("\r\n") and text.splitlines()[1] == '1;2,5;"Düsseldorf; Bilk"'
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[2] == ["", "2026-03-30 00:00:00", "1"]


def test_bad_files_are_refused(tmp_path):
    central = store(tmp_path, "central")
    bad_files = [{}, {"format": "x"}, laptop_file() | {"version": 2}]
    bad_files += [laptop_file() | {"installation_id": "../x"}, laptop_file() | {"events": None}]
    for bad in bad_files:
        with pytest.raises(ExchangeError):
            import_data(central, bad)
    own = laptop_file(inst=installation_id(central))
    with pytest.raises(ExchangeError, match="itself"):
        import_data(central, own)
    dangling = laptop_file()
    dangling["events"][0]["ticket_id"] = 99
    with pytest.raises(ExchangeError, match="lacks"):
        import_data(central, dangling)
    with central.read() as tx:  # nothing half-imported
        assert tx.conn.execute(select(s.tickets)).first() is None


def test_merge_rules(tmp_path):
    central = store(tmp_path, "central")
    with central.write() as tx:  # the central has "A" for another service
        tx.conn.execute(s.services.insert().values(
            id=1, name="Gewerbe", prefix="A", expected_minutes=20, description="", enabled=True,
            sort=0))  # fmt: skip
    first = import_data(central, laptop_file())
    assert first["services_created"] == ["Personalausweis"] and first["tickets_new"] == 1
    again = import_data(central, laptop_file())
    assert (again["tickets_new"], again["tickets_updated"], again["events_new"]) == (0, 0, 0)
    other = import_data(central, laptop_file(inst="b" * 32))
    assert other["services_created"] == [] and other["counters_created"] == []
    with central.read() as tx:
        svc = {r.name: r for r in tx.conn.execute(select(s.services))}
        assert svc["Personalausweis"].prefix == "~1" and not svc["Personalausweis"].enabled
        tickets = tx.conn.execute(select(s.tickets)).all()
        assert len(tickets) == 2 and {t.number for t in tickets} == {f"#{t.id}" for t in tickets}
        assert {t.service_id for t in tickets} == {svc["Personalausweis"].id}
        assert tx.conn.execute(select(s.visit_cases.c.count)).scalars().all() == [2, 2]
        assert len(tx.conn.execute(select(s.feedback)).all()) == 2
        assert all(r.user_id is None for r in tx.conn.execute(select(s.events)))
    # Re-exported from the central, the tokens are new ones and none is written.
    data = export_data(central)
    assert len(data["tickets"]) == 2 and "token" not in data["tickets"][0]
    assert data["tickets"][0]["finished_at"] == datetime(2026, 3, 30, 8, 10, tzinfo=UTC).isoformat()
