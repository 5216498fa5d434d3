"""ASGI entry point: HTTP through Django, websockets through Channels.

Staff sockets (`/ws/events/`, `/ws/display/...`) accept only this site's hosts and know
the signed-in user. The web chat visitor socket (`/ws/chat/<key>/`) is opened by pages of
businesses' own sites: it checks the account's allowed origins itself.
"""

import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layani.config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from layani.channels.webchat.routing import WEBCHAT_PREFIX, webchat_websocket  # noqa: E402
from layani.core.realtime import websocket_urlpatterns  # noqa: E402

staff_websocket = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))


async def websocket(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope.get("path", "").startswith(WEBCHAT_PREFIX):
        await webchat_websocket(scope, receive, send)
    else:
        await staff_websocket(scope, receive, send)


application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket})
