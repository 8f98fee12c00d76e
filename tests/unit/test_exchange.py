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
    bad_files = [{}, {"format": "x"}, laptop_file() | {"version": 3}]
    bad_files += [laptop_file() | {"version": True}, laptop_file() | {"version": "1"}]
    bad_files += [laptop_file() | {"installation_id": "../x"}, laptop_file() | {"events": None}]
    bad_files += [laptop_file() | {"version": 2}]  # version 2 lists its pop-ups
    bad_files += [v2_file(popups=[{"key": "", "name": "Zoo"}])]  # not a key
    bad_files += [v2_file(popups=[{"key": "x" * 65, "name": "Zoo"}])]
    bad_files += [v2_file(popups=[{"key": "zoo", "name": ""}])]
    bad_files += [v2_file(popups=[{"key": "zoo", "name": "Zoo", "first_day": "30.3.2026"}])]
    bad_files += [v2_file(popups=[{"name": "Zoo"}]), v2_file(popups=[])]  # the ticket's is missing
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


# --- pop-ups (version 2) and files from before them (version 1) ---------------------------

ZOO = {
    "key": "aquazoo-2026-03",
    "name": "Pop-Up im Aquazoo",
    "place": "Aquazoo Löbbecke Museum",
    "address": "Kaiserswerther Str. 380",
    "district": "1",
    "first_day": "2026-03-30",
    "last_day": "2026-03-31",
}


def v2_file(inst="a" * 32, popups=None, popup="aquazoo-2026-03", **kw) -> dict:
    data = laptop_file(inst, **kw) | {"version": 2, "venue": "Pop-Up im Aquazoo"}
    data["popups"] = [ZOO] if popups is None else popups
    for row in data["tickets"] + data["events"]:
        row["popup"] = popup
    return data


def another_day(data: dict, n: int, day: str) -> dict:
    """The laptop's file with its one ticket as ticket ``n`` (event ``10 n``) of ``day``."""
    for row in data["tickets"] + data["events"] + data["feedback"]:
        row["day"] = day
    for row in data["events"] + data["visit_cases"] + data["feedback"]:
        row["ticket_id"] = n
    data["tickets"][0]["id"], data["events"][0]["id"] = n, 10 * n
    return data


def central_with_popup(tmp_path, name="central", **values) -> tuple:
    """A central installation with a pop-up of its own, current."""
    central = store(tmp_path, name)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with central.write() as tx:
        own = tx.save_popup(None, {"key": "central-own", "name": "Rathaus", "place": ""}, now)
        tx.set_current_popup(own)
        for key, fields in values.items():
            tx.save_popup(None, {"key": key, "place": "", "address": ""} | fields, now)
    return central, own


def popup_rows(central) -> dict:
    with central.read() as tx:
        return {p["key"]: p for p in tx.popups()}


def popup_ids(central, table) -> list:
    with central.read() as tx:
        return tx.conn.execute(select(table.c.popup_id).order_by(table.c.id)).scalars().all()


def test_popups_map_by_key_and_the_current_one_stays(tmp_path):
    central, own = central_with_popup(tmp_path)
    result = import_data(central, v2_file())
    assert result["popups_created"] == ["Pop-Up im Aquazoo"] and result["tickets_new"] == 1
    zoo = popup_rows(central)["aquazoo-2026-03"]
    assert {k: zoo[k] for k in ZOO} == ZOO
    assert popup_ids(central, s.tickets) == popup_ids(central, s.events) == [zoo["id"]]
    with central.read() as tx:
        assert tx.current_popup_id() == own  # the central's own new tickets still go there
    # A second laptop at the same pop-up: the same pop-up, nothing new, nothing changed.
    other = import_data(central, v2_file(inst="b" * 32, popups=[ZOO | {"name": "Anders"}]))
    assert other["popups_created"] == [] and other["tickets_new"] == 1
    assert popup_rows(central)["aquazoo-2026-03"]["name"] == "Pop-Up im Aquazoo"
    assert popup_ids(central, s.tickets) == [zoo["id"]] * 2
    again = import_data(central, v2_file())
    assert (again["tickets_new"], again["tickets_updated"], again["popups_created"]) == (0, 0, [])


def test_a_popup_keyed_by_its_name_travels_too(tmp_path):
    # A site file's [event] without an id is stored with its name as the key.
    central, _ = central_with_popup(tmp_path)
    named = ZOO | {"key": "Pop-Up im Aquazoo Löbbecke"}
    import_data(central, v2_file(popups=[named], popup=named["key"]))
    assert popup_rows(central)[named["key"]]["place"] == "Aquazoo Löbbecke Museum"


