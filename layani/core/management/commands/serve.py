"""`layani serve`: the web server (HTTP + websockets, ASGI) together with a background worker.

This is the embedded, one-machine way to run Layani. At scale run the pieces separately
(see the README): granian (WSGI) for pages and the API, uvicorn for websockets, `layani run_huey`
workers on as many machines as needed.
"""

import os
import signal
import subprocess
import sys
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server and a background worker in one command (embedded mode)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start the background worker."
        )

    def handle(self, *args: Any, host: str, port: int, no_worker: bool, **options: Any) -> None:
        worker: subprocess.Popen[bytes] | None = None
        if not no_worker:
            env = dict(os.environ)
            if not getattr(settings, "REDIS_URL", ""):
                # Embedded: the worker's realtime events reach browsers through this server.
                near = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
                env["LAYANI_REALTIME_RELAY"] = f"http://{near}:{port}/internal/realtime/"
            worker = subprocess.Popen(
                [sys.executable, "-m", "layani", "run_huey", "--quiet"], env=env
            )
            self.stdout.write(f"Background worker started (pid {worker.pid}).")

        def stop_worker(*_args: Any) -> None:
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGINT)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()

        # uvicorn handles SIGTERM itself and raises it again once it has stopped; with the
        # default handler that ends the process at once, before `finally` could stop the
        # worker (it went on running, orphaned). As an exit, the cleanup below runs.
        def exit_on_signal(signum: int, _frame: Any) -> None:
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, exit_on_signal)
        try:
            uvicorn.run(
                settings.ASGI_APPLICATION.replace(".application", ":application"),
                host=host,
                port=port,
                log_level="warning",
                proxy_headers=True,
            )
        finally:
            stop_worker()
