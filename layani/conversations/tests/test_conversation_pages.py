"""One conversation through the Django test client: the thread, replies, notes, canned
replies, assignment, status, purpose and priority, tags, merge, visit links, the customer
panel, and query counts that do not grow with the data."""

import json
import re

import pytest
from django.urls import reverse

from layani.branches.actions import check_in_visit
from layani.conversations.actions import (
    add_note,
    assign,
    change_tags,
    reply,
)
from layani.conversations.models import (
    CannedReply,
    ConversationRead,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    EventKind,
    Mention,
    Message,
    OutboxMessage,
    TimelineEvent,
)
from layani.conversations.tests.pages import (
    HTMX,
    conversation_url,
    count_queries,
    form_errors,
    html_of,
    section,
    textarea_value,
    write,
)
from layani.feedback.models import SurveyResponse
from layani.staff.models import Role

pytestmark = pytest.mark.django_db


# --- Conversation view -------------------------------------------------------------------------


def test_conversation_view_shows_the_thread_in_time_order_and_marks_it_read(signed_in, sari, story):
    assert not ConversationRead.objects.filter(staff=sari.staff, conversation=story).exists()
    response = signed_in.get(conversation_url(story))
    assert response.status_code == 200
    html = html_of(response)
    thread = section(html, "thread")

    messages = list(Message.objects.filter(conversation=story).order_by("created_at", "id"))
    assert [int(i) for i in re.findall(r'data-message="(\d+)"', thread)] == [m.pk for m in messages]
    assert [d for d in re.findall(r'data-direction="(\w+)"', thread)] == [
        "in",
        "out",
        "note",
        "in",
    ]
    assert "msg-note" in thread and "Cek mutasi di core banking" in thread
    events = re.findall(r'data-event="(\w+)"', thread)
    assert EventKind.ASSIGNED in events and EventKind.STATUS_CHANGED in events
    assert 'data-delivery="sent"' in thread  # the outbox sent the reply
    # Status changes read in time order: the reply opened it, the agent set it waiting, the
    # customer's message opened it again.
    assert ConversationRead.objects.filter(staff=sari.staff, conversation=story).exists()


def test_reply_goes_through_the_customers_channel_and_the_outbox_records_it(
    signed_in, story, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            conversation_url(story, "compose"),
            {"mode": "reply", "channel": "whatsapp", "body_text": "Dana sudah kami kembalikan."},
            **HTMX,
        )
    assert response.status_code == 200
    html = html_of(response)
    assert textarea_value(html, "compose-body") == ""  # the box is empty again
    assert (
        'id="thread" class="card thread" aria-labelledby="thread-title" hx-swap-oob="true"' in html
    )
    sent = Message.objects.filter(conversation=story, direction=Direction.OUTBOUND).latest("id")
    assert sent.body_text == "Dana sudah kami kembalikan."
    assert f'data-message="{sent.pk}"' in html
    outbox = OutboxMessage.objects.get(message=sent)
    assert outbox.channel == "whatsapp" and outbox.recipient == "+6281234567890"


