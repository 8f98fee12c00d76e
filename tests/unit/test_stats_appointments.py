"""The statistics of appointments against walk-ins, on hand-made event rows (as
``store.reports.events`` returns them): known times give exact figures."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wartemarke.stats import (
    APPOINTMENT_KINDS,
    compute,
    hist_add,
    hist_summary,
    merge,
    quantile,
    reduce_days,
    round_half_up,
    signed_seconds,
    whole_seconds,
)

BERLIN = ZoneInfo("Europe/Berlin")
DAY = "2026-03-30"  # summer time: local = UTC + 2
BOOKED_ON = "2026-03-27"  # the bookings of the first four, made days before, at another event
SERVICES = {1: "Personalausweis", 2: "Reisepass", 3: "Meldeangelegenheiten"}
POPUPS = {1: {"id": 1, "key": "zoo", "name": "Aquazoo"}, 2: {"id": 2, "key": "bad", "name": "Bad"}}


def local(hhmmss: str, day: str = DAY) -> datetime:
    """A local time of the venue (``"10:27:30"``) as the UTC time the event log holds."""
    parts = [float(x) for x in hhmmss.split(":")]
    h, m, s = (*parts, 0.0)[:3]
    start = datetime.fromisoformat(day).replace(tzinfo=BERLIN)
    return (start + timedelta(hours=h, minutes=m, seconds=s)).astimezone(UTC)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


class Log:
    """Event rows in log order; every row of pop-up 1 unless said otherwise."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, at, kind, ticket=None, frm=None, to=None, service=1, counter=None, data=None,
            day=DAY, popup=1):  # fmt: skip
        self.rows.append(
            {
                "id": len(self.rows) + 1,
                "at": local(at, day),
                "day": day,
                "kind": kind,
                "ticket_id": ticket,
                "from_status": frm,
                "to_status": to,
                "service_id": service,
                "counter_id": counter,
                "data": data,
                "popup_id": popup,
            }
        )

    # --- tickets
    def issued(self, at, ticket, service=1, appointment=None, due=None, day=DAY, **kw):
        data = {"priority": 0, "lang": "de"}
        if appointment is not None:
            data.update(appointment=appointment, due_at=iso(local(due, day)))
        self.add(at, "issued", ticket, None, "waiting", service, data=data, day=day, **kw)

    def called(self, at, ticket, service=1, counter=1, **kw):
        self.add(at, "called", ticket, "waiting", "called", service, counter, **kw)

    def finished(self, at, ticket, service=1, counter=1, **kw):
        self.add(at, "finished", ticket, "called", "done", service, counter, **kw)

    # --- the appointments' own events (operations/appointments.py, admin close_day)
    def appointment(self, at, kind, appointment, slot, status, service=1, ticket=None, day=DAY,
                    slot_day=DAY, popup=1):  # fmt: skip
        data = {"appointment": appointment, "day": slot_day, "slot": slot, "status": status}
        self.add(at, f"appointment_{kind}", ticket, None, None, service, data=data, day=day,
                 popup=popup)  # fmt: skip


