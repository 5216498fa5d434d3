"""A Bot API server on loopback for tests, written from the public Bot API docs:
`POST /bot<token>/<method>` (JSON or multipart/form-data) answering
`{"ok": true, "result": ...}`, and `GET /file/bot<token>/<file_path>` serving the bytes.
It records every request it gets so tests assert what Telegram would have received."""

import json
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    method: str
    fields: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


class BotApiServer:
    def __init__(self, token: str) -> None:
        self.token = token
        self.received: list[Received] = []
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)
        self.failures: list[tuple[int, str]] = []  # answered, in order, before normal work
        self.next_message_id = 7000
        self.downloads: list[str] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> "BotApiServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def calls(self, method: str) -> list[Received]:
        return [r for r in self.received if r.method == method]

    def answer(self, method: str, fields: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.failures:
            status, description = self.failures.pop(0)
            return status, {"ok": False, "error_code": status, "description": description}
        if method == "getFile":
            file_id = str(fields.get("file_id"))
            if file_id not in self.files:
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: invalid file_id",
                }
            path, content = self.files[file_id]
            result = {"file_id": file_id, "file_size": len(content), "file_path": path}
            return 200, {"ok": True, "result": result}
        if method == "answerCallbackQuery":
            return 200, {"ok": True, "result": True}
        if method in ("sendMessage", "sendPhoto", "sendDocument"):
            self.next_message_id += 1
            message = {
                "message_id": self.next_message_id,
                "chat": {"id": int(fields["chat_id"]), "type": "private"},
                "date": 1795001000,
            }
            return 200, {"ok": True, "result": message}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                prefix = f"/file/bot{server.token}/"
                if not self.path.startswith(prefix):
                    self._send(404, b"Not Found", "text/plain")
                    return
                path = self.path[len(prefix) :]
                for file_path, content in server.files.values():
                    if file_path == path:
                        server.downloads.append(path)
                        self._send(200, content, "application/octet-stream")
                        return
                self._send(404, b"Not Found", "text/plain")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                prefix = f"/bot{server.token}/"
                if not self.path.startswith(prefix):
                    answer = {"ok": False, "error_code": 401, "description": "Unauthorized"}
                    self._send(401, json.dumps(answer).encode(), "application/json")
                    return
                method = self.path[len(prefix) :]
                fields, files = _read_fields(self.headers.get("Content-Type", ""), body)
                server.received.append(Received(method, fields, files))
                status, answer = server.answer(method, fields)
                self._send(status, json.dumps(answer).encode(), "application/json")

        return Handler


def _read_fields(
    content_type: str, body: bytes
) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    if content_type.startswith("application/json"):
        return json.loads(body or b"{}"), {}
    if not content_type.startswith("multipart/form-data"):
        return {}, {}
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, Any] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True) or b""
        if part.get_filename():
            files[name] = (part.get_filename(), content)
        else:
            fields[name] = content.decode()
    return fields, files
