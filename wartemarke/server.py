"""Serving on gevent's WSGI server, tuned for many small requests and websockets on a LAN."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import signal
import socket
import traceback

import gevent
from gevent import pywsgi, ssl
from wsproto.utilities import RemoteProtocolError

from .config import ConfigError

log = logging.getLogger(__name__)
ENGINEIO_PACKET = os.path.join("engineio", "packet.py")
# Seconds a new connection may take for its TLS handshake (HTTPS only).
HANDSHAKE_TIMEOUT = 10


class Handler(pywsgi.WSGIHandler):
    def run_application(self):
        try:
            super().run_application()
        except RemoteProtocolError:
            # simple-websocket parses the upgrade request again, with h11, which refuses what
            # gevent let through (a control character in a header): a bad request, no crash.
            if self.headers_sent:
                raise
            body = b"Bad websocket handshake.\n"
            self.start_response(
                "400 Bad Request",
                [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
            )
            self.write(body)
        except ValueError as exc:
            frames = traceback.extract_tb(exc.__traceback__)
            if not frames or not frames[-1].filename.endswith(ENGINEIO_PACKET):
                raise
            # python-engineio's read loop ends on a websocket frame it cannot decode ("", "x"):
            # one log line, and the connection closed (also its dup() in simple-websocket).
            log.warning("websocket closed after an undecodable Engine.IO packet: %s", exc)
            with contextlib.suppress(OSError):
                self.socket.shutdown(socket.SHUT_RDWR)
        finally:
            if self.environ.get("HTTP_UPGRADE", "").lower() == "websocket":
                # The websocket owned the connection; what follows on it (the client's close
                # frame) is no HTTP request. Without this, every disconnect logs a bogus
                # "Invalid HTTP method" error.
                self.close_connection = True


class NoDelayWSGIServer(pywsgi.WSGIServer):
    """gevent's server with TCP_NODELAY on every connection.

    pywsgi writes a response's headers and body in separate sends. With Nagle's algorithm on,
    the body waits for the ACK of the headers, which the client delays by up to 40 ms: every
    kept-alive request (and every websocket frame after a small one) would arrive late.
    """

    def handle(self, sock, address):
        with contextlib.suppress(OSError, AttributeError):  # not TCP, or not Linux
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # A screen that lost power never closes its connection: let the kernel give up on
            # it after about half a minute instead of a quarter of an hour of retransmissions.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 20)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 5)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, 30_000)
        return super().handle(sock, address)

    def wrap_socket_and_handle(self, client_socket, address):
        # HTTPS: a device that does not trust the certificate (yet) ends the handshake, a plain
        # http:// request is no handshake at all, and a silent client must not hold a greenlet
        # for ever: one log line each (gevent would print a traceback), and the socket closed.
        try:
            with gevent.Timeout(HANDSHAKE_TIMEOUT, TimeoutError("no TLS handshake")):
                tls_socket = self.wrap_socket(client_socket, **self.ssl_args)
        except OSError as exc:  # ssl.SSLError is one
            log.info("TLS handshake with %s failed: %s", address[0], exc)
            client_socket.close()
            return None
        with contextlib.closing(tls_socket):
            return self.handle(tls_socket, address)


def tls_context(certfile: str, keyfile: str | None = None) -> ssl.SSLContext:
    """HTTPS with the certificate (chain) and key given, TLS 1.2 or newer; a missing, unreadable
    or mismatched file is a ConfigError naming it. Without keyfile the key is in certfile."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(certfile, keyfile or None)
    except ssl.SSLError as exc:
        raise ConfigError(
            f"the TLS certificate {certfile} and key {keyfile or certfile} are not PEM files "
            f"of one key pair ({exc.reason or exc})"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read the TLS certificate {certfile} or key {keyfile or certfile}: "
            f"{exc.strerror or exc}"
        ) from None
    return context


def listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"port {port} on {host} is already in use (is Wartemarke already running?); "
                "choose another with --port or WARTEMARKE_PORT"
            ) from None
        if exc.errno == errno.EACCES:
            raise ConfigError(
                f"no permission to listen on port {port}; use a port above 1024"
            ) from None
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def serve(
    app, sock: socket.socket, access_log: bool = False, tls: ssl.SSLContext | None = None
) -> None:
    server = NoDelayWSGIServer(
        sock,
        app,
        handler_class=Handler,
        log=logging.getLogger("wartemarke.access") if access_log else None,
        error_log=logging.getLogger("wartemarke.server"),
        **({"ssl_context": tls} if tls is not None else {}),
    )

    def stop(*_):
        log.info("stopping")
        gevent.spawn(server.stop, timeout=3)

    gevent.signal_handler(signal.SIGTERM, stop)
    gevent.signal_handler(signal.SIGINT, stop)
    server.serve_forever()
