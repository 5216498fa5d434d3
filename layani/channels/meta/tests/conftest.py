"""Accounts of the three Meta kinds pointed at the local Graph server, and signed posts."""

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from layani.channels.models import ChannelAccount
from layani.testing.graph_api import GRAPH_TOKEN, GraphServer

APP_SECRET = "meta-app-secret"
VERIFY_TOKEN = "verify-me-please"
FIXTURES = Path(__file__).parent / "fixtures"


def fixture_body(name: str, base: str = "") -> bytes:
    return (FIXTURES / name).read_text().replace("GRAPH_BASE", base).encode()


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(
    account: ChannelAccount, body: bytes | dict[str, Any], *, signature: str | None = None
) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"X-Hub-Signature-256": sign(raw) if signature is None else signature}
    if signature == "":
        headers = {}
    return Client().post(
        f"/channels/{account.kind}/{account.key}/",
        data=raw,
        content_type="application/json",
        headers=headers,
    )


def make_account(kind: str, graph: GraphServer | None, **settings: Any) -> ChannelAccount:
    base = {
        "graph_base": graph.base if graph else "http://127.0.0.1:9",
        "graph_version": "v21.0",
        "auto_acknowledge": False,
    }
    if kind == "whatsapp":
        base["phone_number_id"] = "106540352242922"
    else:
        base["page_id"] = "112233445566"
    return ChannelAccount.objects.create(
        kind=kind,
        name=f"{kind} test",
        key=f"{kind}-test",
        settings=base | settings,
        secrets={
            "app_secret": APP_SECRET,
            "verify_token": VERIFY_TOKEN,
            "access_token": GRAPH_TOKEN,
        },
    )


@pytest.fixture
def whatsapp(transactional_db: Any, graph_api: GraphServer) -> ChannelAccount:
    return make_account("whatsapp", graph_api)


@pytest.fixture
def messenger(transactional_db: Any, graph_api: GraphServer) -> ChannelAccount:
    return make_account("messenger", graph_api)
