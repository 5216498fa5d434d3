"""Every call is documented: the agent's note lands in the timeline and the conversation, and
supervisors see the answered calls nobody documented, scoped to their branches."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from layani.channels.models import ChannelAccount
from layani.channels.phone.models import Call, CallOutcome, CallState
from layani.channels.phone.tests.conftest import call_event
from layani.conversations.models import Direction, EventKind, TimelineEvent
from layani.staff.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def answered_call(post_cti, call_id="c-1", **extra):
    post_cti(call_event("answered", call_id=call_id, **extra))
    post_cti(call_event("hangup", call_id=call_id, **extra))
    return Call.objects.get(call_id=call_id)


def test_the_agent_documents_a_call_with_purpose_and_result(
    cti, post_cti, ringing_agent, known_customer
):
    call = answered_call(post_cti)
    client = Client()
    client.force_login(ringing_agent)
    page = client.get(f"/channels/calls/{call.pk}/note/")
    assert page.status_code == 200
    response = client.post(
        f"/channels/calls/{call.pk}/note/",
        {"purpose": "complaint", "result": "Kartu tertelan di ATM; blokir dan kartu baru"},
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.is_documented
    assert call.purpose == "complaint"
    assert call.documented_by == ringing_agent.staff
    event = TimelineEvent.objects.filter(kind=EventKind.CALL, details__documented=True).get()
    assert event.customer == known_customer
    assert "Kartu tertelan" in event.summary
    note = call.conversation.messages.get(direction=Direction.NOTE)
    assert "Kartu tertelan" in note.body_text


def test_a_note_without_result_is_refused_with_a_field_error_in_indonesian(
    cti, post_cti, ringing_agent
):
    call = answered_call(post_cti)
    client = Client()
    client.force_login(ringing_agent)
    response = client.post(f"/channels/calls/{call.pk}/note/", {"purpose": "routine", "result": ""})
    assert response.status_code == 422
    assert "Kolom ini wajib diisi." in response.content.decode()
    call.refresh_from_db()
    assert not call.is_documented


def test_a_call_still_going_on_cannot_be_documented_yet(cti, post_cti, ringing_agent):
    post_cti(call_event("answered"))
    call = Call.objects.get()
    client = Client()
    client.force_login(ringing_agent)
    response = client.post(
        f"/channels/calls/{call.pk}/note/", {"purpose": "routine", "result": "x"}
    )
    assert response.status_code == 422
    assert not Call.objects.get().is_documented


def test_supervisors_see_undocumented_calls_of_their_branch_only(
    cti, post_cti, ringing_agent, branch, other_branch, make_person, django_assert_max_num_queries
):
    cti.branch = branch
    cti.save()
    other = ChannelAccount.objects.create(
        kind="cti", name="PBX Makassar", key="pbx-mks", secrets={"token": "t"}, branch=other_branch
    )
    mine = [answered_call(post_cti, call_id=f"c-{n}") for n in range(3)]
    documented = mine[0]
    Call.objects.filter(pk=documented.pk).update(documented_at=timezone.now())
    Call.objects.create(
        account=other,
        call_id="far",
        state=CallState.ENDED,
        outcome=CallOutcome.ANSWERED,
        ended_at=timezone.now() - timedelta(minutes=1),
    )
    supervisor = make_person(Role.SUPERVISOR, branches=[branch])
    client = Client()
    client.force_login(supervisor)
    with django_assert_max_num_queries(12):
        response = client.get("/channels/calls/undocumented/")
    assert response.status_code == 200
    html = response.content.decode()
    shown = {int(pk) for pk in __import__("re").findall(r'data-call="(\d+)"', html)}
    assert shown == {mine[1].pk, mine[2].pk}


def test_the_undocumented_list_is_for_supervisors(cti, ringing_agent):
    client = Client()
    client.force_login(ringing_agent)
    assert client.get("/channels/calls/undocumented/").status_code == 403
