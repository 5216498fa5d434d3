"""Webhook signing secrets are sealed in the database like channel credentials: a dump
shows no secret, deliveries sign with it as before, rotation and key rotation keep both."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from layani.webhooks.actions import rotate_secret
from layani.webhooks.models import WebhookEndpoint
from layani.webhooks.signing import signature_header, verify_signature

pytestmark = pytest.mark.django_db


def stored(endpoint: WebhookEndpoint) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret, previous_secret FROM webhooks_webhookendpoint WHERE id = %s",
            [endpoint.pk],
        )
        secret, previous = cursor.fetchone()
        return str(secret), str(previous)


def test_the_database_holds_no_secret_and_requests_are_signed_with_it(make_endpoint):
    issued = make_endpoint()
    secret, previous = stored(issued.endpoint)
    assert issued.secret not in secret and secret.startswith("sealed:")
    assert previous == ""
    again = WebhookEndpoint.objects.get(pk=issued.endpoint.pk)
    assert again.secret == issued.secret
    header = signature_header(again.signing_secrets(timezone.now()), b"{}", timestamp=1)
    assert verify_signature(issued.secret, header, b"{}", now=1)


def test_a_rotated_secret_keeps_the_old_one_sealed_for_the_grace_period(make_endpoint):
    first = make_endpoint()
    second = rotate_secret(first.endpoint, actor=None)
    secret, previous = stored(first.endpoint)
    assert first.secret not in previous and second.secret not in secret
    again = WebhookEndpoint.objects.get(pk=first.endpoint.pk)
    assert again.signing_secrets(timezone.now()) == [second.secret, first.secret]


def test_reseal_moves_secrets_to_the_new_key_and_seals_plain_ones(make_endpoint):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(LAYANI_SECRETS_KEYS=[old]):
        issued = make_endpoint()
        legacy = make_endpoint(name="Old CRM")
        with connection.cursor() as cursor:  # stored before secrets were sealed
            cursor.execute(
                "UPDATE webhooks_webhookendpoint SET secret = %s WHERE id = %s",
                ["whsec_plain", legacy.endpoint.pk],
            )
        assert WebhookEndpoint.objects.get(pk=legacy.endpoint.pk).secret == "whsec_plain"
    with override_settings(LAYANI_SECRETS_KEYS=[new, old]):
        out = StringIO()
        call_command("reseal_secrets", stdout=out)
        assert "2 webhook endpoints" in out.getvalue()
    assert stored(legacy.endpoint)[0].startswith("sealed:")
    with override_settings(LAYANI_SECRETS_KEYS=[new]):  # the old key can go now
        assert WebhookEndpoint.objects.get(pk=issued.endpoint.pk).secret == issued.secret
        assert WebhookEndpoint.objects.get(pk=legacy.endpoint.pk).secret == "whsec_plain"
