"""An admin cannot save a channel account that could not work: what each kind needs is
named, in Indonesian, before anything is stored."""

import json

import pytest
from django.contrib.auth.models import User

from layani.channels.configuration import problems
from layani.channels.demo import DEMO_ACCOUNTS
from layani.channels.models import ChannelAccount

META = {"app_secret": "a", "verify_token": "v", "access_token": "t"}


@pytest.mark.parametrize(
    ("kind", "settings", "secrets", "expected"),
    [
        ("whatsapp", {"phone_number_id": "1"}, META, []),
        ("whatsapp", {}, META, [("settings", "phone_number_id")]),
        ("whatsapp", {"phone_number_id": "1"}, {"app_secret": "a"}, [("secrets", "verify_token")]),
        ("whatsapp", {"phone_number_id": "1", "send_through_outbox": True},
         {"app_secret": "a", "verify_token": "v"}, []),  # the outbox needs no token
        ("messenger", {"page_id": "1"}, {"app_secret": "a", "verify_token": "v"},
         [("secrets", "access_token")]),
        ("telegram", {}, {"bot_token": "1:x"}, [("secrets", "webhook_secret")]),
        ("cti", {}, {}, [("secrets", "token")]),
        ("twilio", {}, {"auth_token": "x"}, []),
        ("webchat", {"allowed_origins": "https://toko.example"}, {},
         [("settings", "allowed_origins")]),
        ("email", {"address": "cs@toko.example", "imap_host": "imap.toko.example",
                   "smtp_host": "smtp.toko.example"}, {}, [("secrets", "imap_password")]),
        ("email", {"address": "cs@toko.example", "imap_host": "imap.toko.example"},
         {"imap_password": "x"}, [("settings", "smtp_host")]),
        ("email", {"address": "cs"}, {}, [("settings", "address")]),
        ("whatsapp", ["not", "an", "object"], META, [("settings", "JSON")]),
        ("whatsapp", {"phone_number_id": "1"}, {"app_secret": 5}, [("secrets", "JSON")]),
    ],
)  # fmt: skip
def test_what_each_kind_needs(kind, settings, secrets, expected):
    found = problems(kind, settings, secrets)
    assert [field for field, _message in found] == [field for field, _word in expected]
    for (_field, message), (_f, word) in zip(found, expected, strict=True):
        assert word in message


def test_every_demo_account_is_complete():
    for account in DEMO_ACCOUNTS:
        assert problems(str(account["kind"]), account["settings"], account["secrets"]) == []


@pytest.mark.django_db
def test_the_admin_names_what_is_missing_in_indonesian_and_stores_nothing(client):
    client.force_login(User.objects.create_superuser("boss", password="rahasia-uji-123"))
    response = client.post(
        "/admin/layani_channels/channelaccount/add/",
        {
            "kind": "whatsapp",
            "name": "WhatsApp CS",
            "key": "wa-cs",
            "is_active": "on",
            "settings": json.dumps({"phone_number_id": "106540352242922"}),
            "secrets": json.dumps({"access_token": "EAAG"}),
        },
    )
    assert response.status_code == 200
    assert (
        "Belum diisi untuk jenis akun ini: app_secret, verify_token." in response.content.decode()
    )
    assert not ChannelAccount.objects.exists()
    complete = {"access_token": "EAAG", "app_secret": "a", "verify_token": "v"}
    saved = client.post(
        "/admin/layani_channels/channelaccount/add/",
        {
            "kind": "whatsapp",
            "name": "WhatsApp CS",
            "key": "wa-cs",
            "is_active": "on",
            "settings": json.dumps({"phone_number_id": "106540352242922"}),
            "secrets": json.dumps(complete),
        },
    )
    assert saved.status_code == 302
    account = ChannelAccount.objects.get()
    page = client.get(f"/admin/layani_channels/channelaccount/{account.pk}/change/")
    assert "/channels/whatsapp/wa-cs/" in page.content.decode()
