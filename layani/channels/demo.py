"""Channel accounts of the demo business, one per kind, at predictable addresses.

Every account that would reach a provider sends through the outbox instead
(`send_through_outbox`): the demo shows what would have gone out and never writes to a real
customer. Inbound works for real: post a provider-shaped request to the account's address
(`layani channel_sample <kind>` does that, signed as the provider would).
"""

from django.db import transaction

from layani.channels.models import AccountKind, ChannelAccount
from layani.staff.models import Team

# Demo credentials: public on purpose, like the demo passwords.
DEMO_ACCOUNTS: list[dict[str, object]] = [
    {
        "kind": AccountKind.EMAIL,
        "key": "demo-email",
        "name": "cs@banksentosa.co.id",
        "settings": {
            "address": "cs@banksentosa.co.id",
            "display_name": "Bank Sentosa Nusantara",
            "send_through_outbox": True,
        },
        "secrets": {},
    },
    {
        "kind": AccountKind.WHATSAPP,
        "key": "demo-whatsapp",
        "name": "WhatsApp 0811-0000-1500",
        "settings": {"phone_number_id": "100000000000001", "send_through_outbox": True},
        "secrets": {"app_secret": "demo-app-secret", "verify_token": "demo-verify-token"},
    },
    {
        "kind": AccountKind.MESSENGER,
        "key": "demo-messenger",
        "name": "Facebook Bank Sentosa",
        "settings": {"page_id": "100000000000002", "send_through_outbox": True},
        "secrets": {"app_secret": "demo-app-secret", "verify_token": "demo-verify-token"},
    },
    {
        "kind": AccountKind.INSTAGRAM,
        "key": "demo-instagram",
        "name": "@banksentosa",
        "settings": {"ig_user_id": "100000000000003", "send_through_outbox": True},
        "secrets": {"app_secret": "demo-app-secret", "verify_token": "demo-verify-token"},
    },
    {
        "kind": AccountKind.TELEGRAM,
        "key": "demo-telegram",
        "name": "@BankSentosaBot",
        "settings": {"send_through_outbox": True},
        "secrets": {"webhook_secret": "demo-telegram-secret", "bot_token": "demo:token"},
    },
    {
        "kind": AccountKind.CTI,
        "key": "demo-pbx",
        "name": "PBX kantor pusat",
        "settings": {},
        "secrets": {"token": "demo-cti-token"},
    },
    {
        "kind": AccountKind.TWILIO,
        "key": "demo-twilio",
        "name": "Twilio +62 21 5000 1500",
        "settings": {},
        "secrets": {"auth_token": "demo-twilio-token"},
    },
    {
        "kind": AccountKind.WEBCHAT,
        "key": "demo-webchat",
        "name": "Chat di banksentosa.co.id",
        "settings": {
            "allowed_origins": ["http://127.0.0.1:8000", "http://localhost:8000"],
            "title": "Bank Sentosa",
        },
        "secrets": {},
    },
]


def seed_channel_accounts(team: Team | None = None) -> list[ChannelAccount]:
    """Create the demo accounts that do not exist yet (by key); returns them all."""
    accounts = []
    with transaction.atomic():
        for spec in DEMO_ACCOUNTS:
            account, _created = ChannelAccount.objects.get_or_create(
                key=spec["key"],
                defaults={
                    "kind": spec["kind"],
                    "name": spec["name"],
                    "settings": spec["settings"],
                    "secrets": spec["secrets"],
                    "team": team,
                },
            )
            accounts.append(account)
    return accounts
