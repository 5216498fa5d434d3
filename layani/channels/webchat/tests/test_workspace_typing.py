"""The agent's conversation page wires typing for web chat only."""

import pytest
from django.urls import reverse

from layani.conversations.actions import receive_inbound_message
from layani.customers.models import Customer
from layani.staff.models import Role

pytestmark = pytest.mark.django_db


def test_only_a_web_chat_conversation_sends_the_agents_typing(client, make_person):
    agent = make_person(Role.ADMIN)
    client.force_login(agent)
    customer = Customer.objects.create(full_name="Pengunjung situs")
    chat = receive_inbound_message(
        customer=customer, channel="webchat", body_text="Halo?", actor=None
    ).conversation
    mail = receive_inbound_message(
        customer=customer, channel="email", body_text="Halo?", actor=None
    ).conversation
    typing_url = reverse("channels:webchat:agent_typing", args=[chat.pk])
    chat_page = client.get(reverse("inbox:conversation", args=[chat.pk])).content.decode()
    mail_page = client.get(reverse("inbox:conversation", args=[mail.pk])).content.decode()
    assert f'data-typing-url="{typing_url}"' in chat_page
    assert "data-typing-url" not in mail_page
    assert client.post(typing_url).status_code == 204
