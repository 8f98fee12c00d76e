"""Hypothesis properties for the parts of the domain core that hostile input reaches and
test_domain.py / test_appointments.py leave to examples: the ticket's state machine under any
sequence of actions, opening hours from any JSON or site file table, time spans and slots
from any text. They may refuse (Conflict, Invalid) but never raise anything else."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from wartemarke.domain.appointments import parse_slot
from wartemarke.domain.hours import WEEKDAYS, OpeningHours, format_spans, parse_spans
from wartemarke.domain.model import Conflict, Invalid, Status, Ticket

T0 = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)

# action → the states it may start from, and the state it leads to (None: depends).
ALLOWED = {
    "call": ({Status.WAITING}, Status.CALLED),
    "recall": ({Status.CALLED}, Status.CALLED),
    "start": ({Status.CALLED}, Status.SERVING),
    "finish": ({Status.CALLED, Status.SERVING}, Status.DONE),
    "no_show": ({Status.CALLED}, Status.NO_SHOW),
    "cancel": ({Status.WAITING}, Status.CANCELLED),
    "requeue": ({Status.CALLED, Status.SERVING}, Status.WAITING),
    "transfer": ({Status.WAITING, Status.CALLED, Status.SERVING}, Status.WAITING),
    "close_day": ({Status.WAITING, Status.CALLED, Status.SERVING}, None),
}
steps = st.lists(
    st.tuples(st.sampled_from(sorted(ALLOWED)), st.integers(1, 4), st.integers(0, 90)),
    max_size=25,
)


def check_invariants(t: Ticket, queued_at: datetime) -> None:
    assert t.queued_at == queued_at  # a visitor never loses their place
    if t.status is Status.WAITING:
        assert t.counter_id is None and t.called_at is None and t.serving_at is None
        assert t.recalls == 0
    if t.status in (Status.CALLED, Status.SERVING):
        assert t.counter_id is not None and t.called_at is not None and t.finished_at is None
    if t.status is Status.SERVING:
        assert t.serving_at is not None
    if t.status is Status.DONE:
        assert t.serving_at is not None and t.finished_at is not None
    if t.status.is_final:
        assert t.finished_at is not None


@given(steps)
def test_any_sequence_of_actions_keeps_the_ticket_consistent(actions):
    t = Ticket(1, "2026-03-30", 1, "A001", "tok", Status.WAITING, T0, T0)
    minute = 0
    for action, number, later in actions:
        minute += later
        at = T0 + timedelta(minutes=minute)
        before = copy.deepcopy(t)
        froms, to = ALLOWED[action]
        args = {"call": (number, at), "transfer": (number, at)}.get(action, (at,))
        try:
            transition = getattr(t, action)(*args)
        except Conflict:
            refused_transfer = action == "transfer" and number == before.service_id
            assert before.status not in froms or refused_transfer, (action, before.status)
            assert t == before  # a refused action changes nothing
            continue
        assert before.status in froms, (action, before.status)
        assert transition.from_status == before.status and transition.to_status == t.status
        if to is not None:
            assert t.status is to
        else:  # the end of the day: served visitors are done, everyone else cancelled
            assert t.status is (
                Status.DONE if before.status is Status.SERVING else Status.CANCELLED
            )
        check_invariants(t, T0)
        if before.status.is_final:
            raise AssertionError("a final state changed")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["09:00-12:00", "closed", "2026-03-30", "24:00", "9:00-16:00, 17:00-18:00"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
opening_tables = st.fixed_dictionaries(
    {},
    optional={
        "hours": json_values,
        "weekdays": json_values | st.dictionaries(st.sampled_from(WEEKDAYS), json_values),
        "dates": json_values | st.lists(json_values, max_size=3),
        "closing_margin_min": json_values | st.integers(-5, 500),
    },
)


@given(opening_tables | json_values)
def test_opening_hours_from_any_table_are_refused_in_words_or_taken(data):
    """What the admin's PUT /api/admin/venue and the site file's [opening] may hold."""
    try:
        hours = OpeningHours.from_json(data)
    except Invalid as exc:
        assert exc.message and exc.status == 400
        return
    # What was taken is stored as its JSON and read back the same.
    assert OpeningHours.from_json(hours.to_json()) == hours


span_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 59]))


@given(st.lists(st.tuples(span_times, span_times).filter(lambda s: s[0] < s[1]), max_size=4))
def test_spans_survive_formatting(spans):
    assert parse_spans(format_spans(spans)) == sorted(spans)


@given(st.text(max_size=60))
def test_spans_and_slots_from_any_text(text):
    try:
        spans = parse_spans(text)
    except Invalid:
        pass
    else:
        assert all(a < b for a, b in spans)
    slot = parse_slot(text)
    assert slot is None or parse_slot(slot.strftime("%H:%M")) == slot