def a_day() -> Log:
    """Seven appointments and five walk-ins (ticket numbers: walk-ins 1-3, 13, 15; appointment
    tickets 11, 12, 14). Grace 15 minutes, as the rules were."""
    log = Log()
    # Booked three days ahead, while another pop-up event (2) was current: appointments 1-4.
    for n, (slot, service) in enumerate((("10:20", 1), ("10:20", 1), ("10:40", 2), ("10:40", 2))):
        log.appointment(f"15:0{n}", "booked", n + 1, slot, "booked", service, day=BOOKED_ON,
                        popup=2)  # fmt: skip
    # Booked on the day itself, before opening: 5-7.
    log.appointment("09:00", "booked", 5, "11:00", "booked", 1)
    log.appointment("09:01", "booked", 6, "11:00", "booked", 1)
    log.appointment("09:02", "booked", 7, "11:00", "booked", 2)
    log.appointment("09:30", "cancelled", 5, "11:00", "cancelled", 1)

    # Walk-ins.
    log.issued("10:00", 1)
    log.issued("10:01", 2)
    log.issued("10:02", 3, service=2)
    log.add("10:03", "refused", None, service=1, data={"availability": "full"})
    log.add("10:04", "refused", None, service=2, data={"availability": "closed"})
    # Appointment 1 checks in 15 minutes early (09:05 → ticket 11 due at 10:20).
    log.issued("10:05", 11, appointment=1, due="10:20")
    log.appointment("10:05", "checked_in", 1, "10:20", "checked_in", ticket=11)
    log.called("10:10", 1)
    log.finished("10:11", 1)
    log.called("10:12", 2, counter=2)
    log.finished("10:14", 2, counter=2)
    log.called("10:15", 3, service=2, counter=2)
    log.add("10:17", "no_show", 3, "called", "no_show", 2, 2)
    log.called("10:22", 11)  # due since 10:20: 2 minutes after the slot start
    # Appointment 2 checks in 7.5 minutes after its slot start, within the grace time.
    log.issued("10:27:30", 12, appointment=2, due="10:20")
    log.appointment("10:27:30", "checked_in", 2, "10:20", "checked_in", ticket=12)
    log.finished("10:30", 11)
    log.called("10:31", 12, counter=2)
    log.finished("10:40", 12, counter=2)
    # Appointment 4 never came: marked at 10:56 (slot + grace is over), with its service.
    log.appointment("10:56", "no_show", 4, "10:40", "no_show", service=2)
    # Appointment 7 checks in exactly at its slot start; ticket 14 is still waiting at night.
    log.issued("11:00", 14, service=2, appointment=7, due="11:00")
    log.appointment("11:00", "checked_in", 7, "11:00", "checked_in", service=2, ticket=14)
    # Appointment 3 comes 20.5 minutes after its slot: too late, a walk-in ticket (13).
    log.issued("11:00:30", 13, service=2)
    log.appointment("11:00:30", "checked_in", 3, "10:40", "late", service=2, ticket=13)
    log.called("11:10", 13, service=2)
    log.finished("11:20", 13, service=2)
    # A walk-in served without a ticket.
    log.add("11:30", "issued", 15, None, "waiting", 2, data={"without_ticket": True})
    log.add("11:30", "serving", 15, "called", "serving", 2, 2)
    log.add("11:40", "finished", 15, "serving", "done", 2, 2)
    # Closing the day: appointment 6 is a no-show (these events carry no service).
    log.appointment("16:00", "no_show", 6, "11:00", "no_show", service=None)
    return log


def figures(first=DAY, last=DAY, **kw) -> dict:
    return compute(first, last, a_day().rows, services=SERVICES, tz=BERLIN, popups=POPUPS, **kw)


def test_counts_of_the_appointments():
    a = figures()["appointments"]
    # Bookings and cancellations count on the day they were made.
    assert (a["booked"], a["cancelled"]) == (3, 1)
    assert (a["checked_in"], a["early"], a["on_time"], a["late"]) == (3, 1, 2, 1)
    assert a["checked_in"] == a["early"] + a["on_time"]
    assert (a["no_show"], a["due"], a["no_show_share"]) == (2, 6, 0.333)
    assert a["served"] == 3  # appointments 1, 2 and the late 3 (on its walk-in ticket)
    assert a["walk_ins_turned_away"] == 1  # "full"; a service closed by staff is no refusal


