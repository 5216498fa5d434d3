"""The inbox through the Django test client: views, filters, pages, live refresh, search,
SLA colours, the agent's status, and query counts that do not grow with the data."""

import re
from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from layani.conversations.actions import (
    assign,
    change_status,
    change_tags,
)
from layani.conversations.tests.pages import (
    HTMX,
    count_queries,
    due_in,
    html_of,
    inbox_url,
    person,
    row_html,
    row_ids,
    row_tag,
    write,
)
from layani.search.indexing import index_customer

pytestmark = pytest.mark.django_db


# --- Inbox -------------------------------------------------------------------------------------


def test_inbox_lists_what_is_due_first_with_time_left_and_unread_markers(
    signed_in, sari, customer, other_customer, make_person
):
    late = write(customer, "Dana saya belum dikembalikan", channel="email")
    soon = write(other_customer, "Kartu saya tertelan ATM", channel="sms")
    later = write(person(make_person, "Budi Santoso", email="budi@contoh.id"), channel="email")
    due_in(late, -35)
    due_in(soon, 20)
    due_in(later, 60 * 30)
    mark_read_by(sari, soon)

    html = html_of(signed_in.get(inbox_url(view="unassigned")))

    assert row_ids(html) == [late.pk, soon.pk, later.pk]
    assert 'data-due-state="overdue"' in row_tag(html, late)
    assert 'data-due-state="soon"' in row_tag(html, soon)
    assert 'data-due-state="later"' in row_tag(html, later)
    assert 'data-unread="true"' in row_tag(html, late)
    assert 'data-unread="false"' in row_tag(html, soon)
    late_row = row_html(html, late)
    assert "Wulan Sari" in late_row and "unread-dot" in late_row
    assert "Dana saya belum dikembalikan" in late_row
    assert "chip-email" in late_row and "badge-new" in late_row  # a new customer
    assert "unread-dot" not in row_html(html, soon)


def test_a_row_reads_the_customers_words_once_and_never_the_acknowledgement(
    signed_in, customer, other_customer
):
    from layani.conversations.actions import reply, send_automatic

    single = write(customer, "Kartu saya tertelan ATM")
    send_automatic(
        single, body_text="Terima kasih, pesan Anda sudah kami terima.", kind="acknowledgement"
    )
    answered = write(other_customer, "Dana saya belum masuk")
    reply(answered, body_text="Kami cek dulu, mohon ditunggu", actor=None)

    html = html_of(signed_in.get(inbox_url(view="unassigned")))
    once = row_html(html, single)
    assert once.count("Kartu saya tertelan ATM") == 1  # the subject says it; no preview
    assert "Terima kasih, pesan Anda" not in once and "row-preview" not in once
    both = row_html(html, answered)
    assert "Dana saya belum masuk" in both and "Kami cek dulu" in both


def test_resolved_and_closed_rows_say_when_they_ended_not_how_late_they_are(
    signed_in, sari, customer, other_customer
):
    resolved = write(customer, "Dana saya belum dikembalikan", channel="email")
    closed = write(other_customer, "Kartu saya tertelan ATM", channel="email")
    due_in(resolved, -60 * 24 * 3)
    due_in(closed, -60 * 24 * 3)
    change_status(resolved, status="resolved", actor=sari)
    change_status(closed, status="closed", actor=sari)

    for conversation, words in ((resolved, "selesai"), (closed, "ditutup")):
        conversation.refresh_from_db()
        html = html_of(signed_in.get(inbox_url(view="unassigned", status=conversation.status)))
        row = row_html(html, conversation)
        assert 'data-due-state="done"' in row_tag(html, conversation)
        assert re.search(rf"{words} \d+ mnt lalu", row), row
        assert "terlambat" not in row


def mark_read_by(user, conversation):
    from layani.conversations.actions import mark_read

    mark_read(conversation, actor=user)


