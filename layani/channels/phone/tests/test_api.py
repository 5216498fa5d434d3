"""The calls and callbacks API: OpenAPI-described, the project's error shape, scoped reads."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from layani.channels.phone.models import Call, CallbackRequest
from layani.channels.phone.tests.conftest import call_event
from layani.staff.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def api(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_json(client, url, payload):
    return client.post(url, data=json.dumps(payload), content_type="application/json")


def callback_payload(**extra):
    start = timezone.now() + timedelta(hours=1)
    return {
        "phone": "0812-7777-8888",
        "name": "Ahmad",
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=1)).isoformat(),
        "source": "kiosk",
        "account_key": "pbx-jkt",
        **extra,
    }


def test_a_kiosk_asks_for_a_callback_and_an_agent_records_attempts(cti, agent, make_person):
    kiosk = make_person(Role.KIOSK)
    response = post_json(api(kiosk), "/api/v1/callbacks/", callback_payload())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "+6281277778888"
    assert body["source"] == "kiosk"
    assert body["status"] == "requested"
    assert body["attempts"] == []
    url = f"/api/v1/callbacks/{body['id']}/attempts"
    answer = post_json(api(agent), url, {"outcome": "not_reached", "note": "Sibuk"})
    assert answer.status_code == 201
    assert answer.json()["status"] == "attempting"
    assert answer.json()["attempts"][0]["note"] == "Sibuk"
    listed = api(agent).get("/api/v1/callbacks/").json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]


def test_bad_callback_input_gets_field_errors(cti, agent):
    client = api(agent)
    response = post_json(client, "/api/v1/callbacks/", callback_payload(phone="1234"))
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"phone": ["Nomor telepon tidak valid: 1234"]}
    late = callback_payload()
    late["window_end"] = late["window_start"]
    response = post_json(client, "/api/v1/callbacks/", late)
    assert response.status_code == 422
    assert "window_end" in response.json()["error"]["fields"]
    response = post_json(client, "/api/v1/callbacks/", callback_payload(source="fax"))
    assert response.status_code == 422
    assert "source" in response.json()["error"]["fields"]
    response = post_json(client, "/api/v1/callbacks/", callback_payload(account_key="nope"))
    assert response.json()["error"]["fields"] == {
        "account_key": ["Tidak ada akun telepon aktif dengan kunci ini."]
    }
    assert not CallbackRequest.objects.exists()


def test_calls_are_listed_and_documented_through_the_api(
    cti, post_cti, ringing_agent, make_person, django_assert_max_num_queries
):
    for n in range(3):
        post_cti(call_event("answered", call_id=f"c-{n}"))
        post_cti(call_event("hangup", call_id=f"c-{n}"))
    client = api(ringing_agent)
    with django_assert_max_num_queries(8):
        listed = client.get("/api/v1/calls/?undocumented=true").json()
    assert len(listed["items"]) == 3
    call_id = listed["items"][0]["id"]
    bad = post_json(
        client, f"/api/v1/calls/{call_id}/documentation", {"purpose": "x", "result": ""}
    )
    assert bad.status_code == 422
    ok = post_json(
        client,
        f"/api/v1/calls/{call_id}/documentation",
        {"purpose": "routine", "result": "Update alamat"},
    )
    assert ok.status_code == 200
    assert ok.json()["documented_at"] is not None
    assert len(client.get("/api/v1/calls/?undocumented=true").json()["items"]) == 2
    stranger = api(make_person(Role.AGENT))
    assert stranger.get(f"/api/v1/calls/{call_id}").status_code == 404
    assert stranger.get("/api/v1/calls/").json()["items"] == []
    assert Call.objects.count() == 3


def test_the_openapi_schema_describes_calls_and_callbacks(agent):
    schema = api(agent).get("/api/v1/openapi.json").json()
    assert "/api/v1/callbacks/" in schema["paths"]
    assert "/api/v1/calls/{call_id}/documentation" in schema["paths"]
