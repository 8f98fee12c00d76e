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
import os
import re
import traceback

import flask_socketio
from flask import request
from flask_login import current_user
from flask_socketio import SocketIO, emit, join_room

from .devices import Devices
from .domain.model import DomainError
from .operations import Change, Operations

log = logging.getLogger(__name__)


class MalformedPackets(logging.Filter):
    """python-engineio drops a packet it or python-socketio refuses (not JSON, an integer of
    more than 100 digits, nested deeper than the parser goes, a packet type only servers send,
    an event without a name) and logs a full traceback for each: anybody can send those. One
    warning line instead; an error raised in Flask-SocketIO or in our code keeps its traceback."""

    MESSAGES = ("message handler error", "post request handler error")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg in self.MESSAGES and record.exc_info:
            files = [f.filename for f in traceback.extract_tb(record.exc_info[2])]
            if not any(f.startswith(OURS) for f in files):
                record.msg, record.args = (
                    "malformed Socket.IO packet dropped: %r",
                    (record.exc_info[1],),
                )
                record.exc_info = record.exc_text = None
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


# Where code runs that may raise for reasons of its own (not the client's).
OURS = (
    os.path.dirname(flask_socketio.__file__) + os.sep,
    os.path.dirname(__file__) + os.sep,
)


def close_refused_polls_at_once(eio) -> None:
    """python-engineio answers a polling POST it refuses (over its size limit, or a packet
    type only servers send, "6" or "9") by closing the session and then waiting until the
    client has fetched the close packet, which such a client never does: the request hangs for
    good and keeps its connection open, and enough of them use up the server's file
    descriptors. Close without waiting; the client gets its 400 at once."""

    def disconnect(sid=None):
        if sid is None:
            return original(sid)
        socket = eio.sockets.pop(sid, None)
        if socket is not None:
            socket.close(wait=False, reason=eio.reason.SERVER_DISCONNECT)
        return None

    original = eio.disconnect
    eio.disconnect = disconnect


DISPLAY = "/display"
STAFF = "/staff"
TICKET = "/ticket"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class Hub:
    def __init__(self, socketio: SocketIO) -> None:
        self.socketio = socketio
        eio_log = socketio.server.eio.logger
        if not any(isinstance(f, MalformedPackets) for f in eio_log.filters):  # one per logger
            eio_log.addFilter(MalformedPackets())
        close_refused_polls_at_once(socketio.server.eio)
        self.ops: Operations | None = None
        self.devices = Devices()
        # Phones connected to this process (sid -> token). With one process these are all the
        # phones, so only their tickets need a fresh status after a change; with several
        # processes sharing a message queue, the changing process cannot know which phones the
        # others hold and sends the status of every waiting ticket.
        self.phones: dict[str, str] = {}
        # Staff screens connected to this process (sid -> user id): closed when the account is
        # disabled, since a socket is only checked when it connects.
        self.staff: dict[str, int] = {}
        manager = socketio.server_options.get("client_manager")
        self.shared = manager is not None
        # With Redis between the processes, "close this account's staff screens" goes to every
        # process over a channel of its own (the Socket.IO queue can only close a socket whose
        # sid the sender knows, and a process knows only its own).
        self._redis_url = getattr(manager, "redis_url", None)
        if not str(self._redis_url).startswith(("redis://", "rediss://", "unix://")):
            self._redis_url = None  # Sentinel, Valkey, Kafka, AMQP: not handled here
        self._drop_channel = f"{getattr(manager, 'channel', 'socketio')}-wartemarke-drop-user"
        self._redis = None
        if self.shared and self._redis_url is None:
            log.warning(
                "this message queue cannot carry a disabled account's logout: its staff "
                "screens on other server processes stay open until they reconnect"
            )

    def bind(self, ops: Operations) -> None:
        self.ops = ops
        sio = self.socketio
        if self._redis_url is not None:
            self._listen_for_drops()

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
        def display_status(data=None, *_extra):
            """A screen reports e.g. {"sound": "blocked"}: staff must know a display is mute.
            (Every handler takes *_extra: a client may send more arguments than it should.)"""
            if isinstance(data, dict) and self.devices.reported(request.sid, data):
                self._publish_devices()

        @sio.on("snapshot", namespace=DISPLAY)
        def display_snapshot(*_args):
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
        def ticket_snapshot(*_args):
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
            self.staff[request.sid] = current_user.id
            emit("snapshot", self.staff_snapshot())

        @sio.on("disconnect", namespace=STAFF)
        def staff_disconnect(*_args):
            self.staff.pop(request.sid, None)

        @sio.on("snapshot", namespace=STAFF)
        def staff_snapshot(*_args):
            if not current_user.is_authenticated:
                return
            emit("snapshot", self.staff_snapshot())

    def drop_user(self, user_id: int) -> None:
        """Close the live staff screens of a disabled account: those on this process at once,
        those on the other processes (with a Redis message queue) through Redis."""
        self._drop_here(user_id)
        if self._redis is not None:
            try:
                self._redis.publish(self._drop_channel, str(user_id))
            except Exception:
                log.exception("could not ask the other processes to close user %s", user_id)

    def _listen_for_drops(self) -> None:
        try:
            import redis
        except ImportError:
            from .config import ConfigError

            raise ConfigError(
                "a redis:// message queue needs the redis package: pip install 'wartemarke[scale]'"
            ) from None

        self._redis = redis.Redis.from_url(self._redis_url)

        def listen() -> None:
            failing = False
            while True:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                try:
                    pubsub.subscribe(self._drop_channel)
                    failing = False
                    for message in pubsub.listen():
                        data = message.get("data")
                        if isinstance(data, bytes) and data.isdigit() and len(data) <= 10:
                            self._drop_here(int(data))
                except Exception as exc:  # Redis restarting: listen again when it is back
                    if not failing:
                        log.warning("lost the Redis channel for logouts (%s); retrying", exc)
                    failing = True
                    with contextlib.suppress(Exception):
                        pubsub.close()
                    self.socketio.sleep(1)

        self.socketio.start_background_task(listen)

    def _drop_here(self, user_id: int) -> None:
        for sid, holder in list(self.staff.items()):
            if holder == user_id:
                self.staff.pop(sid, None)
                self.socketio.server.disconnect(sid, namespace=STAFF)

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
