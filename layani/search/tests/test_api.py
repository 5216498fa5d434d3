import pytest

from layani.customers.actions import CustomerDetails, create_customer
from layani.search.indexing import index_customer
from layani.staff.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/search"


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def test_search_returns_conversations_and_customers(
    signed_in, make_person, conversation_with, branch
):
    refund = conversation_with("Dana saya blm dikembalikan", subject="Pertanyaan", branch=branch)
    budi = create_customer(CustomerDetails.from_values({"full_name": "Dana Kusuma"}), actor=None)
    index_customer(budi)
    client = signed_in(make_person(Role.ADMIN))
    response = client.get(URL, {"q": "pengembalian dana"})
    assert response.status_code == 200, response.content
    body = response.json()
    (match,) = body["conversations"]
    assert match["id"] == refund.pk
    assert match["reference"] == f"L-{refund.pk}"
    assert match["matched_in"] == "message"
    assert match["snippet"] == "Dana saya blm dikembalikan"
    assert [match["snippet"][s:e] for s, e in match["highlights"]] == ["Dana", "dikembalikan"]
    assert body["customers"] == []  # "kembali" is not in the customer's name
    assert body["next_cursor"] is None
    body = client.get(URL, {"q": "dana"}).json()
    assert [c["id"] for c in body["customers"]] == [budi.pk]
    assert [c["id"] for c in body["conversations"]] == [refund.pk]


def test_filters_combine_with_the_text(signed_in, make_person, conversation_with, branch):
    whatsapp = conversation_with("Kartu tertelan", channel="whatsapp", branch=branch)
    email = conversation_with("Kartu tertelan", channel="email", purpose="complaint")
    client = signed_in(make_person(Role.ADMIN))

    def ids(**params):
        response = client.get(URL, {"q": "tertelan", **params})
        assert response.status_code == 200, response.content
        return [c["id"] for c in response.json()["conversations"]]

    assert ids() == [email.pk, whatsapp.pk]
    assert ids(channel="whatsapp") == [whatsapp.pk]
    assert ids(purpose="complaint") == [email.pk]
    assert ids(branch=branch.pk) == [whatsapp.pk]
    assert ids(status="closed") == []
    assert ids(priority=2) == [email.pk, whatsapp.pk]


def test_pages_carry_customers_on_the_first_only(signed_in, make_person, conversation_with):
    for i in range(3):
        conversation_with(f"Kartu tertelan {i}")
    client = signed_in(make_person(Role.ADMIN))
    first = client.get(URL, {"q": "tertelan", "limit": 2}).json()
    assert len(first["conversations"]) == 2
    second = client.get(URL, {"q": "tertelan", "limit": 2, "cursor": first["next_cursor"]})
    assert second.status_code == 200
    assert len(second.json()["conversations"]) == 1
    assert second.json()["customers"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "kartu " * 40}, "q"),
        ({"q": "kartu", "channel": "merpati"}, "channel"),
        ({"q": "kartu", "cursor": "zzz"}, "cursor"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(signed_in, make_person, params, field):
    client = signed_in(make_person(Role.ADMIN))
    response = client.get(URL, params)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]


def test_scope_holds_through_the_api(
    signed_in, make_person, conversation_with, branch, other_branch
):
    mine = conversation_with("Kartu tertelan", branch=branch)
    conversation_with("Kartu tertelan", branch=other_branch)
    client = signed_in(make_person(Role.BRANCH_STAFF, branches=[branch]))
    body = client.get(URL, {"q": "tertelan"}).json()
    assert [c["id"] for c in body["conversations"]] == [mine.pk]


def test_a_kiosk_may_not_search(signed_in, make_person, conversation_with):
    conversation_with("Kartu tertelan")
    client = signed_in(make_person(Role.KIOSK))
    response = client.get(URL, {"q": "tertelan"})
    assert response.status_code in (401, 403)


def test_anonymous_callers_are_turned_away(client):
    assert client.get(URL, {"q": "kartu"}).status_code == 401
