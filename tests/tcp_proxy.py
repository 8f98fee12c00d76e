"""A small TCP proxy for fault tests: a network between a screen and the server that can fail.

    proxy = TcpProxy(server.port).start()    # listens on 127.0.0.1:<free port>
    page.goto(proxy.url + "/display/")       # the page talks to the server through it
    proxy.cut()       # every open connection closed (both ends); new ones closed at once
    proxy.restore()   # connections pass again
    proxy.close()

Plain threads: one accepting, two per connection (one each way). A cut shuts the sockets down
(shutdown() wakes a thread blocked in recv(), close() from another thread does not) and waits
until every connection's threads are gone, so after cut() returns nothing passes any more.
While cut, the proxy still accepts and closes straight away, as a dead link behind a working
Wi-Fi access point would: the client sees its connection fail and retries.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from tests.conftest import free_port


class _Link:
    """One client connection and its upstream twin, pumped both ways."""

    def __init__(self, proxy: TcpProxy, client: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream: socket.socket | None = None
        self.pumps_left = 2
        self.lock = threading.Lock()

    def run(self) -> None:
        try:
            self.upstream = socket.create_connection(self.proxy.target, timeout=5)
            self.upstream.settimeout(None)
        except OSError:
            self.finish()
            return
        if self.proxy.is_cut:  # cut while connecting: this link must not pass anything
            self.finish()
            return
        self._spawn(self.upstream, self.client, "down")
        self._pump(self.client, self.upstream)

    def _spawn(self, src: socket.socket, dst: socket.socket, name: str) -> None:
        threading.Thread(
            target=self._pump, args=(src, dst), name=f"tcp-proxy-{name}", daemon=True
        ).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        clean = False
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    clean = True
                    break
                dst.sendall(data)
        except OSError:
            pass
        if clean:  # an orderly end: pass the half-close on, the other way may go on
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)
        else:
            self.shut()
        with self.lock:
            self.pumps_left -= 1
            last = self.pumps_left == 0
        if last:
            self.finish()

    def shut(self) -> None:
        """Both directions of both sockets, at once; the pumps see it and end."""
        for sock in (self.client, self.upstream):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def finish(self) -> None:
        self.shut()
        for sock in (self.client, self.upstream):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
        self.proxy._forget(self)


class TcpProxy:
    """Forwards 127.0.0.1:<port> to the server at ``target_port`` until cut."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.accepted = 0  # connections passed on
        self.refused = 0  # connections closed at once while cut
        self._cut = threading.Event()
        self._closed = threading.Event()
        self._links: set[_Link] = set()
        self._changed = threading.Condition()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def is_cut(self) -> bool:
        return self._cut.is_set()

    @property
    def open_links(self) -> int:
        with self._changed:
            return len(self._links)

    def start(self) -> TcpProxy:
        for _ in range(20):  # free_port() tested the port; another process may take it first
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                listener.bind(("127.0.0.1", free_port()))
            except OSError:
                listener.close()
                continue
            break
        else:
            raise RuntimeError("no free port for the proxy")
        listener.listen(128)
        listener.settimeout(0.2)  # the accept loop looks at the closed flag this often
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name="tcp-proxy", daemon=True)
        self._thread.start()
        return self

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break  # the listener was closed
            client.settimeout(None)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._cut.is_set() or self._closed.is_set():
                self.refused += 1
                with contextlib.suppress(OSError):
                    client.shutdown(socket.SHUT_RDWR)
                client.close()
                continue
            self.accepted += 1
            link = _Link(self, client)
            with self._changed:
                self._links.add(link)
            threading.Thread(target=link.run, name="tcp-proxy-up", daemon=True).start()

    def _forget(self, link: _Link) -> None:
        with self._changed:
            self._links.discard(link)
            self._changed.notify_all()

    def _drop_all(self, timeout: float) -> None:
        with self._changed:
            links = list(self._links)
        for link in links:
            link.shut()
        deadline = time.monotonic() + timeout
        with self._changed:
            if not self._changed.wait_for(lambda: not self._links, deadline - time.monotonic()):
                raise RuntimeError(f"{len(self._links)} proxied connections did not end")

    def cut(self, timeout: float = 5.0) -> None:
        """Close every open connection, in both directions; refuse new ones until restore()."""
        self._cut.set()
        self._drop_all(timeout)

    def restore(self) -> None:
        self._cut.clear()

    def close(self) -> None:
        self._closed.set()
        self._cut.set()
        if self._thread is not None:
            self._thread.join(5)  # the accept loop ends within its 0.2 s timeout
        if self._listener is not None:
            self._listener.close()
        self._drop_all(5.0)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
