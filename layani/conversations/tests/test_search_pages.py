"""The search page through the Django test client, as an agent reads it: customers beyond
the first few, a conversation's number typed bare, and snippets that add something."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from layani.conversations.tests.pages import html_of, person
from layani.conversations.views.inbox import CUSTOMERS_PER_SEARCH
from layani.search.indexing import index_customer

pytestmark = pytest.mark.django_db


def search(client, q, **params):
    query = "&".join(f"{k}={v}" for k, v in {"q": q, **params}.items())
    response = client.get(reverse("inbox:search") + "?" + query)
    assert response.status_code == 200
    return html_of(response)


def customer_ids(html):
    return [int(i) for i in re.findall(r'<li data-customer="(\d+)"', html)]


def hit_ids(html):
    return [int(i) for i in re.findall(r'class="search-hit" data-conversation="(\d+)"', html)]


# --- Customers beyond the first few ------------------------------------------------------------


def _named(make_person, names):
    customers = [person(make_person, name) for name in names]
    for customer in customers:
        index_customer(customer)
    return customers


SYAHRINIS = [
    "Syahrini Putri",
    "Syahrini Lestari",
    "Dewi Syahrini",
    "Syahrini Ayu",
    "Nur Syahrini",
    "Aurora Syahrini Kuswandari",
]


def test_more_customers_than_the_search_shows_lead_to_the_customer_list(signed_in, make_person):
    assert len(SYAHRINIS) == CUSTOMERS_PER_SEARCH + 1
    customers = _named(make_person, SYAHRINIS)

    html = search(signed_in, "Syahrini")

    assert len(customer_ids(html)) == CUSTOMERS_PER_SEARCH
    found = re.search(r'<a href="([^"]+)" id="all-customers">([^<]+)</a>', html)
    assert found is not None, "no link to the other customers"
    assert found.group(2) == "Lihat semua pelanggan"
    url = found.group(1).replace("&amp;", "&")
    assert url == reverse("customers:search") + "?q=Syahrini"
    listed = html_of(signed_in.get(url))
    for customer in customers:  # the sixth one too
        assert customer.full_name in listed
    assert "Aurora Syahrini Kuswandari" in listed


def test_as_many_customers_as_the_search_shows_need_no_link(signed_in, make_person):
    _named(make_person, SYAHRINIS[:CUSTOMERS_PER_SEARCH])
    html = search(signed_in, "Syahrini")
    assert len(customer_ids(html)) == CUSTOMERS_PER_SEARCH
    assert 'id="all-customers"' not in html


def test_the_customer_link_keeps_the_words_as_typed(signed_in, make_person):
    _named(make_person, [f"Budi & Sri {i}" for i in range(CUSTOMERS_PER_SEARCH + 1)])
    html = search(signed_in, "Budi+%26+Sri")
    found = re.search(r'<a href="([^"]+)" id="all-customers">', html)
    assert found is not None
    assert found.group(1) == reverse("customers:search") + "?q=Budi+%26+Sri"


# --- A conversation's number typed bare --------------------------------------------------------


def test_a_bare_number_lists_its_conversation_first_then_the_word_matches(signed_in, customer):
    from layani.conversations.tests.pages import write

    wanted = write(customer, "Buka rekening untuk usaha", channel="email")
    # The same digits as an amount in another conversation: still found, after it.
    amount = write(customer, f"Sudah saya transfer {wanted.pk} juta kemarin", channel="sms")
    amount_too = write(customer, f"Tagihan {wanted.pk} belum masuk", channel="telegram")

    html = search(signed_in, str(wanted.pk))

    found = hit_ids(html)
    assert found[0] == wanted.pk
    assert sorted(found) == sorted([wanted.pk, amount.pk, amount_too.pk])
    assert f"L-{wanted.pk}" in html
    assert search(signed_in, f"L-{wanted.pk}").count('class="search-hit"') == 1


def test_a_bare_number_of_a_conversation_out_of_reach_finds_only_words(
    signed_in, customer, other_customer, agent_y
):
    from layani.conversations.actions import assign
    from layani.conversations.tests.pages import write

    theirs = write(other_customer, "Kartu hilang", channel="email")
    assign(theirs, assignee=agent_y.staff, actor=None)  # another team's agent: not Sari's
    assert hit_ids(search(signed_in, str(theirs.pk))) == []


# --- Snippets that add something ---------------------------------------------------------------


def _hit_html(html, conversation):
    found = re.search(
        rf'<li class="search-hit" data-conversation="{conversation.pk}">.*?</li>', html, re.S
    )
    assert found is not None, f"no hit for {conversation.pk}"
    return found.group(0)


def _visible_text(fragment):
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def test_a_match_on_the_subject_shows_the_subject_once_with_the_words_marked(signed_in, customer):
    from layani.conversations.tests.pages import write

    conversation = write(
        customer, "Saya mau datang besok pagi", channel="email", subject="Buka rekening untuk usaha"
    )
    hit = _hit_html(search(signed_in, "rekening+usaha"), conversation)
    assert _visible_text(hit).count("rekening untuk usaha") == 1
    assert "<mark>rekening</mark>" in hit and "<mark>usaha</mark>" in hit
    assert 'class="snippet"' not in hit

    # Found by its number: the subject once, no empty snippet.
    by_number = _hit_html(search(signed_in, f"L-{conversation.pk}"), conversation)
    assert _visible_text(by_number).count("Buka rekening untuk usaha") == 1
    assert 'class="snippet"' not in by_number


def test_a_match_in_a_message_shows_the_subject_and_the_message(signed_in, customer):
    from layani.conversations.tests.pages import write

    conversation = write(
        customer, "Dana saya belum dikembalikan", channel="email", subject="Buka rekening"
    )
    hit = _hit_html(search(signed_in, "dikembalikan"), conversation)
    assert "Buka rekening" in _visible_text(hit)
    assert 'class="snippet"' in hit and "<mark>dikembalikan</mark>" in hit


# --- A customer's name leads to their conversations --------------------------------------------


def _conversations_under(html, customer):
    found = re.search(rf'<li data-customer="{customer.pk}">(.*?)</li>\s*</ul>\s*</li>', html, re.S)
    if found is None:
        return []
    return [int(i) for i in re.findall(r'data-conversation="(\d+)"', found.group(1))]


def test_a_customers_name_lists_their_conversations_the_person_may_see(
    signed_in, make_person, team_y
):
    """ "Anggraini" is in no message: the conversations come from the customer found,
    still-open ones first, then the newest, at most three, none the agent may not see and
    none merged away."""
    from django.db.models import F
    from django.utils import timezone

    from layani.conversations.actions import assign
    from layani.conversations.models import Conversation
    from layani.conversations.tests.pages import write

    (dewi,) = _named(make_person, ["Dewi Anggraini"])
    old_resolved = write(dewi, "Kartu kredit hilang", channel="email")
    Conversation.objects.filter(pk=old_resolved.pk).update(
        status="resolved", created_at=F("created_at") - timezone.timedelta(days=30)
    )
    open_one = write(dewi, "Saldo belum masuk", channel="sms")
    newest_open = write(dewi, "Minta rekening koran", channel="telegram")
    another_team = write(dewi, "Limit kartu", channel="instagram")
    assign(another_team, team=team_y, actor=None)  # Sari is not in team Y
    merged = write(dewi, "Halo", channel="messenger")
    Conversation.objects.filter(pk=merged.pk).update(merged_into=open_one)
    newest_resolved = write(dewi, "Terima kasih", channel="webchat")
    Conversation.objects.filter(pk=newest_resolved.pk).update(status="resolved")

    html = search(signed_in, "Anggraini")

    assert customer_ids(html) == [dewi.pk]
    assert _conversations_under(html, dewi) == [newest_open.pk, open_one.pk, newest_resolved.pk]
    assert "Minta rekening koran" in html
    # No message says "Anggraini": the page points at the customers' conversations.
    assert "Percakapan pelanggan yang ditemukan tercantum di atas" in html

    # The search's filters apply to them too: with "Telegram", only the Telegram one.
    html = search(signed_in, "Anggraini", channel="telegram")
    assert _conversations_under(html, dewi) == [newest_open.pk]

    # The same number of queries with five customers of four conversations each.
    def count():
        with CaptureQueriesContext(connection) as captured:
            search(signed_in, "Anggraini")
        return len(captured.captured_queries)

    alone = count()
    for name in SYAHRINIS[:4]:
        (other,) = _named(make_person, [f"{name} Anggraini"])
        for channel in ("email", "sms", "telegram", "whatsapp"):
            write(other, "Halo", channel=channel)
    assert len(customer_ids(search(signed_in, "Anggraini"))) == CUSTOMERS_PER_SEARCH
    assert count() == alone
