"""`layani serve` stops its background worker with it, however it is stopped."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from layani.testing.mailservers import free_port


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stopping_the_server_stops_its_worker(tmp_path: Path, stop: signal.Signals) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "LAYANI_TESTING")
    }
    env.update(DEBUG="1", LAYANI_DATA_DIR=str(tmp_path))
    server = subprocess.Popen(
        [sys.executable, "-m", "layani", "serve", "--port", str(free_port())],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    worker = 0
    try:
        assert server.stdout is not None
        started = re.search(r"pid (\d+)", server.stdout.readline())
        assert started is not None, "no worker started"
        worker = int(started.group(1))
        time.sleep(2)  # the server is up and serving
        assert alive(worker)
        server.send_signal(stop)
        server.wait(timeout=30)
        deadline = time.monotonic() + 15
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(worker), "the worker outlived the server"
    finally:
        if server.poll() is None:
            server.kill()
        if worker and alive(worker):
            os.kill(worker, signal.SIGKILL)  # a failing run leaves no orphan behind
