"""Messenger and Instagram senders arrive as bare ids: the worker asks the Graph API for
their name once and names the customer, never over a name someone gave them."""

from layani.channels.meta.tests.conftest import fixture_body, make_account, post
from layani.customers.actions import CustomerDetails, update_customer
from layani.customers.models import Customer, CustomerIdentity

SENDER = "24680135792468013"


def profile_gets(graph_api):
    return [r for r in graph_api.received if r.method == "GET" and SENDER in r.path]


def test_a_new_messenger_sender_is_named_from_their_profile_once(messenger, graph_api):
    graph_api.profiles[SENDER] = {"first_name": "Siti", "last_name": "Rahayu"}
    post(messenger, fixture_body("messenger_text.json"))
    customer = CustomerIdentity.objects.get(kind="messenger", value=SENDER).customer
    assert customer.full_name == "Siti Rahayu"
    (asked,) = profile_gets(graph_api)
    assert "fields=first_name%2Clast_name" in asked.path
    assert asked.headers["authorization"].startswith("Bearer ")
    # Later messages do not ask again: the customer has a name now.
    post(messenger, fixture_body("messenger_image.json", graph_api.base))
    assert len(profile_gets(graph_api)) == 1
    assert Customer.objects.get(pk=customer.pk).full_name == "Siti Rahayu"


def test_an_instagram_sender_without_a_name_is_named_by_username(transactional_db, graph_api):
    graph_api.profiles[SENDER] = {"username": "siti.rahayu"}
    account = make_account("instagram", graph_api)
    post(account, fixture_body("instagram_text.json"))
    customer = CustomerIdentity.objects.get(kind="instagram", value=SENDER).customer
    assert customer.full_name == "@siti.rahayu"
    assert "fields=name%2Cusername" in profile_gets(graph_api)[0].path


def test_a_page_without_the_permission_keeps_the_placeholder_and_asks_once_a_day(
    messenger, graph_api
):
    # No profile at the server: Meta answers 400 (as it does without the permission).
    post(messenger, fixture_body("messenger_text.json"))
    customer = CustomerIdentity.objects.get(kind="messenger", value=SENDER).customer
    assert customer.full_name == f"Pelanggan {SENDER}"
    post(messenger, fixture_body("messenger_image.json", graph_api.base))
    assert len(profile_gets(graph_api)) == 1


def test_a_name_someone_gave_the_customer_is_never_overwritten(messenger, graph_api, agent):
    from layani.channels.customers import customer_for_sender
    from layani.channels.events import Sender

    # The customer wrote before and an agent named them already.
    customer = customer_for_sender(Sender(kind="messenger", value=SENDER))
    update_customer(customer, CustomerDetails.from_values({"full_name": "Bu Siti"}), actor=agent)
    graph_api.profiles[SENDER] = {"first_name": "Siti", "last_name": "Rahayu"}
    post(messenger, fixture_body("messenger_text.json"))
    assert Customer.objects.get(pk=customer.pk).full_name == "Bu Siti"
    assert profile_gets(graph_api) == []
