from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from layani.conversations.actions import (
    CannedReplyDetails,
    assign,
    create_canned_reply,
    delete_canned_reply,
    start_conversation,
    update_canned_reply,
)
from layani.conversations.canned import fill_placeholders, render_canned_reply
from layani.conversations.models import CannedReply, Conversation
from layani.conversations.queries import canned_replies_for
from layani.core.errors import Conflict, InvalidInput, PermissionDenied
from layani.staff.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(make_person, branch):
    return make_person(Role.SUPERVISOR, branches=[branch], name="Bu Supervisor")


def make_reply(actor, **values):
    values.setdefault("title", "Salam")
    values.setdefault("body", "Halo {nama_pelanggan}")
    return create_canned_reply(CannedReplyDetails.of(**values), actor=actor)


def test_supervisors_manage_canned_replies_agents_only_use_them(supervisor, agent_x, team_x):
    reply = make_reply(supervisor, title="Kartu hilang", shortcut="Kartu Hilang", team=team_x)
    assert reply.shortcut == "kartu-hilang"
    update_canned_reply(reply, CannedReplyDetails.of(language="en"), actor=supervisor)
    assert CannedReply.objects.get(pk=reply.pk).language == "en"
    for attempt in (
        lambda: make_reply(agent_x),
        lambda: update_canned_reply(reply, CannedReplyDetails.of(title="x"), actor=agent_x),
        lambda: delete_canned_reply(reply, actor=agent_x),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert CannedReply.objects.get(pk=reply.pk).title == "Kartu hilang"
    delete_canned_reply(reply, actor=supervisor)
    assert not CannedReply.objects.exists()


def test_bad_canned_replies_are_refused(supervisor):
    with pytest.raises(InvalidInput) as caught:
        make_reply(supervisor, title=" ")
    assert caught.value.field == "title"
    with pytest.raises(InvalidInput) as caught:
        make_reply(supervisor, language="fr")
    assert caught.value.field == "language"
    make_reply(supervisor, shortcut="salam")
    with pytest.raises(Conflict):
        make_reply(supervisor, shortcut="salam")
    assert CannedReply.objects.count() == 1


def test_agents_see_replies_for_everyone_and_for_their_teams(supervisor, agent_x, team_x, team_y):
    everyone = make_reply(supervisor, title="Umum")
    mine = make_reply(supervisor, title="Tim X", team=team_x)
    make_reply(supervisor, title="Tim Y", team=team_y)
    make_reply(supervisor, title="Lama", is_active=False)
    assert list(canned_replies_for(agent_x)) == [mine, everyone]
    assert canned_replies_for(supervisor).count() == 3


def test_placeholders_in_both_languages_and_the_branch_zone(customer, agent_x, branch, supervisor):
    conversation = start_conversation(
        customer=customer, channel="whatsapp", branch=branch, actor=None
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        due_at=datetime(2030, 11, 23, 2, 30, tzinfo=UTC)
    )
    conversation.refresh_from_db()
    assign(conversation, assignee=agent_x.staff, actor=None)
    reply = make_reply(
        supervisor,
        body=(
            "Halo {nama_pelanggan}, tiket {nomor_tiket} dijawab paling lambat {perkiraan_waktu}. "
            "Salam, {nama_agen}. / Dear {customer_name}, {ticket_number} by {expected_time}, "
            "{agent_name}. {tidak_dikenal} {} {{x}} {nama_pelanggan"
        ),
    )
    text = render_canned_reply(reply, conversation)
    ref = f"L-{conversation.pk}"
    assert text == (
        f"Halo Wulan Sari, tiket {ref} dijawab paling lambat 23/11/2030 09.30 WIB. "
        f"Salam, Sari Agen. / Dear Wulan Sari, {ref} by 23/11/2030 09.30 WIB, "
        "Sari Agen. {tidak_dikenal} {} {{x}} {nama_pelanggan"
    )


def test_a_due_time_already_passed_is_never_promised(customer, branch, supervisor):
    """Overdue: the reply promises the time an answer is due from now, not the past."""
    conversation = start_conversation(
        customer=customer, channel="whatsapp", branch=branch, actor=None
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        due_at=timezone.now() - timedelta(days=36)
    )
    conversation.refresh_from_db()
    reply = make_reply(supervisor, body="paling lambat {perkiraan_waktu}")
    before = timezone.now().astimezone(ZoneInfo(branch.timezone)).replace(second=0, microsecond=0)
    text = render_canned_reply(reply, conversation)
    promised = datetime.strptime(text, "paling lambat %d/%m/%Y %H.%M WIB").replace(
        tzinfo=ZoneInfo(branch.timezone)
    )
    assert promised >= before


def test_filling_never_crashes_on_odd_text():
    values = {"customer_name": "Wulan"}
    assert fill_placeholders("{0} {customer_name} {agent_name} %s {", values) == (
        "{0} Wulan {agent_name} %s {"
    )


def test_the_back_office_adds_canned_replies_and_lists_conversations(client, customer, team_x):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("boss", password="rahasia-uji-123"))
    response = client.post(
        "/admin/conversations/cannedreply/add/",
        {
            "title": "Kartu hilang",
            "body": "Halo {nama_pelanggan}, kartu Anda sudah kami blokir.",
            "language": "id",
            "team": team_x.pk,
            "shortcut": "kartu-hilang",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content
    assert CannedReply.objects.get().team == team_x
    start_conversation(customer=customer, channel="email", actor=None)
    for page in (
        "/admin/conversations/conversation/",
        "/admin/conversations/cannedreply/",
        "/admin/conversations/tag/",
    ):
        assert client.get(page).status_code == 200, page
