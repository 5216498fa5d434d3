import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from layani.core.events import publish_all_now
from layani.core.realtime import EventsConsumer
from layani.customers.actions import CustomerDetails, create_customer, update_customer
from layani.staff.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def connect(user):
    communicator = WebsocketCommunicator(EventsConsumer.as_asgi(), "/ws/events/")
    communicator.scope["user"] = user
    return communicator


def test_a_signed_in_agent_hears_customer_changes_after_commit(agent):
    customer = create_customer(CustomerDetails.from_values({"full_name": "Yanti"}), actor=agent)

    async def scenario():
        communicator = connect(agent)
        connected, _ = await communicator.connect()
        assert connected
        from channels.db import database_sync_to_async

        await database_sync_to_async(update_customer)(
            customer, CustomerDetails.from_values({"full_name": "Yanti Lestari"}), actor=agent
        )
        message = await communicator.receive_json_from(timeout=2)
        await communicator.disconnect()
        return message

    message = async_to_sync(scenario)()
    assert message == {"event": "customer.updated", "payload": {"id": customer.pk}}


def test_anonymous_sockets_are_closed():
    async def scenario():
        communicator = connect(AnonymousUser())
        connected, code = await communicator.connect()
        return connected, code

    assert async_to_sync(scenario)() == (False, 4401)


def test_a_kiosk_does_not_hear_customer_files(make_person, branch):
    kiosk = make_person(Role.KIOSK, branches=[branch])
    groups = EventsConsumer._groups_for(kiosk)
    assert "customers" not in groups and "inbox" not in groups
    assert f"branch-{branch.pk}" in groups


def test_a_batch_of_events_for_one_group_reaches_the_browser_as_one_frame_each(agent):
    # `publish_all_now` sends a group's events in one `layani.events` message; the socket
    # must hand them to the browser one by one, in order, as if each had come alone.
    group = f"user-{agent.pk}"
    events = [
        (group, "message.created", {"id": 1}),
        (group, "message.created", {"id": 2}),
        (group, "conversation.updated", {"id": 3}),
    ]

    async def scenario():
        communicator = connect(agent)
        connected, _ = await communicator.connect()
        assert connected
        from channels.db import database_sync_to_async

        await database_sync_to_async(publish_all_now)(events)
        frames = [await communicator.receive_json_from(timeout=2) for _ in events]
        nothing_more = await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return frames, nothing_more

    frames, nothing_more = async_to_sync(scenario)()
    assert frames == [{"event": kind, "payload": payload} for _group, kind, payload in events]
    assert nothing_more
