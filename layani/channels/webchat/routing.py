"""The visitor socket's address; under `/ws/` like every socket, so one reverse-proxy rule
sends all websockets to the ASGI process."""

from channels.routing import URLRouter
from django.urls import path

from layani.channels.webchat.consumers import WebchatConsumer

WEBCHAT_PREFIX = "/ws/chat/"

webchat_websocket = URLRouter([path("ws/chat/<slug:key>/", WebchatConsumer.as_asgi())])
