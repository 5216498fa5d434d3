"""One event loop per process for publishing to Redis from synchronous code.

`async_to_sync(layer.group_send)` outside an ASGI server (a background worker, a management
command) starts a new event loop, and channels_redis a new connection, for every publish:
about 10 ms each, twice per processed message. Here a daemon thread keeps one loop, and the
layer its connections, for the life of the process. The in-memory layer is not sent here:
it only reaches consumers on the server's own loop.
"""

import asyncio
import os
import threading
from collections.abc import Coroutine
from typing import Any

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_pid: int | None = None

SEND_TIMEOUT = 10.0


def _running_loop() -> asyncio.AbstractEventLoop:
    global _loop, _pid
    with _lock:
        if _loop is None or _pid != os.getpid() or not _loop.is_running():
            loop = asyncio.new_event_loop()
            started = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(started.set)
                loop.run_forever()

            threading.Thread(target=run, name="layani-publisher", daemon=True).start()
            started.wait(5)
            _loop, _pid = loop, os.getpid()
        return _loop


def run_on_publisher(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run `coroutine` on the process's publishing loop and wait for its result."""
    future = asyncio.run_coroutine_threadsafe(coroutine, _running_loop())
    return future.result(SEND_TIMEOUT)
