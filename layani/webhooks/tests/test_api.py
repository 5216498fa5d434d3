import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layani.staff.models import Role
from layani.staff.tokens import issue_token
from layani.webhooks.dispatch import emit_event
from layani.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from layani.webhooks.signing import verify_signature

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/webhooks/"


def caller(client, user):
    token = issue_token(user, name="integration").secret

    def call(method, url, body=None):
        # An English-speaking integration: the error texts asserted below are the English ones.
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_LANGUAGE": "en"}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(client, method)(url, **kwargs)

    return call


@pytest.fixture
def api(client, admin_user):
    return caller(client, admin_user)


@pytest.fixture
def created(api, receiver):
    response = api(
        "post", URL, {"name": "CRM", "url": receiver.url, "events": ["conversation.created"]}
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_create_returns_the_secret_once_and_events_are_signed_with_it(api, created, receiver):
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["conversation.created"]
    assert created["is_active"] is True
    assert created["failure_limit"] == 5

    read = api("get", f"{URL}{created['id']}").json()
    assert "secret" not in read
    listed = api("get", URL).json()
    assert [e["id"] for e in listed["items"]] == [created["id"]]
    assert "secret" not in listed["items"][0]

    emit_event("conversation.created", {"conversation": {"id": 1}})
    [request] = receiver.received
    assert verify_signature(created["secret"], request.headers["X-Layani-Signature"], request.body)


def test_update_changes_only_what_is_sent(api, created):
    response = api(
        "patch", f"{URL}{created['id']}", {"events": ["*"], "is_active": False, "failure_limit": 0}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["events"] == ["*"]
    assert body["is_active"] is False
    assert body["disabled_at"] is not None
    assert body["failure_limit"] == 0
    assert body["name"] == "CRM"

    response = api("patch", f"{URL}{created['id']}", {"url": "https://crm.contoh.co.id/hook"})
    assert response.json()["url"] == "https://crm.contoh.co.id/hook"
    assert response.json()["is_active"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "url": "ftp://contoh.co.id/x", "events": ["*"]}, "url"),
        ({"name": "X", "url": "crm.contoh.co.id", "events": ["*"]}, "url"),
        ({"name": "X", "url": "https://contoh.co.id", "events": ["ticket.created"]}, "events"),
        ({"name": "X", "url": "https://contoh.co.id", "events": []}, "events"),
        ({"name": "", "url": "https://contoh.co.id", "events": ["*"]}, "name"),
        ({"name": "   ", "url": "https://contoh.co.id", "events": ["*"]}, "name"),
        ({"url": "https://contoh.co.id", "events": ["*"]}, "name"),
        ({"name": "X", "url": "https://contoh.co.id", "events": ["*"], "failure_limit": -1}, None),
        ({"name": "X", "url": "https://contoh.co.id", "events": ["*"], "secret": "mine"}, "secret"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api, body, field):
    response = api("post", URL, body)
    assert response.status_code == 422, response.content
    fields = response.json()["error"]["fields"]
    assert list(fields) == [field or "failure_limit"]
    assert not WebhookEndpoint.objects.exists()


def test_bad_update_is_a_422_and_changes_nothing(api, created):
    url = f"{URL}{created['id']}"
    assert api("patch", url, {"url": "javascript:alert(1)"}).json()["error"]["fields"] == {
        "url": ["Enter a full http:// or https:// address."]
    }
    assert api("patch", url, {"is_active": None}).status_code == 422
    assert api("patch", url, {}).json()["error"]["code"] == "empty_update"
    assert api("get", url).json()["url"] == created["url"]


def test_rotate_gives_a_new_secret_once(api, created, receiver):
    response = api("post", f"{URL}{created['id']}/rotate-secret")
    assert response.status_code == 200
    rotated = response.json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    assert rotated["secret_rotated_at"] is not None
    emit_event("conversation.created", {"conversation": {"id": 1}})
    [request] = receiver.received
    assert verify_signature(rotated["secret"], request.headers["X-Layani-Signature"], request.body)


def test_delete_removes_the_endpoint_and_its_log(api, created):
    emit_event("conversation.created", {"conversation": {"id": 1}})
    assert api("delete", f"{URL}{created['id']}").status_code == 204
    assert api("get", f"{URL}{created['id']}").status_code == 404
    assert not WebhookDelivery.objects.exists()


def test_deliveries_are_listed_newest_first_in_pages(api, created):
    for i in range(5):
        emit_event("conversation.created", {"conversation": {"id": i}})
    url = f"{URL}{created['id']}/deliveries"
    first = api("get", f"{url}?limit=2").json()
    second = api("get", f"{url}?limit=2&cursor={first['next_cursor']}").json()
    third = api("get", f"{url}?limit=2&cursor={second['next_cursor']}").json()
    ids = [d["id"] for page in (first, second, third) for d in page["items"]]
    assert ids == sorted(WebhookDelivery.objects.values_list("id", flat=True), reverse=True)
    assert third["next_cursor"] is None
    assert first["items"][0]["status"] == DeliveryStatus.DELIVERED

    one = api("get", f"{url}/{ids[-1]}").json()
    assert one["payload"] == {"conversation": {"id": 0}}
    assert api("get", f"{url}?limit=0").status_code == 422
    assert api("get", f"{url}?cursor=nonsense").status_code == 422


def test_listing_deliveries_does_not_query_more_with_more_rows(api, created):
    url = f"{URL}{created['id']}/deliveries"
    emit_event("conversation.created", {"conversation": {"id": 0}})
    api("get", url)  # the token's first use is recorded once; measure after
    with CaptureQueriesContext(connection) as few:
        assert len(api("get", url).json()["items"]) == 1
    for i in range(10):
        emit_event("conversation.created", {"conversation": {"id": i}})
    with CaptureQueriesContext(connection) as many:
        assert len(api("get", url).json()["items"]) == 11
    assert len(many) == len(few)


def test_redeliver_sends_the_same_event_again(api, created, receiver):
    emit_event("conversation.created", {"conversation": {"id": 1}})
    [delivery] = WebhookDelivery.objects.all()
    response = api("post", f"{URL}{created['id']}/deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 202, response.content
    again = response.json()
    assert again["id"] != delivery.pk
    assert again["event_id"] == str(delivery.event_id)
    first, second = receiver.received
    assert first.body == second.body
    assert WebhookDelivery.objects.get(pk=again["id"]).status == DeliveryStatus.DELIVERED


def test_a_pending_delivery_cannot_be_redelivered(api, created, receiver):
    receiver.answer(500)
    emit_event("conversation.created", {"conversation": {"id": 1}})
    [delivery] = WebhookDelivery.objects.all()
    response = api("post", f"{URL}{created['id']}/deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 409
    assert WebhookDelivery.objects.count() == 1


def test_a_delivery_of_another_endpoint_is_not_found(api, created, receiver):
    other = api("post", URL, {"name": "B", "url": receiver.url, "events": ["*"]}).json()
    emit_event("conversation.updated", {"conversation": {"id": 1}})
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.endpoint_id == other["id"]
    url = f"{URL}{created['id']}/deliveries/{delivery.pk}"
    assert api("get", url).status_code == 404
    assert api("post", f"{url}/redeliver").status_code == 404


def test_ping_reaches_the_endpoint(api, created, receiver):
    response = api("post", f"{URL}{created['id']}/ping")
    assert response.status_code == 202
    [request] = receiver.received
    assert request.headers["X-Layani-Event"] == "ping"
    assert json.loads(request.body)["data"] == {"endpoint": {"id": created["id"]}}


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.BRANCH_STAFF])
def test_only_admins_manage_webhooks(client, make_person, created, role):
    api = caller(client, make_person(role))
    endpoint = f"{URL}{created['id']}"
    attempts = [
        api("get", URL),
        api("post", URL, {"name": "X", "url": "https://contoh.co.id", "events": ["*"]}),
        api("get", endpoint),
        api("patch", endpoint, {"is_active": False}),
        api("delete", endpoint),
        api("post", f"{endpoint}/rotate-secret"),
        api("post", f"{endpoint}/ping"),
        api("get", f"{endpoint}/deliveries"),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert attempts[0].json()["error"]["code"] == "permission_denied"
    [endpoint_row] = WebhookEndpoint.objects.all()
    assert endpoint_row.is_active and endpoint_row.name == "CRM"
    assert not WebhookDelivery.objects.exists()


def test_anonymous_callers_are_refused(client):
    assert client.get(URL).status_code == 401