def test_a_known_popup_only_gets_what_the_central_left_empty(tmp_path):
    central, own = central_with_popup(
        tmp_path, **{"aquazoo-2026-03": {"name": "Aquazoo (Zentrale)", "district": None}}
    )
    before = popup_rows(central)["aquazoo-2026-03"]
    assert import_data(central, v2_file())["popups_created"] == []
    after = popup_rows(central)["aquazoo-2026-03"]
    assert after["id"] == before["id"] and after["name"] == "Aquazoo (Zentrale)"
    assert (after["place"], after["district"], after["first_day"]) == (
        "Aquazoo Löbbecke Museum",
        "1",
        "2026-03-30",
    )
    assert popup_ids(central, s.tickets) == [after["id"]]
    with central.read() as tx:
        assert tx.current_popup_id() == own


def test_an_event_keeps_its_own_popup(tmp_path):
    central, _ = central_with_popup(tmp_path)
    data = v2_file(popups=[ZOO, {"key": "earlier", "name": "Vorher"}])
    refused = dict(data["events"][0], id=11, kind="refused", ticket_id=None, number=None)
    refused |= {"to_status": None, "data": {"availability": "full"}, "popup": "earlier"}
    data["events"].append(refused)
    data["events"].append(dict(data["events"][0], id=12, kind="called", popup=None))
    import_data(central, data)
    keys = {p["id"]: k for k, p in popup_rows(central).items()}
    # The refused event's own pop-up; one without a pop-up takes its ticket's.
    events = [keys[i] for i in popup_ids(central, s.events)]
    assert events == ["aquazoo-2026-03", "earlier", "aquazoo-2026-03"]


def test_version_1_files_go_to_a_popup_of_their_installation_and_venue(tmp_path):
    central, own = central_with_popup(tmp_path)
    old = laptop_file() | {"venue": "Pop-Up im Museum"}
    old["events"].append(dict(old["events"][0], id=11, kind="refused", ticket_id=None,
                              day="2026-03-31", data={"availability": "full"}))  # fmt: skip
    result = import_data(central, old)
    (popup,) = [p for k, p in popup_rows(central).items() if k != "central-own"]
    assert result["popups_created"] == ["Pop-Up im Museum"]
    assert popup["key"].startswith("import:" + "a" * 32 + ":") and len(popup["key"]) <= 64
    assert (popup["name"], popup["first_day"], popup["last_day"]) == (
        "Pop-Up im Museum",
        "2026-03-30",
        "2026-03-31",
    )
    assert set(popup_ids(central, s.tickets) + popup_ids(central, s.events)) == {popup["id"]}
    with central.read() as tx:
        assert tx.current_popup_id() == own
    # Again: nothing changes. A later file of the same laptop and venue widens the days; the
    # same laptop at another venue is another pop-up.
    assert import_data(central, old)["popups_created"] == []
    later = another_day(laptop_file() | {"venue": "Pop-Up im Museum"}, 2, "2026-04-02")
    assert import_data(central, later)["popups_created"] == []
    assert popup_rows(central)[popup["key"]]["last_day"] == "2026-04-02"
    elsewhere = another_day(laptop_file() | {"venue": "Pop-Up im Zoo"}, 3, "2026-04-03")
    assert import_data(central, elsewhere)["popups_created"] == ["Pop-Up im Zoo"]
    assert len(popup_rows(central)) == 3


def test_a_ticket_first_imported_from_version_1_moves_to_its_popup(tmp_path):
    central, _ = central_with_popup(tmp_path)
    import_data(central, laptop_file() | {"venue": "Pop-Up im Aquazoo"})
    fallback = popup_ids(central, s.tickets)
    result = import_data(central, v2_file())  # the same laptop after its upgrade
    zoo = popup_rows(central)["aquazoo-2026-03"]["id"]
    assert result["tickets_updated"] == 1 and result["events_new"] == 0
    assert popup_ids(central, s.tickets) == popup_ids(central, s.events) == [zoo] != fallback


def test_the_export_names_popups_by_key(tmp_path):
    central, own = central_with_popup(tmp_path)
    import_data(central, v2_file())
    import_data(central, laptop_file(inst="b" * 32) | {"venue": "Alt"})
    data = export_data(central)
    assert data["version"] == 2
    by_key = {p["key"]: p for p in data["popups"]}
    assert by_key["aquazoo-2026-03"] == ZOO  # no local id, no created_at
    assert "central-own" not in by_key  # no ticket of its own
    (fallback,) = set(by_key) - {"aquazoo-2026-03"}
    assert fallback.startswith("import:" + "b" * 32)
    assert [t["popup"] for t in data["tickets"]] == ["aquazoo-2026-03", fallback]
    assert [e["popup"] for e in data["events"]] == ["aquazoo-2026-03", fallback]
    # Merged once more, elsewhere: the same pop-ups by key.
    third = store(tmp_path, "third")
    result = import_data(third, data)
    assert sorted(result["popups_created"]) == ["Alt", "Pop-Up im Aquazoo"]
    assert set(popup_rows(third)) == set(by_key)