def test_inbox_views_mine_unassigned_and_my_teams(
    signed_in, sari, agent_y, customer, other_customer, team_x, team_y
):
    pool = write(customer, channel="email")
    mine = write(other_customer, channel="sms")
    ours = write(customer, channel="telegram")
    theirs = write(other_customer, channel="instagram")
    assign(mine, assignee=sari.staff, actor=None)
    assign(ours, team=team_x, actor=None)
    assign(theirs, team=team_y, actor=None)

    assert row_ids(html_of(signed_in.get(inbox_url(view="mine")))) == [mine.pk]
    assert set(row_ids(html_of(signed_in.get(inbox_url(view="unassigned"))))) == {pool.pk, ours.pk}
    # Taken from the pool, `mine` joined Sari's team: the team sees it too.
    assert set(row_ids(html_of(signed_in.get(inbox_url(view="teams"))))) == {mine.pk, ours.pk}
    # An agent has no "all" view: it is for people who oversee others' work.
    assert signed_in.get(inbox_url(view="all")).status_code == 403
    assert signed_in.get(inbox_url()).status_code == 200  # default: mine


def test_inbox_filters_combine_and_are_kept_in_every_link(
    signed_in, customer, other_customer, branch
):
    email = write(customer, channel="email", purpose="complaint", branch=branch)
    write(other_customer, channel="sms", purpose="complaint", branch=branch)
    write(customer, channel="telegram")
    change_tags(email, add=["refund"], actor=None)

    html = html_of(
        signed_in.get(
            inbox_url(view="unassigned", channel="email", purpose="complaint", branch=branch.pk)
        )
    )
    assert row_ids(html) == [email.pk]
    rows = re.search(r'data-rows-url="([^"]+)"', html).group(1)
    assert "channel=email" in rows and "purpose=complaint" in rows and f"branch={branch.pk}" in rows
    for tab in re.findall(r'<a href="\?([^"]+)" data-view=', html):
        assert "channel=email" in tab and "purpose=complaint" in tab

    by_tag = html_of(signed_in.get(inbox_url(view="unassigned", tag="refund")))
    assert row_ids(by_tag) == [email.pk]


def test_filters_that_match_nothing_say_so_and_lead_back(signed_in, customer):
    write(customer, channel="email")

    html = html_of(signed_in.get(inbox_url(view="unassigned", tag="tidakada", channel="email")))

    assert row_ids(html) == []
    empty = re.search(r'<li class="empty" id="inbox-empty"[^>]*>(.*?)</li>', html, re.S)
    assert empty is not None
    assert 'data-filtered="true"' in empty.group(0)
    assert "Tidak ada percakapan yang cocok dengan filter ini." in empty.group(1)
    assert "Belum ada percakapan" not in empty.group(1)
    clear = re.search(
        r'<a href="([^"]+)" id="inbox-clear-filters">Hapus filter</a>', empty.group(1)
    )
    assert clear is not None
    cleared = html_of(signed_in.get(reverse("inbox:inbox") + clear.group(1).replace("&amp;", "&")))
    assert len(row_ids(cleared)) == 1  # back to the same view, without the filters

    # The live refresh of the rows says the same.
    rows = html_of(signed_in.get(reverse("inbox:rows") + "?view=unassigned&tag=tidakada", **HTMX))
    assert 'id="inbox-clear-filters"' in rows

    # No filters, nothing there: the first words still hold.
    mine = html_of(signed_in.get(inbox_url(view="mine")))
    assert 'data-filtered="false"' in mine and "Belum ada percakapan di sini" in mine
    assert 'id="inbox-clear-filters"' not in mine


def _datalist(html, element_id):
    found = re.search(rf'<datalist id="{element_id}">(.*?)</datalist>', html, re.S)
    assert found is not None, f"no datalist #{element_id}"
    return re.findall(r'<option value="([^"]*)"', found.group(1))


def test_the_tag_filter_suggests_the_tags_there_are(signed_in, customer, other_customer):
    change_tags(write(customer, channel="email"), add=["vip", "refund"], actor=None)
    change_tags(write(other_customer, channel="sms"), add=["vip", "kartu-hilang"], actor=None)

    for url in (inbox_url(view="unassigned", tag="vi"), reverse("inbox:search") + "?q=halo"):
        html = html_of(signed_in.get(url))
        field = re.search(r'<input[^>]*name="tag"[^>]*>', html)
        assert field is not None and 'list="tag-suggestions"' in field.group(0), url
        assert _datalist(html, "tag-suggestions") == ["kartu-hilang", "refund", "vip"], url


