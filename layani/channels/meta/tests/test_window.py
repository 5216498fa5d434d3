"""The 24-hour customer-service window: the pure rule, and what the agent's reply box says."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from layani.channels.meta.window import SERVICE_WINDOW, messaging_window
from layani.channels.models import ChannelAccount
from layani.conversations.actions import receive_inbound_message
from layani.customers.actions import CustomerDetails, create_customer

NOW = datetime(2026, 11, 23, 7, 5, tzinfo=UTC)  # 14.05 WIB


def test_never_written_means_closed():
    window = messaging_window(None, NOW)
    assert not window.is_open and window.open_until is None


def test_open_until_24_hours_after_the_last_message():
    window = messaging_window(NOW - timedelta(hours=23, minutes=59), NOW)
    assert window.is_open and window.open_until == NOW + timedelta(minutes=1)
    assert not messaging_window(NOW - timedelta(hours=24), NOW).is_open


@given(st.integers(min_value=0, max_value=10 * 24 * 3600))
def test_open_exactly_while_less_than_24_hours_passed(seconds_ago):
    last = NOW - timedelta(seconds=seconds_ago)
    window = messaging_window(last, NOW)
    assert window.is_open == (timedelta(seconds=seconds_ago) < SERVICE_WINDOW)
    assert window.open_until == last + SERVICE_WINDOW


def composer(client: Client, conversation_id: int) -> str:
    html = client.get(reverse("inbox:conversation", args=[conversation_id])).content.decode()
    match = re.search(r'<p [^>]*id="messaging-window"[^>]*>(.*?)</p>', html, re.S)
    assert match, "the reply box shows no window notice"
    return match.group(0)


@pytest.mark.django_db
def test_the_reply_box_shows_until_when_the_window_is_open_in_wib(admin_user):
    customer = create_customer(
        CustomerDetails.from_values({"full_name": "Siti", "whatsapp": "081234567890"}),
        actor=None,
    )
    written = datetime.now(UTC) - timedelta(hours=1)
    conversation = receive_inbound_message(
        customer=customer, channel="whatsapp", body_text="Halo", received_at=written, actor=None
    ).conversation
    client = Client()
    client.force_login(admin_user)
    notice = composer(client, conversation.pk)
    until = (written + SERVICE_WINDOW).astimezone(ZoneInfo("Asia/Jakarta"))
    assert 'data-open="true"' in notice
    assert f"{until:%H.%M} WIB" in notice


@pytest.mark.django_db
def test_the_reply_box_names_the_template_when_the_window_is_closed(admin_user):
    ChannelAccount.objects.create(
        kind="whatsapp",
        name="WA",
        key="wa-window",
        settings={
            "templates": {"follow_up": {"name": "tindak_lanjut_cs", "language": "id"}},
            "default_template": "follow_up",
        },
    )
    customer = create_customer(
        CustomerDetails.from_values({"full_name": "Siti", "whatsapp": "081234567890"}),
        actor=None,
    )
    conversation = receive_inbound_message(
        customer=customer,
        channel="whatsapp",
        body_text="Halo",
        received_at=datetime.now(UTC) - timedelta(days=2),
        actor=None,
    ).conversation
    client = Client()
    client.force_login(admin_user)
    notice = composer(client, conversation.pk)
    assert 'data-open="false"' in notice and "tindak_lanjut_cs" in notice


@pytest.mark.django_db
def test_no_notice_for_channels_without_a_window(admin_user):
    customer = create_customer(
        CustomerDetails.from_values({"full_name": "Budi", "email": "budi@contoh.co.id"}),
        actor=None,
    )
    conversation = receive_inbound_message(
        customer=customer, channel="email", body_text="Halo", actor=None
    ).conversation
    client = Client()
    client.force_login(admin_user)
    html = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert 'id="compose-form"' in html
    notice = re.search(r'<p [^>]*id="messaging-window"[^>]*>', html)
    assert notice is not None and " hidden" in notice.group(0)


@pytest.mark.django_db
def test_the_notice_and_the_label_follow_the_channel_the_reply_goes_through(admin_user):
    customer = create_customer(
        CustomerDetails.from_values({"full_name": "Siti", "whatsapp": "081234567890"}),
        actor=None,
    )
    # Written on Instagram, but Siti can only be answered on WhatsApp (no Instagram id).
    conversation = receive_inbound_message(
        customer=customer,
        channel="instagram",
        body_text="Halo",
        received_at=datetime.now(UTC) - timedelta(hours=1),
        actor=None,
    ).conversation
    receive_inbound_message(
        customer=customer,
        channel="whatsapp",
        body_text="Halo lagi",
        received_at=datetime.now(UTC) - timedelta(days=3),
        actor=None,
    )
    client = Client()
    client.force_login(admin_user)
    html = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    options = re.findall(r'<option value="(\w+)"[^>]*>([^<]*)</option>', html)
    channels = {value: label for value, label in options if value in ("whatsapp", "instagram")}
    assert list(channels) == ["whatsapp"]
    assert "sesuai" not in channels["whatsapp"]  # not "as the customer wrote": they did not
    notice = composer(client, conversation.pk)
    # WhatsApp's rule (a template outside the window), not Instagram's.
    assert "template" in notice and "Instagram" not in notice
    assert 'data-open="false"' in notice


@pytest.mark.django_db
def test_the_notice_costs_the_same_queries_however_long_the_conversation(
    django_assert_max_num_queries,
):
    from layani.channels.meta.window import composer_notice

    customer = create_customer(
        CustomerDetails.from_values({"full_name": "Siti", "whatsapp": "081234567890"}),
        actor=None,
    )
    conversation = None
    for number in range(30):
        conversation = receive_inbound_message(
            customer=customer,
            channel="whatsapp",
            body_text=f"Pesan {number}",
            external_id=f"wamid.{number}",
            actor=None,
        ).conversation
    assert conversation is not None and conversation.messages.count() == 30
    conversation.refresh_from_db()
    with django_assert_max_num_queries(3):
        notice = composer_notice(conversation, "whatsapp")
    assert notice is not None and notice.is_open
