"""A real ASGI server for browser tests: uvicorn serving our application in a thread.

pytest-django's `live_server` speaks WSGI only, so `asgi_server` runs uvicorn with our ASGI
application in a thread of the test process, against the test database (SQLite or
PostgreSQL) and the configured channel layer (in-memory or Redis). Code that publishes
should run inside that server's event loop (`asgi_server.run`): the in-memory layer only
reaches consumers on its own loop, and Playwright's loop occupies the test thread.
"""

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

__all__ = ["AsgiServer", "asgi_server"]

T = TypeVar("T")


class AsgiServer:
    """uvicorn serving layani.config.asgi in a background thread, on a free local port."""

    def __init__(self) -> None:
        import uvicorn

        from layani.config.asgi import application

        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        config = uvicorn.Config(
            application, lifespan="off", log_level="warning", loop="asyncio", ws="websockets-sansio"
        )
        self.loop: asyncio.AbstractEventLoop | None = None
        server = self

        class Server(uvicorn.Server):
            async def startup(self, sockets: Any = None) -> None:
                server.loop = asyncio.get_running_loop()
                await super().startup(sockets=sockets)

        self.server = Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def start(self) -> "AsgiServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the ASGI test server did not start")
            time.sleep(0.02)
        return self

    def run(self, function: Callable[[], T], timeout: float = 30) -> T:
        """Run blocking Django code as a request of this server would, and wait for it."""
        assert self.loop is not None
        future = asyncio.run_coroutine_threadsafe(sync_to_async(function)(), self.loop)
        return future.result(timeout)

    def stop(self) -> None:
        try:
            # The server's threads hold their own database connections: close them, or
            # PostgreSQL refuses to drop the test database at the end of the run.
            self.run(connections.close_all, timeout=10)
        finally:
            self.server.should_exit = True
            self.thread.join(timeout=15)
            self.socket.close()


def _redis_layer_that_outlives_idle_reads(settings: Any) -> None:
    """redis-py 8 reads with a 5 s socket timeout by default, exactly channels_redis's
    BZPOPMIN wait: an idle websocket consumer then dies with "Timeout reading from ...".
    Until the settings pass a longer `socket_timeout` with the Redis host, do it here."""
    layer = settings.CHANNEL_LAYERS["default"]
    hosts = layer.get("CONFIG", {}).get("hosts", [])
    if "redis" in layer["BACKEND"].lower() and any(isinstance(h, str) for h in hosts):
        config = dict(layer["CONFIG"])
        config["hosts"] = [
            {"address": h, "socket_timeout": 30} if isinstance(h, str) else h for h in hosts
        ]
        settings.CHANNEL_LAYERS = {"default": {**layer, "CONFIG": config}}


@pytest.fixture
def asgi_server(transactional_db: Any, settings: Any) -> Iterator[AsgiServer]:
    _redis_layer_that_outlives_idle_reads(settings)
    # Each request of the server runs in a thread of its own: let Django close its
    # connection when the request ends, so none is left open on the test database.
    database = connections.settings["default"]
    max_age = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 0
    server = AsgiServer().start()
    try:
        yield server
    finally:
        server.stop()
        database["CONN_MAX_AGE"] = max_age
