import json

import pytest

from layani.branches.models import Visit, VisitStatus
from layani.feedback.models import SurveyResponse
from layani.staff.models import Role
from layani.staff.tokens import issue_token

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def call(client):
    def send(token, method, url, body=None):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(client, method)(f"/api/v1{url}", **kwargs)

    return send


@pytest.fixture
def kiosk_token(make_person, branch):
    return issue_token(make_person(Role.KIOSK, branches=[branch]), name="kiosk").secret


def test_a_morning_through_the_api(call, kiosk_token, branch, service, clerk_at):
    user, counter = clerk_at(1, [service])
    clerk = issue_token(user, name="clerk").secret
    response = call(
        kiosk_token,
        "post",
        f"/branches/{branch.pk}/check-in",
        {"service_id": service.pk, "phone": "0812 3456 7890", "note": "ganti kartu"},
    )
    assert response.status_code == 201, response.content
    ticket = response.json()
    assert ticket["visit"]["ticket_number"] == "B001"
    assert ticket["position"] == 1
    assert ticket["visit"]["status_url"].endswith(f"/q/v/{Visit.objects.get().public_token}/")

    called = call(clerk, "post", f"/counters/{counter.pk}/call-next")
    assert called.status_code == 200
    visit_id = called.json()["id"]
    assert called.json()["counter_id"] == counter.pk
    assert call(clerk, "post", f"/visits/{visit_id}/start").status_code == 200
    finished = call(clerk, "post", f"/visits/{visit_id}/finish", {"outcome_note": "Selesai"})
    assert finished.json()["status"] == VisitStatus.DONE
    rated = call(kiosk_token, "post", f"/visits/{visit_id}/feedback", {"rating": 5})
    assert rated.status_code == 201
    assert SurveyResponse.objects.get().staff == user.staff

    queue = call(clerk, "get", f"/branches/{branch.pk}/queue").json()
    assert queue["served"] == 1 and queue["waiting"] == 0
    assert queue["counters"][0]["counter"]["name"] == "Loket 1"


def test_queue_errors_are_clear_4xx(call, kiosk_token, branch, other_branch, service, clerk_at):
    user, counter = clerk_at(1, [service])
    clerk = issue_token(user, name="clerk").secret

    unknown = call(kiosk_token, "post", f"/branches/{branch.pk}/check-in", {"service_id": 999})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_service"

    elsewhere = call(
        kiosk_token, "post", f"/branches/{other_branch.pk}/check-in", {"service_id": service.pk}
    )
    assert elsewhere.status_code == 404

    empty = call(clerk, "post", f"/counters/{counter.pk}/call-next")
    assert empty.status_code == 409
    assert empty.json()["error"]["code"] == "queue_empty"

    call(kiosk_token, "post", f"/branches/{branch.pk}/check-in", {"service_id": service.pk})
    visit_id = call(clerk, "post", f"/counters/{counter.pk}/call-next").json()["id"]
    again = call(
        clerk, "post", f"/counters/{counter.pk}/call", {"visit_id": visit_id, "reason": "x"}
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] in {"counter_busy", "already_called"}

    call(clerk, "post", f"/visits/{visit_id}/no-show")
    assert call(clerk, "post", f"/counters/{counter.pk}/close").status_code == 200
    closed = call(clerk, "post", f"/counters/{counter.pk}/call-next")
    assert closed.status_code == 409
    assert closed.json()["error"]["code"] == "counter_closed"

    bad_rating = call(kiosk_token, "post", f"/visits/{visit_id}/feedback", {"rating": 9})
    assert bad_rating.status_code == 422
    assert "rating" in bad_rating.json()["error"]["fields"]

    kiosk_calls = call(kiosk_token, "post", f"/counters/{counter.pk}/call-next")
    assert kiosk_calls.status_code == 403


def test_the_schema_documents_the_queue(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/branches/{branch_id}/check-in",
        "/api/v1/branches/{branch_id}/remote-join",
        "/api/v1/branches/{branch_id}/appointments",
        "/api/v1/counters/{counter_id}/call-next",
        "/api/v1/visits/{visit_id}/transfer",
        "/api/v1/visits/{visit_id}/feedback",
        "/api/v1/branches/{branch_id}/queue",
    ):
        assert path in paths
