"""The screen pop reaches the ringing agent (and nobody else) before they answer, and shows
the customer's file with what matters first; an unknown number offers "create customer"."""

import pytest
from django.test import Client

from layani.channels.phone.calls import user_group
from layani.channels.phone.models import Call
from layani.channels.phone.tests.conftest import call_event
from layani.conversations.notify import staff_group
from layani.customers.models import CustomerIdentity
from layani.staff.models import Role
from layani.testing.realtime import GroupListener

pytestmark = pytest.mark.django_db(transaction=True)


def test_ringing_pops_on_the_agents_own_group_only(
    cti, post_cti, ringing_agent, known_customer, make_person
):
    colleague = make_person(Role.AGENT)
    mine = GroupListener(user_group(ringing_agent.pk))
    theirs = GroupListener(user_group(colleague.pk))
    supervisors_view = GroupListener(staff_group(ringing_agent.staff.pk))
    post_cti(call_event("ringing"))
    message = mine.receive(timeout=1.0)
    assert message is not None
    assert message["event"] == "call.ringing"
    call = Call.objects.get()
    assert message["payload"] == {
        "call": call.pk,
        "number": "+6281234567890",
        "customer_id": known_customer.pk,
        "direction": "inbound",
    }
    assert theirs.events() == []
    assert "call.ringing" not in supervisors_view.events()


def test_the_pop_pops_once_not_again_on_answer_or_repeat(cti, post_cti, ringing_agent):
    listener = GroupListener(user_group(ringing_agent.pk))
    post_cti(call_event("new"))
    post_cti(call_event("ringing"))
    post_cti(call_event("answered"))
    post_cti(call_event("hangup"))
    assert listener.events().count("call.ringing") == 1


def test_a_call_with_no_agent_for_its_extension_pops_for_nobody(cti, post_cti, agent):
    listener = GroupListener(user_group(agent.pk))
    post_cti(call_event("ringing", extension="999"))
    assert listener.events() == []
    assert Call.objects.get().agent is None


def test_the_pop_shows_what_matters_first_and_open_conversations(
    cti, post_cti, ringing_agent, known_customer, django_assert_max_num_queries
):
    post_cti(call_event("ringing"))
    call = Call.objects.get()
    client = Client()
    client.force_login(ringing_agent)
    with django_assert_max_num_queries(14):
        response = client.get(f"/channels/calls/{call.pk}/pop/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Budi Santoso" in html
    assert html.index("hearing aid, speak slowly") < html.index("screen-pop-foot")
    assert f'data-customer="{known_customer.pk}"' in html
    assert f"/channels/calls/{call.pk}/note/" in html


def test_an_unknown_number_offers_create_customer_with_the_number(cti, post_cti, ringing_agent):
    post_cti(call_event("ringing", caller="0857-1111-2222"))
    call = Call.objects.get()
    client = Client()
    client.force_login(ringing_agent)
    html = client.get(f"/channels/calls/{call.pk}/pop/").content.decode()
    assert "+6285711112222" in html
    assert f"/channels/calls/{call.pk}/new-customer/" in html
    form = client.get(f"/channels/calls/{call.pk}/new-customer/")
    assert "+6285711112222" in form.content.decode()
    bad = client.post(f"/channels/calls/{call.pk}/new-customer/", {"full_name": ""})
    assert bad.status_code == 422
    response = client.post(f"/channels/calls/{call.pk}/new-customer/", {"full_name": "Rina Wati"})
    assert response.status_code == 302
    identity = CustomerIdentity.objects.get(value="+6285711112222")
    assert identity.customer.full_name == "Rina Wati"
    call.refresh_from_db()
    assert call.customer == identity.customer


def test_another_agent_cannot_open_someone_elses_pop(cti, post_cti, ringing_agent, make_person):
    post_cti(call_event("ringing"))
    other = make_person(Role.AGENT)
    client = Client()
    client.force_login(other)
    assert client.get(f"/channels/calls/{Call.objects.get().pk}/pop/").status_code == 404


def test_the_workspace_loads_the_screen_pop_script(ringing_agent):
    client = Client()
    client.force_login(ringing_agent)
    html = client.get("/inbox/").content.decode()
    assert "phone/screen-pop.js" in html
    assert 'name="layani-screen-pop" content="/channels/calls/0/pop/"' in html
