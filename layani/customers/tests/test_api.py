import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layani.conversations.models import TimelineEvent
from layani.customers.actions import CustomerDetails, create_customer
from layani.customers.models import Customer
from layani.staff.models import Role
from layani.staff.tokens import issue_token, revoke_token

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


@pytest.fixture
def token(agent):
    return issue_token(agent, name="CRM sync").secret


@pytest.fixture
def api(client, token):
    def call(method, url, body=None, **headers):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}", **headers}
        if body is not None:
            kwargs["data"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(client, method)(url, **kwargs)

    return call


def make(name, **values):
    return create_customer(CustomerDetails.from_values({"full_name": name, **values}), actor=None)


def test_create_read_and_update_a_customer(api):
    response = api(
        "post",
        URL,
        {
            "full_name": "Budi Santoso",
            "phone": "0812-3456-7890",
            "membership_number": "BSN-000123",
            "tier": "gold",
            "what_matters": "Hubungi lewat WhatsApp",
            "what_matters_tags": ["wa-saja"],
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["identities"] == [
        {"kind": "phone", "value": "+6281234567890", "is_primary": True}
    ]
    assert created["standing"] == "loyal"
    assert created["member_since"] is not None

    read = api("get", f"{URL}{created['id']}").json()
    assert read["full_name"] == "Budi Santoso"

    patched = api("patch", f"{URL}{created['id']}", {"email": "budi@contoh.co.id"}).json()
    assert {i["kind"] for i in patched["identities"]} == {"phone", "email"}
    assert patched["what_matters"] == "Hubungi lewat WhatsApp"  # untouched fields stay


def test_search_by_phone_email_member_number_and_name(api):
    budi = make(
        "Budi Santoso", phone="081234567890", email="budi@contoh.co.id", membership_number="BSN-1"
    )
    make("Budiman Hartono", phone="081298765432")
    make("Siti Aminah", phone="085711112222")

    def ids(query):
        response = api("get", f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return [c["id"] for c in response.json()["items"]]

    assert ids("phone=0812-3456-7890") == [budi.pk]
    assert ids("q=%2B62%20812%203456%207890") == [budi.pk]
    assert ids("q=BUDI@contoh.co.id") == [budi.pk]
    assert ids("q=BSN-1") == [budi.pk]
    assert len(ids("q=budi")) == 2
    assert len(ids("name=aminah")) == 1
    assert ids("phone=081200000000") == []


def test_search_pages_with_a_cursor(api):
    for i in range(7):
        make(f"Sari {i}")
    first = api("get", f"{URL}?name=sari&limit=3").json()
    second = api("get", f"{URL}?name=sari&limit=3&cursor={first['next_cursor']}").json()
    third = api("get", f"{URL}?name=sari&limit=3&cursor={second['next_cursor']}").json()
    names = [c["full_name"] for page in (first, second, third) for c in page["items"]]
    assert names == [f"Sari {i}" for i in range(7)]
    assert third["next_cursor"] is None


def test_search_query_count_does_not_grow_with_results(api):
    for i in range(3):
        make(f"Wati {i}", phone=f"08123450000{i}")
    api("get", f"{URL}?name=wati")  # the token's first use is recorded once; measure after
    with CaptureQueriesContext(connection) as small:
        assert len(api("get", f"{URL}?name=wati").json()["items"]) == 3
    for i in range(3, 20):
        make(f"Wati {i}", phone=f"0812345000{i:02d}", email=f"wati{i}@contoh.id")
    with CaptureQueriesContext(connection) as large:
        assert len(api("get", f"{URL}?name=wati").json()["items"]) == 20
    assert len(large) == len(small)


def test_invalid_phone_is_a_422_naming_the_field(api):
    response = api("post", URL, {"full_name": "Andi", "phone": "12345"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_phone"
    assert list(error["fields"]) == ["phone"]
    assert not Customer.objects.exists()


def test_duplicate_identity_is_a_409_and_the_first_customer_is_untouched(api):
    first = make("Siti", phone="081234567890")
    events = TimelineEvent.objects.count()
    response = api("post", URL, {"full_name": "Andi", "phone": "+6281234567890"})
    assert response.status_code == 409
    assert response.json()["error"]["fields"] == {"phone": [response.json()["error"]["message"]]}
    assert Customer.objects.count() == 1
    assert TimelineEvent.objects.count() == events
    assert first.identities.get().value == "+6281234567890"


def test_malformed_json_unknown_fields_and_missing_name(api):
    response = api("post", URL, '{"full_name": "Andi",')
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"

    response = api("post", URL, {"full_name": "Andi", "favourite_colour": "hijau"})
    assert response.status_code == 422
    assert "favourite_colour" in response.json()["error"]["fields"]

    response = api("post", URL, {"phone": "081234567890"})
    assert response.status_code == 422
    assert "full_name" in response.json()["error"]["fields"]
    assert not Customer.objects.exists()


def test_oversize_payload_is_a_413(api):
    response = api("post", URL, {"full_name": "Andi", "what_matters": "x" * 2_000_000})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not Customer.objects.exists()


def test_unknown_customer_is_a_404_in_json(api):
    response = api("get", f"{URL}999999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "customer_not_found"


def test_no_token_revoked_token_and_kiosk_token_are_refused(client, agent, make_person):
    assert client.get(URL).status_code == 401
    assert client.get(URL, HTTP_AUTHORIZATION="Bearer lyn_nonsense").status_code == 401
    issued = issue_token(agent, name="old")
    revoke_token(issued.token)
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {issued.secret}").status_code == 401
    kiosk = issue_token(make_person(Role.KIOSK), name="kiosk").secret
    response = client.post(
        URL,
        data=json.dumps({"full_name": "X"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {kiosk}",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Customer.objects.exists()


def test_session_auth_needs_csrf_for_writes(agent):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    assert browser.get(URL + "?q=x").status_code == 200
    response = browser.post(
        URL, data=json.dumps({"full_name": "X"}), content_type="application/json"
    )
    assert response.status_code == 403
    assert not Customer.objects.exists()


def test_openapi_schema_is_served(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/customers/" in schema["paths"]
    assert schema["info"]["title"] == "Layani API"
