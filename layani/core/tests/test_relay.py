"""Embedded mode: the worker's realtime events reach browsers through the server that
started it (`core.relay`)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.test import Client

from layani.core.events import publish_all_now, publish_now
from layani.core.relay import HEADER, relay_token
from layani.testing.realtime import GroupListener


def test_the_server_hands_relayed_events_to_its_layer(db: Any) -> None:
    listener = GroupListener("user-7")
    message = {"type": "layani.event", "event": "call.ringing", "payload": {"id": 3}}
    body = json.dumps([["user-7", message]])
    client = Client()
    refused = client.post("/internal/realtime/", body, content_type="application/json")
    assert refused.status_code == 404
    forged = client.post(
        "/internal/realtime/",
        body,
        content_type="application/json",
        headers={HEADER: "0" * 64},
    )
    assert forged.status_code == 404
    answer = client.post(
        "/internal/realtime/",
        body,
        content_type="application/json",
        headers={HEADER: relay_token()},
    )
    assert answer.status_code == 204
    # Exactly one: the posts without the token passed nothing on.
    assert listener.messages(timeout=1.0) == [message]


class _Catch(BaseHTTPRequestHandler):
    caught: list[tuple[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.caught.append((self.headers[HEADER], json.loads(self.rfile.read(length))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Any:
    _Catch.caught = []
    http = HTTPServer(("127.0.0.1", 0), _Catch)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield http
    http.shutdown()


def test_the_worker_posts_its_events_to_the_server(settings: Any, server: Any) -> None:
    if settings.CHANNEL_LAYERS["default"]["BACKEND"] != "channels.layers.InMemoryChannelLayer":
        pytest.skip("embedded mode only: with Redis the worker publishes itself")
    settings.LAYANI_REALTIME_RELAY = f"http://127.0.0.1:{server.server_port}/internal/realtime/"

    def as_the_worker() -> None:  # plain synchronous code, no event loop: the worker
        publish_now("user-7", "mention.created", {"conversation_id": 5})
        publish_all_now([("inbox", "a", {"n": 1}), ("inbox", "b", {"n": 2})])

    worker = threading.Thread(target=as_the_worker)
    worker.start()
    worker.join(10)
    tokens = {token for token, _ in _Catch.caught}
    assert tokens == {relay_token()}
    sent = [pairs for _, pairs in _Catch.caught]
    assert sent[0] == [
        [
            "user-7",
            {"type": "layani.event", "event": "mention.created", "payload": {"conversation_id": 5}},
        ]
    ]
    assert sent[1] == [
        [
            "inbox",
            {
                "type": "layani.events",
                "events": [
                    {"event": "a", "payload": {"n": 1}},
                    {"event": "b", "payload": {"n": 2}},
                ],
            },
        ]
    ]