def test_bookings_of_earlier_days_and_other_pop_ups():
    whole = figures(BOOKED_ON, DAY)
    assert whole["appointments"]["booked"] == 7 and whole["days"] == [DAY]
    # A day with bookings only is no day of operation, and the pop-up current then no row.
    assert [d["day"] for d in whole["by_day"]] == [DAY] and whole["issued"] == 8
    assert [e["id"] for e in whole["by_event"]] == [1]
    other = figures(BOOKED_ON, DAY, event=2)["appointments"]
    assert (other["booked"], other["checked_in"], other["no_show"], other["due"]) == (4, 0, 0, 0)
    assert other["no_show_share"] is None and other["walk_ins"]["issued"] == 0
    own = figures(BOOKED_ON, DAY, event=1)["appointments"]
    assert (own["booked"], own["checked_in"], own["late"], own["no_show"]) == (3, 3, 1, 2)


def test_punctuality_with_early_arrivals_negative():
    a = figures()["appointments"]
    # Check-in minus slot start: -900 s (early), 0 s, +450 s, +1230 s (the late one).
    assert a["punctuality_min"] == {"mean": 3.3, "median": 3.8, "p90": 16.6, "n": 4}
    seconds = [Fraction(s) for s in (-900, 0, 450, 1230)]
    assert a["punctuality_min"]["p90"] == round_half_up(quantile(seconds, Fraction(9, 10)) / 60)

    # Only early arrivals: negative mean, median and percentile, rounded half away from zero.
    log = Log()
    log.issued("10:02:45", 1, appointment=1, due="10:05")
    log.appointment("10:02:45", "checked_in", 1, "10:05", "checked_in", ticket=1)  # -135 s
    log.issued("09:50", 2, appointment=2, due="10:05")
    log.appointment("09:50", "checked_in", 2, "10:05", "checked_in", ticket=2)  # -900 s
    early = compute(DAY, DAY, log.rows, tz=BERLIN)["appointments"]
    # Mean -517.5 s = -8.625 min; p90: -900 + 765 · 0.9 = -211.5 s = -3.525 min.
    assert early["punctuality_min"] == {"mean": -8.6, "median": -8.6, "p90": -3.5, "n": 2}
    assert (early["early"], early["on_time"], early["late"]) == (2, 0, 0)
    one = compute(DAY, DAY, log.rows[:2], tz=BERLIN)["appointments"]["punctuality_min"]
    assert one == {"mean": -2.3, "median": -2.3, "p90": -2.3, "n": 1}  # -2.25 min


def test_the_slot_is_local_time_in_winter_too():
    log = Log()
    winter = "2026-01-12"  # UTC + 1
    log.issued("09:58", 1, appointment=1, due="10:00", day=winter)
    log.appointment("09:58", "checked_in", 1, "10:00", "checked_in", ticket=1, day=winter,
                    slot_day=winter)  # fmt: skip
    log.called("10:01", 1, day=winter)
    assert log.rows[0]["at"] == datetime(2026, 1, 12, 8, 58, tzinfo=UTC)
    a = compute(winter, winter, log.rows, tz=BERLIN)["appointments"]
    assert a["punctuality_min"]["median"] == -2.0 and a["early"] == 1
    assert a["wait_after_slot_min"]["median"] == 1.0
    # Read in UTC, the slot would be an hour later: the venue's zone matters.
    assert compute(winter, winter, log.rows)["appointments"]["punctuality_min"]["median"] == -62


def test_walk_ins_against_appointment_tickets():
    s = figures()
    a = s["appointments"]
    # Appointment tickets 11, 12, 14: waits from the check-in 1020 s and 210 s.
    assert a["with_appointment"] == {
        "issued": 3,
        "served": 2,
        "wait_min": {"mean": 10.3, "median": 10.3, "p90": 15.7, "n": 2},
    }
    # Walk-ins 1, 2, 3, 13 (the late appointment), 15 (no ticket, no wait): 600, 660, 780, 570 s.
    assert a["walk_ins"] == {
        "issued": 5,
        "served": 4,
        "wait_min": {"mean": 10.9, "median": 10.5, "p90": 12.4, "n": 4},
    }
    assert a["walk_ins"]["issued"] + a["with_appointment"]["issued"] == s["issued"] == 8
    assert a["walk_ins"]["served"] + a["with_appointment"]["served"] == s["served"] == 6
    n = a["walk_ins"]["wait_min"]["n"] + a["with_appointment"]["wait_min"]["n"]
    assert n == s["wait_min"]["n"]


