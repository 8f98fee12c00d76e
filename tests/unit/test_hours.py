"""Opening hours and the closing-time cut-off, in the domain core."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from wartemarke.domain.hours import OpeningHours, availability, parse_spans
from wartemarke.domain.model import Invalid, Service

BERLIN = ZoneInfo("Europe/Berlin")
SERVICE = Service(1, "Personalausweis", "A", 15)


def at(hh: int, mm: int = 0, day: date = date(2026, 3, 30)) -> datetime:
    return datetime.combine(day, time(hh, mm), BERLIN)


def test_nothing_configured_means_always_open():
    hours = OpeningHours()
    assert hours.always_open
    for hh in (0, 3, 12, 23):
        state = availability(SERVICE, hours, at(hh, 59), 600)
        assert state.open and state.closes_at is None


def test_pop_up_dates_and_hours():
    hours = OpeningHours.from_json(
        {"hours": "09:00-16:00", "dates": ["2026-03-30", "2026-03-31"], "closing_margin_min": 15}
    )
    assert availability(SERVICE, hours, at(8, 59), 0).state == "outside_hours"
    assert availability(SERVICE, hours, at(9, 0), 0).state == "open"
    assert availability(SERVICE, hours, at(10, 0, date(2026, 4, 1)), 0).state == "outside_hours"
    assert hours.next_opening(at(7)) == time(9, 0)
    # 14:30 with 60 minutes of queue: ends 15:30, before 15:45 (16:00 minus the margin).
    assert availability(SERVICE, hours, at(14, 30), 60).state == "open"
    full = availability(SERVICE, hours, at(14, 50), 60)
    assert full.state == "full" and full.closes_at == time(16, 0)
    assert availability(SERVICE, hours, at(15, 46), 0).state == "full"
    assert availability(SERVICE, hours, at(16, 0), 0).state == "outside_hours"


def test_weekday_hours_and_lunch_break():
    hours = OpeningHours.from_json(
        {"hours": "09:00-16:00", "weekdays": {"fri": "09:00-12:00, 13:00-15:00"}}
    )
    friday = date(2026, 4, 3)
    assert availability(SERVICE, hours, at(12, 30, friday), 0).state == "outside_hours"
    assert hours.next_opening(at(12, 30, friday)) == time(13, 0)
    assert availability(SERVICE, hours, at(13, 30, friday), 0).closes_at == time(15, 0)


def test_staff_override_beats_hours():
    hours = OpeningHours.from_json({"hours": "09:00-16:00"})
    closed = Service(1, "A", "A", 15, manual_open=False)
    opened = Service(1, "A", "A", 15, manual_open=True)
    assert availability(closed, hours, at(10), 0).state == "closed"
    assert availability(opened, hours, at(20), 0).state == "open"


@pytest.mark.parametrize("bad", ["9-16", "09:00-08:00", "25:00-26:00", "09:00 16:00"])
def test_bad_spans(bad):
    with pytest.raises(Invalid):
        parse_spans(bad)


def test_round_trip():
    data = {
        "hours": "09:00-16:00",
        "weekdays": {"fri": "09:00-12:00"},
        "dates": ["2026-03-30"],
        "closing_margin_min": 15,
    }
    assert OpeningHours.from_json(data).to_json() == data
