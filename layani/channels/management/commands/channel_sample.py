"""Post a provider-shaped, correctly signed request to a channel account of a running
Layani, as WhatsApp, Messenger, Telegram or a phone system would: to try a channel end to
end without the provider (the demo accounts answer at /channels/<kind>/demo-<kind>/).

    layani channel_sample whatsapp --text "Kartu ATM saya tertelan" --sender 081234567890
    layani channel_sample cti --event ringing --call-id c-1 --sender 081234567890 --extension 201
"""

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
from django.core.management.base import BaseCommand, CommandError

from layani.channels.models import ChannelAccount

KINDS = ("whatsapp", "messenger", "instagram", "telegram", "cti")


def whatsapp_body(sender: str, name: str, text: str) -> dict[str, Any]:
    wa_id = sender.lstrip("+")
    if wa_id.startswith("0"):
        wa_id = "62" + wa_id[1:]
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "100000000000000",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "6281100001500"},
                            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": f"wamid.sample.{uuid.uuid4().hex}",
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def messaging_body(kind: str, sender: str, text: str) -> dict[str, Any]:
    return {
        "object": "page" if kind == "messenger" else "instagram",
        "entry": [
            {
                "id": "100000000000002",
                "time": int(time.time() * 1000),
                "messaging": [
                    {
                        "sender": {"id": sender},
                        "recipient": {"id": "100000000000002"},
                        "timestamp": int(time.time() * 1000),
                        "message": {"mid": f"m_sample_{uuid.uuid4().hex}", "text": text},
                    }
                ],
            }
        ],
    }


def telegram_body(sender: str, name: str, text: str) -> dict[str, Any]:
    first, _, last = name.partition(" ")
    user = {"id": int(sender), "is_bot": False, "first_name": first, "last_name": last}
    return {
        "update_id": int(time.time() * 1000) % 2_000_000_000,
        "message": {
            "message_id": int(time.time()) % 1_000_000,
            "from": user,
            "chat": {**user, "type": "private"},
            "date": int(time.time()),
            "text": text,
        },
    }


class Command(BaseCommand):
    help = "Post a signed sample request to a channel account of a running Layani."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("--key", help="the account's webhook key (default: demo-<kind>)")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Layani's address")
        parser.add_argument("--text", default="Halo, kartu ATM saya tertelan di mesin.")
        parser.add_argument("--sender", default="081234567890", help="phone, or chat/user id")
        parser.add_argument("--name", default="Ratna Wijaya")
        parser.add_argument("--event", default="ringing", help="cti: new/ringing/answered/hangup")
        parser.add_argument("--call-id", default="", help="cti: the call's id")
        parser.add_argument("--extension", default="201", help="cti: the agent's extension")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        key = options["key"] or ("demo-pbx" if kind == "cti" else f"demo-{kind}")
        account = ChannelAccount.objects.filter(kind=kind, key=key).first()
        if account is None:
            raise CommandError(f"No {kind} account with the key {key!r} (run layani seed?).")
        headers = {"Content-Type": "application/json"}
        if kind == "whatsapp":
            body = whatsapp_body(options["sender"], options["name"], options["text"])
        elif kind in ("messenger", "instagram"):
            body = messaging_body(kind, options["sender"], options["text"])
        elif kind == "telegram":
            if not options["sender"].isdigit():
                raise CommandError("A Telegram sender is a numeric chat id, e.g. 123456789.")
            body = telegram_body(options["sender"], options["name"], options["text"])
            headers["X-Telegram-Bot-Api-Secret-Token"] = account.secret("webhook_secret")
        else:
            body = {
                "event": options["event"],
                "call_id": options["call_id"] or f"sample-{uuid.uuid4().hex[:12]}",
                "direction": "inbound",
                "caller": options["sender"],
                "callee": "0215001500",
                "extension": options["extension"],
            }
            headers["Authorization"] = f"Bearer {account.secret('token')}"
        raw = json.dumps(body).encode()
        if kind in ("whatsapp", "messenger", "instagram"):
            digest = hmac.new(account.secret("app_secret").encode(), raw, hashlib.sha256)
            headers["X-Hub-Signature-256"] = "sha256=" + digest.hexdigest()
        address = f"{options['url'].rstrip('/')}/channels/{kind}/{key}/"
        try:
            response = httpx.post(address, content=raw, headers=headers, timeout=10)
        except httpx.HTTPError as exc:
            raise CommandError(f"{address}: {exc}") from exc
        self.stdout.write(f"{response.status_code} {response.text[:300]}")
        if response.status_code >= 400:
            raise CommandError(f"{address} answered {response.status_code}")