def test_wait_after_the_slot_start():
    a = figures()["appointments"]
    # Ticket 11: slot 10:20 (checked in before), called 10:22 → 120 s. Ticket 12: checked in
    # 10:27:30 (after its slot), called 10:31 → 210 s. Ticket 14 was never called.
    assert a["wait_after_slot_min"] == {"mean": 2.8, "median": 2.8, "p90": 3.4, "n": 2}


def test_by_service():
    rows = {r["id"]: r for r in figures()["appointments"]["by_service"]}
    assert [r["name"] for r in rows.values()] == list(SERVICES.values())
    one, two, three = rows[1], rows[2], rows[3]
    counts = ("booked", "cancelled", "checked_in", "late", "no_show", "served")
    assert tuple(one[k] for k in counts) == (2, 1, 2, 0, 0, 2)
    # The no-show of the end of the day has no service: in the total only.
    assert tuple(two[k] for k in counts) == (1, 0, 1, 1, 1, 1)
    assert (one["with_appointment"]["issued"], one["with_appointment"]["served"]) == (2, 2)
    assert (one["walk_ins"]["issued"], one["walk_ins"]["served"]) == (2, 2)
    assert one["walk_ins"]["wait_min"] == {"mean": 10.5, "median": 10.5, "p90": 10.9, "n": 2}
    assert (two["with_appointment"]["issued"], two["with_appointment"]["served"]) == (1, 0)
    assert (two["walk_ins"]["issued"], two["walk_ins"]["served"]) == (3, 2)
    assert three["booked"] == 0 and three["walk_ins"]["wait_min"]["n"] == 0
    by_service = {r["id"]: r for r in figures()["by_service"]}
    for sid, row in rows.items():
        for k in ("issued", "served"):
            assert row["walk_ins"][k] + row["with_appointment"][k] == by_service[sid][k]


def test_existing_figures_are_untouched_by_the_appointments_events():
    log = a_day()
    plain = [r for r in log.rows if r["kind"] not in APPOINTMENT_KINDS]
    with_them = compute(BOOKED_ON, DAY, log.rows, services=SERVICES, tz=BERLIN, popups=POPUPS)
    without = compute(BOOKED_ON, DAY, plain, services=SERVICES, tz=BERLIN, popups=POPUPS)
    for figures_ in (with_them, without):
        figures_.pop("appointments")
    assert with_them == without


def test_retention_style_merge_equals_the_raw_computation():
    """Each day and pop-up reduced alone, kept as JSON (as data retention stores it), then
    merged: the same figures as computed over the raw rows at once."""
    log = a_day()
    whole = compute(BOOKED_ON, DAY, log.rows, services=SERVICES, tz=BERLIN, popups=POPUPS)
    parts = []
    for day in (BOOKED_ON, DAY):
        for agg in reduce_days([r for r in log.rows if r["day"] == day], tz=BERLIN):
            text = json.dumps(agg)
            # Anonymous: no ticket or appointment ids, no times, no day but its own.
            assert "ticket_id" not in text and not re.search(r"\d\d:\d\d|T\d\d", text)
            assert re.findall(r'"(\d{4}-\d\d-\d\d)"', text) == [day]
            parts.append(json.loads(text))
    assert [(p["day"], p["popup_id"]) for p in parts] == [(BOOKED_ON, 2), (DAY, 1)]
    assert parts[0]["events"] == 0 and parts[0]["appointments"]["booked"] == 4
    for order in (parts, parts[::-1]):
        assert merge(BOOKED_ON, DAY, order, SERVICES, {}, POPUPS) == whole
    for event in (1, 2):
        assert merge(BOOKED_ON, DAY, parts, SERVICES, {}, POPUPS, event) == compute(
            BOOKED_ON, DAY, log.rows, services=SERVICES, tz=BERLIN, popups=POPUPS, event=event
        )
    assert any(v < 0 for v in map(int, parts[1]["appointments"]["punctuality"]))