def test_inbox_rejects_an_unknown_filter_in_place(signed_in):
    response = signed_in.get(inbox_url(view="unassigned", priority="urgent"))
    assert response.status_code == 422
    html = html_of(response)
    error = re.search(r'<div class="alert" role="alert" id="page-error"[^>]*>(.*?)</div>', html)
    assert error is not None
    assert error.group(1).startswith("Prioritas: ")  # which filter is wrong
    assert 'id="page-error-clear"' in error.group(1)  # and a way back


def test_inbox_pages_by_fifty_and_a_live_refresh_keeps_what_was_loaded(signed_in, make_person):
    conversations = [
        write(person(make_person, f"Nasabah {i:02d}", email=f"n{i}@contoh.id"), channel="email")
        for i in range(55)
    ]
    for i, conversation in enumerate(conversations):
        due_in(conversation, i)

    first = html_of(signed_in.get(inbox_url(view="unassigned")))
    assert row_ids(first) == [c.pk for c in conversations[:50]]
    next_url = re.search(r'hx-get="([^"]+cursor=[^"]+)"', first).group(1).replace("&amp;", "&")
    second = html_of(signed_in.get(next_url, **HTMX))
    assert row_ids(second) == [c.pk for c in conversations[50:]]
    assert "inbox-next" not in second and "inbox-empty" not in second

    rows_url = re.search(r'data-rows-url="([^"]+)"', first).group(1).replace("&amp;", "&")
    refreshed = html_of(signed_in.get(rows_url + "&pages=2", **HTMX))
    assert row_ids(refreshed) == [c.pk for c in conversations]


# --- Search ------------------------------------------------------------------------------------


def test_search_finds_conversations_in_indonesian_and_customers(
    signed_in, customer, other_customer
):
    index_customer(customer)
    refund = write(customer, "dana saya blm dikembalikan sampai sekarang", channel="email")
    write(other_customer, "mau ganti kartu ATM", channel="sms")
    response = signed_in.get(reverse("inbox:search") + "?q=pengembalian+dana")
    assert response.status_code == 200
    html = html_of(response)
    assert [int(i) for i in re.findall(r'class="search-hit" data-conversation="(\d+)"', html)] == [
        refund.pk
    ]
    assert "<mark>" in html

    by_name = html_of(signed_in.get(reverse("inbox:search") + "?q=wulan"))
    assert f'data-customer="{customer.pk}"' in by_name

    blank = signed_in.get(reverse("inbox:search") + "?q=+")
    assert blank.status_code == 422


# --- Query counts ------------------------------------------------------------------------------


def _busy_inbox(make_person, team, n):
    for i in range(n):
        customer = person(make_person, f"Nasabah {team.pk}-{i}", email=f"{team.pk}.{i}@contoh.id")
        conversation = write(customer, f"Pertanyaan nomor {i}", channel="email")
        assign(conversation, team=team, actor=None)
        change_tags(conversation, add=[f"tag-{i % 3}", "umum"], actor=None)


def test_inbox_queries_do_not_grow_with_the_data(signed_in, make_person, team_x):
    _busy_inbox(make_person, team_x, 3)
    small = count_queries(signed_in, inbox_url(view="teams"))
    _busy_inbox(make_person, team_x, 30)
    large = count_queries(signed_in, inbox_url(view="teams"))
    assert small == large
    rows = count_queries(signed_in, reverse("inbox:rows") + "?view=teams&pages=2")
    assert rows <= large


def test_tag_suggestions_cost_one_query_whatever_the_number_of_tags(signed_in, make_person, team_x):
    _busy_inbox(make_person, team_x, 3)
    inbox_small = count_queries(signed_in, inbox_url(view="teams"))
    search_small = count_queries(signed_in, reverse("inbox:search") + "?q=pertanyaan")
    for n in range(5):
        conversation = write(person(make_person, f"Nasabah Bertag {n}", email=f"t{n}@contoh.id"))
        change_tags(conversation, add=[f"label-{n}-{i}" for i in range(8)], actor=None)
    html = html_of(signed_in.get(inbox_url(view="teams")))
    assert len(re.findall(r"<option", html.split('id="tag-suggestions"')[1])) >= 44
    assert count_queries(signed_in, inbox_url(view="teams")) == inbox_small
    assert count_queries(signed_in, reverse("inbox:search") + "?q=pertanyaan") == search_small


