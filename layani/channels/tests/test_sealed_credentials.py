"""Channel credentials are sealed in the database: a dump shows no token, the application
reads them as before, keys rotate without losing anything, a lost key fails loudly."""

import re
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from layani.channels.models import ChannelAccount
from layani.core.sealed import UnreadableSecret

pytestmark = pytest.mark.django_db

TOKEN = "EAAG-very-secret-access-token"


def stored(account: ChannelAccount) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT secrets FROM {ChannelAccount._meta.db_table} WHERE id = %s", [account.pk]
        )
        return str(cursor.fetchone()[0])


def make() -> ChannelAccount:
    return ChannelAccount.objects.create(
        kind="whatsapp", name="WA", secrets={"access_token": TOKEN, "app_secret": "s3"}
    )


def test_the_database_holds_no_token_and_the_application_reads_it():
    account = make()
    assert TOKEN not in stored(account) and stored(account).startswith("sealed:")
    again = ChannelAccount.objects.get(pk=account.pk)
    assert again.secret("access_token") == TOKEN
    assert again.secrets == {"access_token": TOKEN, "app_secret": "s3"}


def test_a_rotated_key_still_opens_old_values_and_reseal_moves_them_to_the_new_key():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(LAYANI_SECRETS_KEYS=[old]):
        account = make()
        sealed_with_old = stored(account)
    with override_settings(LAYANI_SECRETS_KEYS=[new, old]):
        assert ChannelAccount.objects.get(pk=account.pk).secret("access_token") == TOKEN
        out = StringIO()
        call_command("reseal_secrets", stdout=out)
        assert "1 channel accounts" in out.getvalue()
        assert stored(account) != sealed_with_old
    with override_settings(LAYANI_SECRETS_KEYS=[new]):  # the old key can go now
        assert ChannelAccount.objects.get(pk=account.pk).secret("access_token") == TOKEN


def test_a_lost_key_fails_loudly_instead_of_reading_nothing():
    with override_settings(LAYANI_SECRETS_KEYS=[Fernet.generate_key().decode()]):
        account = make()
    other_key = [Fernet.generate_key().decode()]
    with (
        override_settings(LAYANI_SECRETS_KEYS=other_key),
        pytest.raises(UnreadableSecret, match="LAYANI_SECRETS_KEYS"),
    ):
        ChannelAccount.objects.get(pk=account.pk)


def test_credentials_stored_before_sealing_are_read_and_sealed_on_the_next_save():
    account = make()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ChannelAccount._meta.db_table} SET secrets = %s WHERE id = %s",
            ['{"access_token": "legacy-token"}', account.pk],
        )
    legacy = ChannelAccount.objects.get(pk=account.pk)
    assert legacy.secret("access_token") == "legacy-token"
    call_command("reseal_secrets", stdout=StringIO())
    assert "legacy-token" not in stored(account)
    assert ChannelAccount.objects.get(pk=account.pk).secret("access_token") == "legacy-token"


def test_an_admin_edits_the_credentials_as_json(client):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("boss", password="rahasia-uji-123"))
    admin_client = client
    account = make()
    page = admin_client.get(
        f"/admin/layani_channels/channelaccount/{account.pk}/change/", HTTP_ACCEPT_LANGUAGE="id"
    )
    assert page.status_code == 200
    assert "access_token" in page.content.decode()
    label = re.search(r'<label[^>]*for="id_secrets"[^>]*>([^<]*)<', page.content.decode())
    assert label is not None and label.group(1).strip().rstrip(":") == "Kredensial"
    response = admin_client.post(
        f"/admin/layani_channels/channelaccount/{account.pk}/change/",
        {
            "kind": "whatsapp",
            "name": "WA",
            "key": account.key,
            "is_active": "on",
            "settings": '{"phone_number_id": "106540352242922"}',
            "secrets": '{"access_token": "rotated-token", "app_secret": "a", "verify_token": "v"}',
            "created_at_0": "2026-11-23",
            "created_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ChannelAccount.objects.get(pk=account.pk).secret("access_token") == "rotated-token"
    assert "rotated-token" not in stored(account)
