import pytest
from django.contrib.auth.models import User

from layani.webhooks.dispatch import emit_event
from layani.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from layani.webhooks.signing import verify_signature

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def back_office(client):
    user = User.objects.create_superuser("boss", password="rahasia-uji-123")
    client.force_login(user)
    return client


def test_an_endpoint_added_in_the_admin_shows_its_secret_once(back_office, receiver):
    response = back_office.post(
        "/admin/webhooks/webhookendpoint/add/",
        {
            "name": "CRM",
            "url": receiver.url,
            "events": '["message.created"]',
            "is_active": "on",
            "failure_limit": "3",
        },
    )
    assert response.status_code == 302, response.content
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["message.created"] and endpoint.failure_limit == 3
    change_page = f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/"
    shown = back_office.get(change_page)  # the page after saving shows the secret, once
    assert endpoint.secret in shown.content.decode()
    again = back_office.get(change_page)
    assert again.status_code == 200
    assert endpoint.secret not in again.content.decode()

    emit_event("message.created", {"message": {"id": 1}})
    [request] = receiver.received
    assert verify_signature(endpoint.secret, request.headers["X-Layani-Signature"], request.body)


def test_the_admin_refuses_a_bad_url_or_event_with_field_errors(back_office):
    response = back_office.post(
        "/admin/webhooks/webhookendpoint/add/",
        {"name": "CRM", "url": "ftp://x", "events": '["nope"]', "failure_limit": "3"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"url", "events"}
    assert not WebhookEndpoint.objects.exists()


def test_deliveries_are_listed_and_can_be_redelivered(back_office, receiver, make_endpoint):
    make_endpoint()
    emit_event("conversation.created", {"conversation": {"id": 1}})
    listed = back_office.get("/admin/webhooks/webhookdelivery/")
    assert listed.status_code == 200
    assert "conversation.created" in listed.content.decode()
    endpoints = back_office.get("/admin/webhooks/webhookendpoint/")
    assert endpoints.status_code == 200

    [delivery] = WebhookDelivery.objects.all()
    response = back_office.post(
        "/admin/webhooks/webhookdelivery/",
        {"action": "redeliver_selected", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    assert (
        WebhookDelivery.objects.filter(
            event_id=delivery.event_id, status=DeliveryStatus.DELIVERED
        ).count()
        == 2
    )
    assert len(receiver.received) == 2
