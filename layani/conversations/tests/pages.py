"""What the workspace page tests share: writing as a customer, reading the rendered pages.
Assertions use ids, data attributes and the data itself, never translated text."""

import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from layani.conversations.actions import receive_inbound_message
from layani.conversations.models import Conversation
from layani.customers.actions import CustomerDetails, create_customer

HTMX = {"HTTP_HX_REQUEST": "true"}
ROW = r'<li class="inbox-row[^"]*" '


# --- Helpers -----------------------------------------------------------------------------------


def write(customer, text="Halo, saya mau tanya", channel="whatsapp", **kwargs):
    return receive_inbound_message(
        customer=customer, channel=channel, body_text=text, actor=None, **kwargs
    ).conversation


_emails = iter(range(1_000_000))


def person(make_person, name, *, email=None, whatsapp=None):
    values = {"full_name": name}
    if email:
        values["email"] = f"{next(_emails)}.{email}"
    if whatsapp:
        values["whatsapp"] = whatsapp
    return create_customer(CustomerDetails.from_values(values), actor=None)


def due_in(conversation, minutes):
    Conversation.objects.filter(pk=conversation.pk).update(
        due_at=timezone.now() + timedelta(minutes=minutes)
    )


def html_of(response):
    return response.content.decode()


def inbox_url(**params):
    url = reverse("inbox:inbox")
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def conversation_url(conversation, name="conversation"):
    return reverse(f"inbox:{name}", args=[conversation.pk])


def row_ids(html):
    return [
        int(i) for i in re.findall(r'<li class="inbox-row[^"]*" data-conversation="(\d+)"', html)
    ]


def row_tag(html, conversation):
    found = re.search(
        rf'<li class="inbox-row[^"]*" data-conversation="{conversation.pk}"[^>]*>', html
    )
    assert found is not None, f"no row for {conversation.pk}"
    return found.group(0)


def row_html(html, conversation):
    found = re.search(
        rf'<li class="inbox-row[^"]*" data-conversation="{conversation.pk}".*?</li>', html, re.S
    )
    assert found is not None
    return found.group(0)


def section(html, element_id):
    found = re.search(rf'<(section|aside)[^>]* id="{element_id}".*?</\1>', html, re.S)
    assert found is not None, f"no #{element_id}"
    return found.group(0)


def textarea_value(html, element_id):
    found = re.search(rf'<textarea[^>]*id="{element_id}"[^>]*>(.*?)</textarea>', html, re.S)
    assert found is not None
    return found.group(1)


def form_errors(html):
    return re.findall(r'class="form-error" role="alert" data-form="(\w+)" data-field="(\w+)"', html)


def count_queries(client, url):
    """Queries one page costs, signed in as the client's user."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)
