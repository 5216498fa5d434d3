"""A small Graph API server on loopback, written from Meta's public API documentation, for
the WhatsApp Cloud API / Messenger / Instagram tests: a real HTTP server the adapter talks
to over a socket, which records what it received.

- `GET /cdn/{media_id}` → the bytes without a token (Messenger / Instagram attachment URLs).
- `GET /{version}/{media_id}` → `{"url", "mime_type", "sha256", "file_size", "id"}`
  (bearer token required), `GET /files/{media_id}` → the bytes (bearer token required).
- `POST /{version}/{phone_number_id}/media` (multipart) → `{"id"}`.
- `POST /{version}/{phone_number_id}/messages` → `{"messaging_product", "contacts",
  "messages": [{"id": "wamid..."}]}`.
- `POST /{version}/{page_id}/messages` (Messenger / Instagram, a body with "recipient") →
  `{"recipient_id", "message_id"}`.
- `server.fail_next(status, error)` makes the next POST answer with a Graph error.
"""

import itertools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

__all__ = ["GRAPH_TOKEN", "GraphServer", "Received", "graph_api"]

GRAPH_TOKEN = "graph-test-token"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class GraphServer:
    base: str = ""
    version: str = "v21.0"
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    # Messenger / Instagram user profiles by id (`GET /{version}/{id}?fields=...`).
    profiles: dict[str, dict[str, str]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    failures: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    passes: int = 0

    def fail_next(self, status: int, error: dict[str, Any], *, after: int = 0) -> None:
        """Answer a POST with this error, after letting `after` POSTs through."""
        self.passes = after
        self.failures.append((status, {"error": error}))

    def posts(self, suffix: str = "/messages") -> list[Received]:
        return [r for r in self.received if r.method == "POST" and r.path.endswith(suffix)]


def _handler(server: GraphServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _answer(self, status: int, payload: Any, content_type: str = "") -> None:
            body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type or "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _record(self) -> Received:
            length = int(self.headers.get("Content-Length") or 0)
            received = Received(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            server.received.append(received)
            return received

        def _authorised(self) -> bool:
            if self.headers.get("Authorization") == f"Bearer {GRAPH_TOKEN}":
                return True
            self._answer(401, {"error": {"message": "Invalid OAuth access token.", "code": 190}})
            return False

        def do_GET(self) -> None:
            self._record()
            parts = self.path.strip("/").split("/")
            if len(parts) == 2 and parts[0] == "cdn" and parts[1] in server.media:
                content, content_type = server.media[parts[1]]  # a public CDN address
                self._answer(200, content, content_type)
                return
            if not self._authorised():
                return
            if len(parts) == 2 and parts[0] == "files" and parts[1] in server.media:
                content, content_type = server.media[parts[1]]
                self._answer(200, content, content_type)
            elif len(parts) == 2 and parts[0] == server.version and parts[1] in server.media:
                content, content_type = server.media[parts[1]]
                self._answer(
                    200,
                    {
                        "messaging_product": "whatsapp",
                        "url": f"{server.base}/files/{parts[1]}",
                        "mime_type": content_type,
                        "sha256": "0" * 64,
                        "file_size": len(content),
                        "id": parts[1],
                    },
                )
            elif len(parts) == 2 and parts[0] == server.version:
                user_id, _sep, query = parts[1].partition("?")
                if user_id in server.profiles:
                    fields = parse_qs(query).get("fields", [""])[0].split(",")
                    profile = server.profiles[user_id]
                    known = {name: profile[name] for name in fields if name in profile}
                    self._answer(200, {"id": user_id} | known)
                else:
                    self._answer(
                        400, {"error": {"message": "Unsupported get request.", "code": 100}}
                    )
            else:
                self._answer(404, {"error": {"message": "Unsupported get request.", "code": 100}})

        def do_POST(self) -> None:
            received = self._record()
            if not self._authorised():
                return
            if server.failures and server.passes > 0:
                server.passes -= 1
            elif server.failures:
                status, error = server.failures.pop(0)
                self._answer(status, error)
                return
            number = next(server.ids)
            if self.path.endswith("/media"):
                self._answer(200, {"id": f"up-{number}"})
            elif self.path.endswith("/messages") and received.headers.get(
                "content-type", ""
            ).startswith("multipart/form-data"):
                # Messenger attachment upload: fields and a `filedata` part.
                self._answer(200, {"recipient_id": "multipart", "message_id": f"m_{number}"})
            elif self.path.endswith("/messages"):
                payload = received.json()
                if "recipient" in payload:
                    self._answer(
                        200,
                        {"recipient_id": payload["recipient"]["id"], "message_id": f"m_{number}"},
                    )
                else:
                    self._answer(
                        200,
                        {
                            "messaging_product": "whatsapp",
                            "contacts": [{"input": payload["to"], "wa_id": payload["to"]}],
                            "messages": [{"id": f"wamid.OUT{number}"}],
                        },
                    )
            else:
                self._answer(400, {"error": {"message": "Unknown path components", "code": 2500}})

    return Handler


@pytest.fixture
def graph_api() -> Iterator[GraphServer]:
    """A running fake Graph API on 127.0.0.1; point an account's `graph_base` at `.base`."""
    state = GraphServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
