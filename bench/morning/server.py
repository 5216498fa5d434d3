"""The server under test: uvicorn serving the ASGI application and one Huey worker, as
subprocesses, and the errors they logged."""

import http.client
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .environment import ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """uvicorn serving the ASGI application, and one background worker, as subprocesses."""

    def __init__(self, env: dict[str, str], data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**env, "LAYANI_PUBLIC_URL": self.url}
        self.log_path = data_dir / "server.log"
        self.worker_log_path = data_dir / "worker.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._worker_log = open(self.worker_log_path, "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "layani.config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--timeout-keep-alive",
                "600",
            ],
            env=env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "layani", "run_huey", "--quiet"],
            env=env,
            cwd=ROOT,
            stdout=self._worker_log,
            stderr=subprocess.STDOUT,
        )

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {self.log_path.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not become healthy")

    def stop(self) -> None:
        for process, sig in ((self.worker, signal.SIGINT), (self.process, signal.SIGTERM)):
            if process.poll() is None:
                process.send_signal(sig)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        self._log.close()
        self._worker_log.close()

    def errors_logged(self) -> list[str]:
        """Server errors and worker task failures (Django and Huey log both)."""
        lines = []
        for path in (self.log_path, self.worker_log_path):
            text = path.read_text(errors="replace")
            lines += [
                f"{path.name}: {line}"
                for line in text.splitlines()
                if "Traceback" in line or "Internal Server Error" in line or "ERROR" in line
            ]
        return lines
