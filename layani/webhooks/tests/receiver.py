"""A real HTTP server on 127.0.0.1 that receives webhooks in tests and answers as told."""

import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


# How the server answers one request: a status code, or a function writing the answer itself.
Answer = int | Callable[[BaseHTTPRequestHandler], None]


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self._answers: deque[Answer] = deque()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(
                        Received(path=self.path, headers=dict(self.headers.items()), body=body)
                    )
                    answer = receiver._answers.popleft() if receiver._answers else 200
                if callable(answer):
                    answer(self)
                    return
                self.send_response(answer)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/layani"

    def answer(self, *answers: Answer) -> None:
        """Answer the next requests with these, in order; 200 after they run out."""
        with self._lock:
            self._answers.extend(answers)

    def start(self) -> "Receiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def slow_answer(seconds: float, status: int = 200) -> Answer:
    """Wait, then answer: longer than the sender's timeout makes it give up."""

    def write(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        try:
            handler.send_response(status)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        except OSError:
            pass  # the sender hung up already

    return write


def dripping_answer(seconds: float) -> Answer:
    """Answer one byte at a time, each well within a per-read timeout, for `seconds` in all:
    only a deadline on the whole exchange stops the sender waiting."""

    def write(handler: BaseHTTPRequestHandler) -> None:
        answer = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Padding: " + b"x" * 200 + b"\r\n\r\n"
        pause = seconds / len(answer)
        try:
            for byte in answer:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(pause)
        except OSError:
            pass

    return write


def closed_port_url() -> str:
    """An address where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"
