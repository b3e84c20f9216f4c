"""The HTTP side of :class:`~postpress_frames.testing.FakePostpress`: a threaded keep-alive
server on 127.0.0.1 that hands every request to one ``respond`` function and writes its
:class:`~postpress_frames.testing._wire.Answer` (dropped, truncated or whole).

>>> import requests
>>> server = Server(("127.0.0.1", 0), lambda method, path, headers: Answer(204))
>>> thread = threading.Thread(target=server.serve_forever, daemon=True)
>>> thread.start()
>>> requests.get(f"http://127.0.0.1:{server.server_port}/x", timeout=5).status_code
204
>>> server.shutdown(); thread.join(); server.server_close()
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import sys
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from postpress_frames.testing._wire import Answer

__all__ = ["Respond", "Server"]

#: Answers one request: (method, path with query, request headers) -> the answer.
Respond = Callable[[str, str, dict[str, str]], Answer]

_IDLE_TIMEOUT: Final = 30.0  # seconds a kept-alive connection may stay silent


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, every answer has a Content-Length
    server_version = "FakePostpress"
    sys_version = ""
    timeout = _IDLE_TIMEOUT
    server: Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and
        # the client's delayed ACK stall every small response by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        headers = dict(self.headers.items())
        self._discard_body()
        answer = self.server.respond(self.command, self.path, headers)
        self._write(answer, head=self.command == "HEAD")

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request log is ``FakePostpress.requests``, and it never prints keys."""

    def _discard_body(self) -> None:
        length = self.headers.get("Content-Length")
        if length and length.isdigit():
            self.rfile.read(int(length))
        elif self.headers.get("Transfer-Encoding"):
            self.close_connection = True  # a chunked body we do not read: do not reuse

    def _write(self, answer: Answer, *, head: bool) -> None:
        if answer.status is None:  # Fault.drop: no response at all
            self.close_connection = True
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers:
            self.send_header(name, value)
        if answer.truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if head:
            return
        body = answer.body[: len(answer.body) // 2] if answer.truncate else answer.body
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    """One thread per connection; :meth:`close_connections` ends the open ones on stop."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], respond: Respond) -> None:
        self.respond = respond
        self.live: dict[threading.Thread, socket.socket] = {}
        self.live_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall without DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name="FakePostpress-connection",
            daemon=True,
        )
        with self.live_lock:
            self.live[thread] = request
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self.live_lock:
                self.live.pop(threading.current_thread(), None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client went away (timeouts, dropped connections): expected here
        traceback.print_exc()

    def close_connections(self) -> list[threading.Thread]:
        """Shut every open connection down; returns their threads, to join."""
        with self.live_lock:
            live = list(self.live.items())
        for _, sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return [thread for thread, _ in live]
