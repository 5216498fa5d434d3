"""Realtime events of the background worker, in embedded mode, relayed through the server.

Embedded (no Redis), websockets are served by `layani serve`'s one process and its channel
layer lives in that process's memory; the background worker is another process, so what it
published (a WhatsApp message processed, a call ringing for an agent, a reply for a web
chat visitor) reached no browser. `layani serve` tells its worker where it listens
(`LAYANI_REALTIME_RELAY`); the worker then posts its events there and the server hands them
to its own layer. Best effort like every realtime send: a lost event is not data lost (the
pages read the database), so a failure is logged, never raised.
"""

import hmac
import json
import logging
import urllib.request
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.crypto import salted_hmac
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger(__name__)

HEADER = "X-Layani-Relay"
TIMEOUT = 2.0


def relay_token() -> str:
    return salted_hmac("layani.core.relay", "realtime", algorithm="sha256").hexdigest()


def relay_url() -> str:
    return str(getattr(settings, "LAYANI_REALTIME_RELAY", "") or "")


def relay(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Post (group, message) pairs to the server this worker was started with."""
    request = urllib.request.Request(
        relay_url(),
        data=json.dumps(messages).encode(),
        headers={"Content-Type": "application/json", HEADER: relay_token()},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            answer.read()
    except Exception:
        logger.warning("realtime events not relayed to the server", exc_info=True)


@csrf_exempt
async def receive(request: HttpRequest) -> HttpResponseBase:
    """The server's end: hand the worker's events to this process's channel layer."""
    from channels.layers import get_channel_layer

    given = request.headers.get(HEADER, "")
    if request.method != "POST" or not hmac.compare_digest(given, relay_token()):
        return HttpResponse(status=404)
    layer = get_channel_layer()
    try:
        messages = json.loads(request.body)
        pairs = [(str(group), dict(message)) for group, message in messages]
    except (ValueError, TypeError):
        return HttpResponse(status=400)
    if layer is not None:
        for group, message in pairs:
            await layer.group_send(group, message)
    return HttpResponse(status=204)