def test_reply_through_another_of_the_customers_channels(
    signed_in, story, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(
            conversation_url(story, "compose"),
            {
                "mode": "reply",
                "channel": "email",
                "body_text": "Rinciannya kami kirim lewat email.",
            },
            **HTMX,
        )
    outbox = OutboxMessage.objects.latest("id")
    assert outbox.channel == "email" and outbox.recipient == "wulan@contoh.co.id"


def test_a_reply_that_cannot_go_keeps_the_typed_text_and_shows_why(signed_in, story):
    typed = "Mohon ditunggu ya Bu,\nkami proses hari ini."
    before = Message.objects.count()
    response = signed_in.post(
        conversation_url(story, "compose"),
        {"mode": "reply", "channel": "telegram", "body_text": typed},
        **HTMX,
    )
    assert response.status_code == 422
    html = html_of(response)
    assert ("compose", "channel") in form_errors(html)
    assert textarea_value(html, "compose-body") == typed.replace("\n", "\n")
    assert "hx-swap-oob" not in html  # only the reply box comes back
    assert Message.objects.count() == before

    empty = signed_in.post(
        conversation_url(story, "compose"), {"mode": "reply", "body_text": "  "}, **HTMX
    )
    assert empty.status_code == 422
    assert ("compose", "body_text") in form_errors(html_of(empty))


def test_plain_form_posts_work_without_javascript(signed_in, story):
    response = signed_in.post(
        conversation_url(story, "compose"),
        {"mode": "note", "body_text": "Nasabah prioritas, tolong cepat"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(conversation_url(story) + "#composer")
    failed = signed_in.post(
        conversation_url(story, "purpose"), {"purpose": "complaint", "reason": ""}
    )
    assert failed.status_code == 422
    assert 'id="thread"' in html_of(failed)  # the whole page, with the error in place
    assert ("purpose", "reason") in form_errors(html_of(failed))


def test_internal_note_with_a_mention_notifies_the_colleague(signed_in, story, agent_in, team_x):
    budi = agent_in(team_x, name="Budi Agen")
    response = signed_in.post(
        conversation_url(story, "compose"),
        {"mode": "note", "body_text": f"@{budi.username} tolong cek ya"},
        **HTMX,
    )
    assert response.status_code == 200
    note = Message.objects.filter(conversation=story, direction=Direction.NOTE).latest("id")
    assert Mention.objects.filter(staff=budi.staff, message=note).exists()
    assert not OutboxMessage.objects.filter(message=note).exists()
    thread = section(html_of(response), "thread")
    assert f'<span class="mention">@{budi.username}</span>' in thread
    assert 'value="note" id="mode-note" checked' in html_of(response)  # stays in note mode


def test_a_note_says_who_was_not_notified_because_they_cannot_see_it(
    signed_in, story, agent_in, team_y
):
    outsider = agent_in(team_y, name="Yudi Agen")
    response = signed_in.post(
        conversation_url(story, "compose"),
        {"mode": "note", "body_text": f"@{outsider.username} tolong cek ya"},
        **HTMX,
    )
    assert response.status_code == 200
    assert not Mention.objects.exists()
    thread = section(html_of(response), "thread")
    assert f"Tidak diberi tahu: @{outsider.username} tidak dapat melihat" in thread


def _mentionable(html):
    found = re.search(r'<script id="mentionable-data" type="application/json">(.*?)</script>', html)
    assert found is not None
    return json.loads(found.group(1))


def test_mention_picker_says_who_cannot_see_the_conversation(
    signed_in, story, agent_in, team_x, team_y, make_person, branch
):
    """Sari's note box suggests her team mate first; a colleague of another team comes
    after, marked: a mention would not reach them. Whoever is added, the page costs the same
    number of queries."""
    budi = agent_in(team_x, name="Budi Agen")
    yudi = agent_in(team_y, name="Yudi Agen")
    page = html_of(signed_in.get(conversation_url(story)))
    assert _mentionable(page) == [
        {"username": budi.username, "name": "Budi Agen", "can_see": True},
        {"username": yudi.username, "name": "Yudi Agen", "can_see": False},
    ]
    assert 'data-cannot-see="tidak dapat melihat percakapan ini' in page
    before = count_queries(signed_in, conversation_url(story))
    for i in range(3):
        agent_in(team_y, name=f"Agen Y{i}")
        make_person(Role.SUPERVISOR, branches=[branch], name=f"Penyelia {i}")
        make_person(Role.ADMIN, name=f"Admin {i}")
    assert count_queries(signed_in, conversation_url(story)) == before
    seen = {
        p["name"]: p["can_see"]
        for p in _mentionable(html_of(signed_in.get(conversation_url(story))))
    }
    assert seen["Admin 0"] is True and seen["Agen Y0"] is False and seen["Penyelia 0"] is False


def test_canned_reply_picker_inserts_the_filled_text(signed_in, sari, story, team_x, team_y):
    mine = CannedReply.objects.create(
        title="Dana kembali",
        body="Halo {nama_pelanggan}, dana tiket {nomor_tiket} sudah kembali. Salam, {nama_agen}",
        team=team_x,
    )
    other_team = CannedReply.objects.create(title="Lain", body="x", team=team_y)
    page = html_of(signed_in.get(conversation_url(story)))
    assert f'<option value="{mine.pk}">' in page
    assert f'<option value="{other_team.pk}">' not in page

    response = signed_in.get(reverse("inbox:canned", args=[story.pk, mine.pk]))
    assert response.status_code == 200
    assert response.content.decode() == (
        f"Halo Wulan Sari, dana tiket L-{story.pk} sudah kembali. Salam, Sari Agen"
    )
    assert signed_in.get(reverse("inbox:canned", args=[story.pk, other_team.pk])).status_code == 404


def test_assign_to_me_then_to_a_team_and_resolve(signed_in, sari, story, team_y):
    response = signed_in.post(conversation_url(story, "assign"), {"to": "me"}, **HTMX)
    assert response.status_code == 200
    story.refresh_from_db()
    assert story.assignee == sari.staff
    assert f'data-assignee="{sari.staff.pk}"' in html_of(response)
    assert 'id="assign-me"' not in html_of(response)  # already mine

    resolved = signed_in.post(conversation_url(story, "status"), {"status": "resolved"}, **HTMX)
    story.refresh_from_db()
    assert story.status == ConversationStatus.RESOLVED
    assert 'data-status="resolved"' in html_of(resolved)
    assert 'id="status-open"' in html_of(resolved)  # it can be reopened

    # Handed to another team, it leaves Sari's scope: the page goes back to the inbox.
    handed = signed_in.post(
        conversation_url(story, "assign"), {"to": f"team-{team_y.pk}", "reason": "Keluhan"}, **HTMX
    )
    assert handed["HX-Redirect"] == reverse("inbox:inbox")
    story.refresh_from_db()
    assert story.team == team_y and story.assignee is None
    event = TimelineEvent.objects.filter(conversation=story, kind=EventKind.ASSIGNED).latest("id")
    assert event.details["reason"] == "Keluhan" and event.actor == sari


def test_assign_to_me_never_takes_it_from_someone_the_page_did_not_show(
    signed_in, sari, story, agent_in, team_x
):
    """Two agents press "assign to me" on the same unassigned conversation: the second
    is told who took it, and it stays theirs; taking over someone the page showed works."""
    page = html_of(signed_in.get(conversation_url(story)))
    assert re.search(r'name="holder" value=""', page)  # the page showed nobody holding it
    budi = agent_in(team_x, name="Budi Cepat")
    assign(story, assignee=budi.staff, actor=budi)  # quicker, in another browser
    response = signed_in.post(conversation_url(story, "assign"), {"to": "me", "holder": ""}, **HTMX)
    assert response.status_code == 409
    assert ("assign", "to") in form_errors(html_of(response))
    assert "Budi Cepat" in html_of(response)
    story.refresh_from_db()
    assert story.assignee == budi.staff
    # Now the page shows Budi holding it; taking over is a choice made with that in view.
    taken = signed_in.post(
        conversation_url(story, "assign"), {"to": "me", "holder": str(budi.staff.pk)}, **HTMX
    )
    assert taken.status_code == 200
    story.refresh_from_db()
    assert story.assignee == sari.staff


def test_an_impossible_status_change_is_a_conflict_in_place(signed_in, story):
    signed_in.post(conversation_url(story, "status"), {"status": "closed"}, **HTMX)
    response = signed_in.post(conversation_url(story, "status"), {"status": "pending"}, **HTMX)
    assert response.status_code == 409
    assert ("status", "status") in form_errors(html_of(response))
    story.refresh_from_db()
    assert story.status == ConversationStatus.CLOSED


def test_purpose_and_priority_need_a_reason_which_stays_on_error(signed_in, story):
    response = signed_in.post(
        conversation_url(story, "purpose"), {"purpose": "complaint", "reason": ""}, **HTMX
    )
    assert response.status_code == 422
    html = html_of(response)
    assert ("purpose", "reason") in form_errors(html)
    assert 'id="ctl-purpose" open' in html
    assert re.search(r'<option value="complaint" selected>', html)
    story.refresh_from_db()
    assert story.purpose == "routine"

    ok = signed_in.post(
        conversation_url(story, "purpose"),
        {"purpose": "complaint", "reason": "Nasabah kecewa, dana terpotong"},
        **HTMX,
    )
    assert ok.status_code == 200
    story.refresh_from_db()
    assert story.purpose == "complaint"
    assert 'data-event="purpose_changed"' in html_of(ok)  # the thread came along

    high = signed_in.post(
        conversation_url(story, "priority"), {"priority": "4", "reason": "Nominal besar"}, **HTMX
    )
    assert high.status_code == 200
    story.refresh_from_db()
    assert story.priority == 4

    # A value that is no choice: the select shows the priority it has, never the first
    # choice ("Low"), which the next click would save.
    odd = signed_in.post(
        conversation_url(story, "priority"), {"priority": "9", "reason": "Coba"}, **HTMX
    )
    assert odd.status_code == 422
    assert re.search(r'<option value="4" selected>', html_of(odd))
    assert 'value="Coba"' in html_of(odd)  # the reason typed stays
    story.refresh_from_db()
    assert story.priority == 4


def test_a_failed_reply_says_why_under_it(signed_in, story):
    from layani.conversations.actions import update_delivery_status

    answer = story.messages.filter(direction="out").get()
    update_delivery_status(answer, status="failed", error="Nomor WhatsApp tidak aktif")
    html = html_of(signed_in.get(reverse("inbox:conversation", args=[story.pk])))
    bubble = html[html.index(f'id="message-{answer.pk}"') :]
    bubble = bubble[: bubble.index("</li>")]
    assert "delivery-failed" in bubble and "Nomor WhatsApp tidak aktif" in bubble


def test_tags_are_added_and_removed(signed_in, story):
    signed_in.post(conversation_url(story, "tags"), {"add": "Refund, kartu hilang"}, **HTMX)
    assert sorted(story.tags.values_list("name", flat=True)) == ["kartu-hilang", "refund"]
    response = signed_in.post(conversation_url(story, "tags"), {"remove": "refund"}, **HTMX)
    assert list(story.tags.values_list("name", flat=True)) == ["kartu-hilang"]
    assert 'data-tag="kartu-hilang"' in html_of(response)
    assert 'data-tag="refund"' not in html_of(response)


def test_merge_another_conversation_of_the_same_customer_here(signed_in, story, customer):
    other = write(customer, "Ini lanjutan soal saldo", channel="email")
    moved = list(Message.objects.filter(conversation=other).values_list("pk", flat=True))
    page = html_of(signed_in.get(conversation_url(story)))
    assert f'<option value="{other.pk}">' in section(page, "conversation-controls")

    response = signed_in.post(conversation_url(story, "merge"), {"other": other.pk}, **HTMX)
    assert response.status_code == 200
    other.refresh_from_db()
    assert other.merged_into_id == story.pk
    assert set(moved) <= set(
        Message.objects.filter(conversation=story).values_list("pk", flat=True)
    )
    html = html_of(response)
    for message_id in moved:
        assert f'data-message="{message_id}"' in html
    assert 'id="customer-side"' in html  # its open conversations changed

    merged_page = html_of(signed_in.get(conversation_url(other)))
    assert 'id="merged-notice"' in merged_page and 'id="compose-form"' not in merged_page


def test_merge_refuses_another_customers_conversation(signed_in, story, other_customer):
    stranger = write(other_customer, "Halo", channel="email")
    response = signed_in.post(conversation_url(story, "merge"), {"other": stranger.pk}, **HTMX)
    assert response.status_code == 409
    assert ("merge", "other") in form_errors(html_of(response))
    stranger.refresh_from_db()
    assert stranger.merged_into_id is None


def test_link_the_conversation_to_a_branch_visit(signed_in, story, customer, branch, service):
    visit = check_in_visit(branch=branch, service=service, customer=customer, actor=None)
    page = html_of(signed_in.get(conversation_url(story)))
    assert f'<option value="{visit.pk}"' in page

    response = signed_in.post(conversation_url(story, "visit"), {"visit": visit.pk}, **HTMX)
    assert response.status_code == 200
    story.refresh_from_db()
    assert story.visit_id == visit.pk
    assert 'data-event="visit_linked"' in html_of(response)
    assert visit.ticket_number in section(html_of(response), "conversation-controls")


def test_customer_panel_shows_what_matters_first_and_edits_it_in_place(
    signed_in, sari, story, customer, branch, service
):
    SurveyResponse.objects.create(
        rating=2, comment="Antre lama", channel="kiosk", customer=customer
    )
    check_in_visit(branch=branch, service=service, customer=customer, actor=None)
    html = html_of(signed_in.get(conversation_url(story)))
    assert html.index('id="what-matters"') < html.index('id="customer-side"')
    side = section(html, "customer-side")
    assert 'data-rating="2"' in side and "Antre lama" in side
    standing = re.sub(r"<[^>]+>|\s+", " ", side.split('class="customer-standing"')[1])
    assert "pelanggan sejak" not in standing.lower() and " sejak " in standing
    assert branch.name in section(html, "customer-visits")

    response = signed_in.post(
        conversation_url(story, "what_matters"),
        {"what_matters": "Lebih suka dihubungi lewat WhatsApp sore hari", "tags": "whatsapp, sore"},
        **HTMX,
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.what_matters == "Lebih suka dihubungi lewat WhatsApp sore hari"
    assert customer.what_matters_tags == ["whatsapp", "sore"]
    pinned = html_of(response)
    assert pinned.startswith('<section id="what-matters"')
    assert "Lebih suka dihubungi lewat WhatsApp sore hari" in pinned
    assert "Sari Agen" in pinned  # who changed it, from the customer's timeline
    event = TimelineEvent.objects.get(customer=customer, kind=EventKind.WHAT_MATTERS_CHANGED)
    assert event.actor == sari


def test_live_parts_of_the_conversation_can_be_read_alone(signed_in, sari, story):
    ConversationRead.objects.all().delete()
    for part, element in (
        ("thread", "thread"),
        ("controls", "conversation-controls"),
        ("composer", "composer"),
        ("pinned", "what-matters"),
        ("side", "customer-side"),
    ):
        response = signed_in.get(reverse("inbox:part", args=[story.pk, part]), **HTMX)
        assert response.status_code == 200
        assert (
            html_of(response)
            .lstrip()
            .startswith(f'<{"aside" if part == "side" else "section"} id="{element}"')
        )
    assert not ConversationRead.objects.filter(conversation=story).exists()
    signed_in.get(reverse("inbox:part", args=[story.pk, "thread"]) + "?seen=1", **HTMX)
    assert ConversationRead.objects.filter(staff=sari.staff, conversation=story).exists()
    assert signed_in.get(reverse("inbox:part", args=[story.pk, "nothing"])).status_code == 404


# --- Query counts ------------------------------------------------------------------------------


def _grow(conversation, customer, sari, branch, service, n):
    for i in range(n):
        write(customer, f"Pesan tambahan {i}")
        reply(conversation, body_text=f"Balasan {i}", actor=sari)
        add_note(conversation, body_text=f"Catatan {i}", actor=sari)
        change_tags(conversation, add=[f"t{i}"], actor=sari)
        check_in_visit(branch=branch, service=service, customer=customer, actor=None)
        SurveyResponse.objects.create(rating=4, channel="kiosk", customer=customer)
        write(customer, f"Percakapan lain {i}", channel="email" if i % 2 else "sms")


def test_conversation_view_queries_do_not_grow_with_the_data(
    signed_in, sari, story, customer, branch, service
):
    _grow(story, customer, sari, branch, service, 1)
    small = count_queries(signed_in, conversation_url(story))
    _grow(story, customer, sari, branch, service, 12)
    large = count_queries(signed_in, conversation_url(story))
    assert small == large
    assert Message.objects.filter(conversation=story).count() > 30
    assert Message.objects.filter(delivery_status=DeliveryStatus.SENT).exists()
