"""The widget's socket for tests, through the real ASGI application (Channels stack, the
configured channel layer)."""

from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from layani.channels.webchat.tests.conftest import SITE
from layani.config.asgi import application


class ChatSocket(WebsocketCommunicator):
    """The widget's socket: once open, it says hello with its token (never in the URL)."""

    def __init__(self, token: str, origin: str, key: str) -> None:
        super().__init__(application, f"/ws/chat/{key}/", headers=[(b"origin", origin.encode())])
        self.token = token

    async def connect(self, timeout: float = 1) -> Any:
        connected, code = await super().connect(timeout)
        if connected:
            await self.send_json_to({"type": "hello", "token": self.token, "lang": "en"})
        return connected, code


def socket(token: str = "", origin: str = SITE, key: str = "toko-chat") -> WebsocketCommunicator:
    return ChatSocket(token, origin, key)


async def receive_until(ws: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    for _ in range(10):
        message = await ws.receive_json_from(timeout=5)
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind} message")


@database_sync_to_async
def db(function: Any, *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)