def test_days_archived_before_appointments_count_as_walk_ins():
    log = a_day()
    (day,) = reduce_days([r for r in log.rows if r["day"] == DAY], tz=BERLIN)
    old = {k: v for k, v in day.items() if k != "appointments"}  # an aggregate of before
    a = merge(DAY, DAY, [old], SERVICES)["appointments"]
    assert a["walk_ins"]["issued"] == old["issued"] and a["with_appointment"]["issued"] == 0
    assert a["walk_ins"]["wait_min"] == hist_summary(old["wait"])
    assert (a["booked"], a["due"], a["punctuality_min"]["n"]) == (0, 0, 0)


def test_signed_seconds_round_half_away_from_zero():
    t = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    cases = {90.5: 91, -90.5: -91, 90.49: 90, -90.49: -90, 0.5: 1, -0.5: -1, -0.4: 0, 0: 0}
    for offset, want in cases.items():
        assert signed_seconds(t, t + timedelta(seconds=offset)) == want, offset
    assert signed_seconds(t + timedelta(minutes=15), t) == -900


@given(st.integers(min_value=0, max_value=10**11))
def test_signed_seconds_equal_whole_seconds_when_not_negative(micro):
    t = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    later = t + timedelta(microseconds=micro)
    assert signed_seconds(t, later) == whole_seconds(t, later)
    assert signed_seconds(later, t) == -signed_seconds(t, later)


@given(st.lists(st.integers(min_value=-7200, max_value=7200), min_size=1, max_size=60))
def test_histograms_of_negative_seconds_give_exact_type_7_summaries(seconds):
    hist: dict[str, int] = {}
    for value in seconds:
        hist_add(hist, value)
    exact = [Fraction(s) for s in seconds]
    assert hist_summary(hist) == {
        "mean": round_half_up(Fraction(sum(seconds), 60 * len(seconds))),
        "median": round_half_up(quantile(exact, Fraction(1, 2)) / 60),
        "p90": round_half_up(quantile(exact, Fraction(9, 10)) / 60),
        "n": len(seconds),
    }
    # Half away from zero, as for positive values: the same figures mirrored.
    mirrored: dict[str, int] = {}
    for value in seconds:
        hist_add(mirrored, -value)
    assert hist_summary(mirrored)["mean"] == -hist_summary(hist)["mean"]
    assert hist_summary(mirrored)["median"] == -hist_summary(hist)["median"]


def test_the_statistics_read_the_appointments_events():
    from wartemarke.store.reports import STATS_KINDS

    assert set(APPOINTMENT_KINDS) <= set(STATS_KINDS)


def test_the_report_has_the_section():
    from wartemarke.report import render

    html = render(figures(), "Pop-Up")
    assert "Termine und Laufkundschaft" in html and "Laufkundschaft</th>" in html
    assert "<b>Termine</b>" in html and "Wartezeit ab Terminbeginn" in html
    assert "33,3 %" in html  # the share of no-shows
    assert "Termine je Dienstleistung" in html
    empty = render(compute(DAY, DAY, []))
    assert "Im Zeitraum gab es keine Termine" in empty


@pytest.mark.parametrize("day", [DAY, BOOKED_ON])
def test_an_empty_range_has_zero_appointments(day):
    a = compute(day, day, [])["appointments"]
    assert a["booked"] == a["walk_ins"]["issued"] == a["with_appointment"]["issued"] == 0
    assert a["punctuality_min"] == {"mean": None, "median": None, "p90": None, "n": 0}
