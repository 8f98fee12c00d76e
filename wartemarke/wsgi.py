"""The WSGI entry for running Wartemarke under gunicorn, one gevent worker per process::

    gunicorn -k gevent -w 1 --bind 127.0.0.1:8081 'wartemarke.wsgi:app'

The settings come from the same environment variables as ``wartemarke serve`` (WARTEMARKE_DATA_DIR,
WARTEMARKE_DATABASE, WARTEMARKE_MESSAGE_QUEUE, WARTEMARKE_PROXY_HOPS, ...; see
``wartemarke serve --help``); gunicorn's ``--bind`` replaces --host/--port. Several such
processes behind a proxy: deploy/scale-out/README.md.

Why exactly this command line:

* ``-k gevent``: the screens hold websockets and the background tasks (print spooler,
  housekeeping, the message queue's listener) are greenlets. Websockets go through
  simple-websocket, which takes the connection from gunicorn's ``gunicorn.socket``; that works
  as long as gevent-websocket is NOT installed (python-engineio would then expect its
  ``wsgi.websocket``, which gunicorn's plain gevent worker does not provide).
* ``-w 1``: a Socket.IO client must reach the process that holds its session. gunicorn hands
  each connection to whichever worker accepts it, so several workers behind one port would
  break long-polling clients; run several gunicorn processes on several ports instead, behind
  a proxy with sticky sessions.
* no ``--preload``: the app (and its greenlets) must be built in the worker, after gunicorn's
  gevent worker has patched the standard library; loaded in the master it would be refused
  below.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import time
import traceback

import gevent
from gevent import monkey

if "gunicorn" in sys.modules and not monkey.is_module_patched("socket"):
    # In the gunicorn master (--preload) or under a worker that does not patch (sync, gthread):
    # greenlets started here would not survive the fork, and a sync worker cannot hold
    # hundreds of open websockets. Refuse clearly instead of half working.
    raise RuntimeError(
        "wartemarke.wsgi needs gunicorn's gevent worker, without --preload: "
        "gunicorn -k gevent -w 1 --bind HOST:PORT 'wartemarke.wsgi:app'"
    )
if not monkey.is_module_patched("socket"):
    # Under another WSGI server: patch before anything else opens sockets or threads, as serve
    # does (gunicorn's gevent worker has patched already).
    monkey.patch_all()

from wsproto.utilities import RemoteProtocolError  # noqa: E402

from .server import ENGINEIO_PACKET  # noqa: E402

log = logging.getLogger(__name__)


def build(argv: list[str] | None = None):
    """The Flask app from ``wartemarke serve``'s options (the environment's, or ``argv``)."""
    from .app import create_app
    from .backup import hold_server_lock
    from .cli import build_parser, load_settings

    logging.basicConfig(
        level=os.environ.get("WARTEMARKE_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = build_parser().parse_args(["serve", *(argv or [])])
    settings = load_settings(args)
    hold_server_lock(settings.data_dir)  # a restore refuses while any server holds it
    flask_app = create_app(settings)
    state = flask_app.extensions["wartemarke"]
    for line in state.report.lines:  # e.g. the first admin's password: the operator needs it
        print(line, flush=True)
    print(
        f"Wartemarke (pid {os.getpid()}) ready under gunicorn "
        f"(data: {settings.data_dir}, database: {state.store.engine.url.render_as_string()}, "
        f"message queue: {'yes' if settings.message_queue else 'none'})",
        flush=True,
    )
    return flask_app


class GunicornErrors:
    """What wartemarke.server.Handler does for gevent's own server, for gunicorn's worker: a
    websocket handshake simple-websocket refuses is a 400 (not a 500 with a traceback), and an
    undecodable Engine.IO frame ends that websocket with one log line."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        try:
            return self.wsgi_app(environ, start_response)
        except RemoteProtocolError:
            body = b"Bad websocket handshake.\n"
            start_response(
                "400 Bad Request",
                [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
            )
            return [body]
        except ValueError as exc:
            frames = traceback.extract_tb(exc.__traceback__)
            if not frames or not frames[-1].filename.endswith(ENGINEIO_PACKET):
                raise
            log.warning("websocket closed after an undecodable Engine.IO packet: %s", exc)
            sock = environ.get("gunicorn.socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                # simple-websocket's reader then sees the end and closes the socket itself, which
                # tells its writer to send no close frame. Before that gunicorn must not close
                # it: the writer would send on a closed descriptor (a traceback in the log).
                deadline = time.monotonic() + 2
                while sock.fileno() != -1 and time.monotonic() < deadline:
                    gevent.sleep(0.01)
            # The websocket owned the connection: gunicorn must not answer on it, only close it.
            raise StopIteration() from None


flask_app = build()
app = GunicornErrors(flask_app.wsgi_app)
# Flask's app object, for tools that want it (app.extensions["wartemarke"] etc.).
app.flask_app = flask_app
