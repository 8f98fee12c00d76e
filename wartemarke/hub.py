"""The live hub: every broadcast leaves through ``Hub.publish``, after the change committed.

Namespaces, one per audience:

* ``/display`` (no login; wall screens, kiosks and other city systems): ``snapshot`` on connect
  and on request, ``call`` for every call and recall, ``queue`` after every change.
* ``/ticket`` (a visitor's phone; connect with ``auth={"token": ...}``, refused for an unknown
  token): ``status`` of that one ticket on connect and whenever it or its place in line changed.
* ``/staff`` (clerks and admins, authenticated by their session cookie): the same events plus
  ``ticket`` for each ticket that changed, ``counters`` when a counter changed and ``printer``
  when the printer's state or queue changed.

After an admin change (services, counters, venue, opening hours, end of day) both ``/display``
and ``/staff`` also get a fresh ``snapshot``: names and hours may have changed everywhere.

Every event carries the change's ``seq``. ``seq`` grows by one per committed change, so a client
that sees a gap (or reconnects) asks for a fresh ``snapshot`` by emitting ``snapshot``.
With a message queue (Redis) configured, the same emits reach clients of every server process.
"""

from __future__ import annotations

import contextlib
import logging
import re

from flask import request
from flask_login import current_user
from flask_socketio import SocketIO, emit, join_room

from .devices import Devices
from .domain.model import DomainError
from .operations import Change, Operations

log = logging.getLogger(__name__)

DISPLAY = "/display"
STAFF = "/staff"
TICKET = "/ticket"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class Hub:
    def __init__(self, socketio: SocketIO) -> None:
        self.socketio = socketio
        self.ops: Operations | None = None
        self.devices = Devices()
        # Phones connected to this process (sid -> token). With one process these are all the
        # phones, so only their tickets need a fresh status after a change; with several
        # processes sharing a message queue, the changing process cannot know which phones the
        # others hold and sends the status of every waiting ticket.
        self.phones: dict[str, str] = {}
        self.shared = socketio.server_options.get("client_manager") is not None

    def bind(self, ops: Operations) -> None:
        self.ops = ops
        sio = self.socketio

        @sio.on("connect", namespace=DISPLAY)
        def display_connect(auth=None):
            emit("snapshot", ops.state())
            if isinstance(auth, dict) and self.devices.connected(request.sid, auth):
                self._publish_devices()

        @sio.on("disconnect", namespace=DISPLAY)
        def display_disconnect(*_args):
            if self.devices.disconnected(request.sid):
                self._publish_devices()

        @sio.on("display_status", namespace=DISPLAY)
        def display_status(data=None):
            """A screen reports e.g. {"sound": "blocked"}: staff must know a display is mute."""
            if isinstance(data, dict) and self.devices.reported(request.sid, data):
                self._publish_devices()

        @sio.on("snapshot", namespace=DISPLAY)
        def display_snapshot(_data=None):
            emit("snapshot", ops.state())

        @sio.on("connect", namespace=TICKET)
        def ticket_connect(auth=None):
            token = auth.get("token") if isinstance(auth, dict) else None
            if not isinstance(token, str) or not TOKEN_RE.match(token):
                return False
            try:
                status = ops.ticket_status(token)
            except DomainError:
                return False  # unknown token: nothing to see here
            join_room(token)
            self.phones[request.sid] = token
            emit("status", status)

        @sio.on("snapshot", namespace=TICKET)
        def ticket_snapshot(_data=None):
            token = self.phones.get(request.sid)
            if token is not None:
                with contextlib.suppress(DomainError):
                    emit("status", ops.ticket_status(token))

        @sio.on("disconnect", namespace=TICKET)
        def ticket_disconnect(*_args):
            self.phones.pop(request.sid, None)

        @sio.on("connect", namespace=STAFF)
        def staff_connect(auth=None):
            if not current_user.is_authenticated:
                return False  # refused: the client sees a connect_error
            emit("snapshot", self.staff_snapshot())

        @sio.on("snapshot", namespace=STAFF)
        def staff_snapshot(_data=None):
            if not current_user.is_authenticated:
                return
            emit("snapshot", self.staff_snapshot())

    def _publish_devices(self) -> None:
        self.socketio.emit("devices", {"devices": self.devices.listing()}, namespace=STAFF)

    def staff_snapshot(self) -> dict:
        state = self.ops.state()
        state["counters"] = self.ops.counters(staff=True)
        state["waiting"] = self.ops.waiting_lists()
        state["printer"] = self.ops.spooler.state() if self.ops.spooler else None
        state["devices"] = self.devices.listing()
        return state

    def publish_printer(self, printer: dict) -> None:
        """Printer alerts (paper out, offline, queued tickets) for the staff screens."""
        try:
            self.socketio.emit("printer", printer, namespace=STAFF)
        except Exception:
            log.exception("broadcast of the printer state failed")

    def _publish_statuses(self, change: Change) -> None:
        try:
            watched = None if self.shared else set(self.phones.values())
            for token, status in self.ops.visitor_statuses(change.tokens, watched).items():
                self.socketio.emit(
                    "status", {"seq": change.seq, **status}, to=token, namespace=TICKET
                )
        except Exception:
            log.exception("phone updates for change %s failed", change.seq)

    def publish(self, change: Change) -> None:
        """Broadcast one committed change. Never raises: the change is already durable."""
        try:
            queue = {"seq": change.seq, "services": change.services}
            for call in change.calls:
                for ns in (DISPLAY, STAFF):
                    self.socketio.emit("call", call, namespace=ns)
            for ns in (DISPLAY, STAFF):
                self.socketio.emit("queue", queue, namespace=ns)
            for ticket in change.tickets:
                self.socketio.emit("ticket", {"seq": change.seq, **ticket}, namespace=STAFF)
            watched = None if self.shared else set(self.phones.values())
            for token, status in self.ops.visitor_statuses(change.tokens, watched).items():
                self.socketio.emit(
                    "status", {"seq": change.seq, **status}, to=token, namespace=TICKET
                )
            if change.counters_changed:
                self.socketio.emit(
                    "counters",
                    {"seq": change.seq, "counters": self.ops.counters(staff=True)},
                    namespace=STAFF,
                )
            if change.resync:
                self.socketio.emit("snapshot", self.ops.state(), namespace=DISPLAY)
                self.socketio.emit("snapshot", self.staff_snapshot(), namespace=STAFF)
        except Exception:  # a broken client or queue must not turn a done action into an error
            log.exception("broadcast of change %s failed", change.seq)
