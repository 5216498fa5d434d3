import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from layani.channels.email.listener import IntakeController


class Command(BaseCommand):
    help = "Receive inbound mail by SMTP (or LMTP) and store it before answering 250."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)
        parser.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")

    def handle(self, *args: Any, **options: Any) -> None:
        controller = IntakeController(
            host=options["host"], port=options["port"], lmtp=options["lmtp"]
        )
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        controller.start()
        protocol = "LMTP" if options["lmtp"] else "SMTP"
        self.stdout.write(f"Receiving mail by {protocol} on {options['host']}:{options['port']}")
        try:
            stop.wait()
        finally:
            controller.stop()
