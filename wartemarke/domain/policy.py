"""Which waiting ticket a counter gets next.

A counter is offered the waiting tickets of the services it serves. Tickets with a higher priority
(people with disabilities, appointments) go first; among equals the one that has waited longest
goes first, measured from ``queued_at`` so that a transferred or re-queued visitor keeps the place
they had. The ticket id breaks exact ties, so the order is total and deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable

from .model import Status, Ticket


def queue_order_key(ticket: Ticket) -> tuple:
    return (-int(ticket.priority), ticket.queued_at, ticket.id or 0)


def waiting_in_order(tickets: Iterable[Ticket], service_ids: Iterable[int]) -> list[Ticket]:
    wanted = set(service_ids)
    waiting = [t for t in tickets if t.status is Status.WAITING and t.service_id in wanted]
    return sorted(waiting, key=queue_order_key)


def choose_next(tickets: Iterable[Ticket], service_ids: Iterable[int]) -> Ticket | None:
    ordered = waiting_in_order(tickets, service_ids)
    return ordered[0] if ordered else None


def position_of(ticket: Ticket, tickets: Iterable[Ticket]) -> int:
    """How many people of the same service are ahead of ``ticket`` (0: next in line)."""
    if ticket.status is not Status.WAITING:
        return 0
    key = queue_order_key(ticket)
    return sum(
        1
        for t in tickets
        if t.status is Status.WAITING
        and t.service_id == ticket.service_id
        and t.id != ticket.id
        and queue_order_key(t) < key
    )
