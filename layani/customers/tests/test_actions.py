import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from layani.conversations.models import EventKind, TimelineEvent
from layani.core.errors import Conflict, InvalidInput
from layani.customers.actions import CustomerDetails, create_customer, update_customer
from layani.customers.models import Customer, CustomerIdentity
from layani.testing.realtime import GroupListener

pytestmark = pytest.mark.django_db(transaction=True)


def details(**values):
    return CustomerDetails.from_values(values)


def test_create_stores_normalised_identities_and_writes_the_timeline(agent):
    listener = GroupListener("customers")
    customer = create_customer(
        details(
            full_name="Budi Santoso",
            phone="0812-3456-7890",
            email="Budi@Mail.co.id",
            what_matters="Lebih suka dihubungi lewat WhatsApp",
        ),
        actor=agent,
    )
    stored = {(i.kind, i.value) for i in customer.identities.all()}
    assert stored == {("phone", "+6281234567890"), ("email", "budi@mail.co.id")}
    assert customer.search_name == "budi santoso"
    kinds = list(TimelineEvent.objects.filter(customer=customer).values_list("kind", flat=True))
    assert kinds.count(EventKind.CUSTOMER_CREATED) == 1
    assert kinds.count(EventKind.IDENTITY_ADDED) == 2
    created = TimelineEvent.objects.get(customer=customer, kind=EventKind.CUSTOMER_CREATED)
    assert created.actor == agent
    assert listener.events() == ["customer.created"]


def test_a_new_customers_contacts_are_written_together_in_order(agent):
    # Each contact costs only its availability check: the contacts and the timeline
    # rows are one insert each, whatever their number (a first WhatsApp message creates a
    # customer on the worker's hot path).
    with CaptureQueriesContext(connection) as one:
        create_customer(details(full_name="Siti", phone="081234567890"), actor=agent)
    with CaptureQueriesContext(connection) as three:
        customer = create_customer(
            details(
                full_name="Budi",
                phone="081298765432",
                email="budi@mail.co.id",
                whatsapp="081311112222",
            ),
            actor=agent,
        )
    assert len(three) - len(one) == 2
    assert customer.identities.filter(is_primary=True).count() == 3
    events = TimelineEvent.objects.filter(customer=customer).order_by("pk")
    assert [(e.kind, e.summary) for e in events] == [
        (EventKind.IDENTITY_ADDED, "+6281298765432"),
        (EventKind.IDENTITY_ADDED, "budi@mail.co.id"),
        (EventKind.IDENTITY_ADDED, "+6281311112222"),
        (EventKind.CUSTOMER_CREATED, "Budi"),
    ]
    assert all(event.actor == agent for event in events)


def test_a_phone_that_belongs_to_someone_else_is_refused_and_nothing_is_written(agent):
    create_customer(details(full_name="Siti", phone="081234567890"), actor=agent)
    before = (Customer.objects.count(), TimelineEvent.objects.count())
    listener = GroupListener("customers")
    with pytest.raises(Conflict) as excinfo:
        create_customer(details(full_name="Andi", phone="+62 812 3456 7890"), actor=agent)
    assert excinfo.value.field == "phone"
    assert excinfo.value.code == "identity_taken"
    assert (Customer.objects.count(), TimelineEvent.objects.count()) == before
    assert listener.events() == []


def test_an_invalid_email_in_an_update_leaves_the_customer_as_it_was(agent):
    customer = create_customer(details(full_name="Rina", phone="081298765432"), actor=agent)
    with pytest.raises(InvalidInput) as excinfo:
        update_customer(customer, details(full_name="Rina Wati", email="rina@"), actor=agent)
    assert excinfo.value.field == "email"
    customer.refresh_from_db()
    assert customer.full_name == "Rina"


def test_what_matters_change_keeps_its_history_on_the_timeline(agent):
    customer = create_customer(
        details(full_name="Pak Harjo", what_matters="Lansia", what_matters_tags=["lansia"]),
        actor=agent,
    )
    update_customer(
        customer,
        details(
            what_matters="Lansia, butuh kursi roda", what_matters_tags=["Lansia", "kursi roda"]
        ),
        actor=agent,
    )
    customer.refresh_from_db()
    assert customer.what_matters_tags == ["lansia", "kursi roda"]
    assert customer.what_matters_updated_at is not None
    event = TimelineEvent.objects.get(customer=customer, kind=EventKind.WHAT_MATTERS_CHANGED)
    assert event.details["before"]["text"] == "Lansia"
    assert event.details["after"]["tags"] == ["lansia", "kursi roda"]


def test_changing_the_phone_replaces_the_old_number(agent):
    customer = create_customer(details(full_name="Dewi", phone="081211112222"), actor=agent)
    update_customer(customer, details(phone="081233334444"), actor=agent)
    assert list(customer.identities.values_list("value", flat=True)) == ["+6281233334444"]
    kinds = set(TimelineEvent.objects.filter(customer=customer).values_list("kind", flat=True))
    assert {EventKind.IDENTITY_REMOVED, EventKind.IDENTITY_ADDED} <= kinds
    # The freed number can now be someone else's.
    create_customer(details(full_name="Eko", phone="081211112222"), actor=agent)


def test_a_rolled_back_update_publishes_nothing(agent):
    customer = create_customer(details(full_name="Tono"), actor=agent)
    listener = GroupListener("customers")
    with pytest.raises(RuntimeError), transaction.atomic():
        update_customer(customer, details(full_name="Tono Baru"), actor=agent)
        raise RuntimeError("caller failed after the action")
    customer.refresh_from_db()
    assert customer.full_name == "Tono"
    assert listener.events() == []
    assert not TimelineEvent.objects.filter(kind=EventKind.CUSTOMER_UPDATED).exists()


def test_a_prospect_cannot_carry_a_membership_number(agent):
    with pytest.raises(InvalidInput) as excinfo:
        create_customer(
            details(full_name="Calon", status="prospect", membership_number="M-1"), actor=agent
        )
    assert excinfo.value.field == "membership_number"
    assert not CustomerIdentity.objects.exists()


def test_a_new_or_renamed_customer_is_found_by_the_search_box_at_once():
    from layani.search.queries import search_customers

    def found(text):
        return [hit.customer.pk for hit in search_customers(text, base=Customer.objects.all())]

    customer = create_customer(
        CustomerDetails.from_values({"full_name": "Ratna Kumalasari", "phone": "0812 7777 1234"}),
        actor=None,
    )
    assert found("ratna") == [customer.pk]
    assert found("081277771234") == [customer.pk]
    update_customer(
        customer, CustomerDetails.from_values({"full_name": "Ratna Wijaya"}), actor=None
    )
    assert found("wijaya") == [customer.pk]
    assert found("kumalasari") == []