def test_an_sla_policy_names_its_target_and_colours_the_row(signed_in, customer):

    from layani.routing.models import SlaPolicy

    SlaPolicy.objects.create(
        name="Keluhan WhatsApp", first_response_minutes=30, warn_before_minutes=60
    )
    conversation = write(customer, "Saldo saya terpotong dua kali")
    conversation.refresh_from_db()
    assert conversation.due_at - conversation.created_at <= timedelta(minutes=30, seconds=5)
    row = row_html(html_of(signed_in.get(inbox_url(view="unassigned"))), conversation)
    assert 'data-sla-target="first_response"' in row
    assert "due-soon" in row  # within the policy's warning time: amber


def test_a_pending_rows_paused_sla_does_not_hide_when_to_look_again(signed_in, sari, customer):
    from layani.routing.models import SlaPolicy

    SlaPolicy.objects.create(name="Standar", first_response_minutes=30, resolution_minutes=600)
    conversation = write(customer, "Saldo saya terpotong dua kali")
    change_status(conversation, status="pending", actor=sari)
    conversation.refresh_from_db()
    html = html_of(signed_in.get(inbox_url(view="unassigned")))
    row = row_html(html, conversation)
    # The paused clock's "time left" moves with now; the row shows, as it sorts by, its
    # stored due time.
    assert "data-sla-target" not in row
    shown = re.search(r'<time datetime="([^"]+)"', row)
    assert shown is not None
    assert datetime.fromisoformat(shown.group(1)) == conversation.due_at


def test_an_agent_goes_online_from_the_inbox_and_the_change_is_recorded(signed_in, sari):
    from layani.routing.models import AgentPresence, AgentStatusChange

    page = signed_in.get(inbox_url()).content.decode()
    assert 'id="presence"' in page
    response = signed_in.post(
        reverse("inbox:presence"), {"status": "online"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'value="online" selected' in response.content.decode()
    assert AgentPresence.objects.get(staff=sari.staff).status == "online"
    assert AgentStatusChange.objects.filter(staff=sari.staff).exists()
    bad = signed_in.post(reverse("inbox:presence"), {"status": "dancing"})
    assert bad.status_code == 422
    assert AgentPresence.objects.get(staff=sari.staff).status == "online"


def test_going_offline_says_how_many_conversations_went_back_to_the_team(
    signed_in, sari, team_x, customer
):
    from layani.conversations.models import Conversation
    from layani.routing.models import AgentPresence

    signed_in.post(reverse("inbox:presence"), {"status": "online"}, HTTP_HX_REQUEST="true")
    for channel in ("whatsapp", "email"):  # two conversations
        conversation = write(customer, "Kartu saya tertelan", channel=channel)
        assign(conversation, assignee=sari.staff, team=team_x, actor=None)
    page = signed_in.get(inbox_url()).content.decode()
    # The page asks before going offline (workspace.js reads the question from the form).
    assert "data-offline-question=" in page and "Lanjutkan offline?" in page
    response = signed_in.post(
        reverse("inbox:presence"), {"status": "offline"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "2 percakapan diserahkan kembali ke tim Anda." in response.content.decode()
    assert AgentPresence.objects.get(staff=sari.staff).status == "offline"
    assert not Conversation.objects.filter(assignee=sari.staff).exists()
    # Already offline (another tab): nothing was handed on, and nothing is said.
    again = signed_in.post(reverse("inbox:presence"), {"status": "offline"}, HTTP_HX_REQUEST="true")
    assert "presence-handed-on" not in again.content.decode()


def test_a_due_time_just_passed_is_not_zero_minutes_late():
    from datetime import UTC

    from django.utils import translation

    from layani.conversations.views.common import due_time

    due = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    with translation.override("id"):
        assert due_time(due, due + timedelta(seconds=40)).text == "baru saja lewat tenggat"
        assert due_time(due, due + timedelta(minutes=35)).text == "terlambat 35 mnt"
