import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layani.branches.actions import check_in_visit
from layani.conversations.actions import (
    add_message,
    change_purpose,
    change_status,
    start_conversation,
)
from layani.customers.actions import CustomerDetails, create_customer
from layani.staff.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(agent):
    return create_customer(
        CustomerDetails.from_values(
            {
                "full_name": "Ibu Ratna Sari",
                "phone": "081234567890",
                "what_matters": "Tidak mau ditelepon saat jam kerja",
                "what_matters_tags": ["wa-saja", "lansia"],
            }
        ),
        actor=agent,
    )


def add_history(customer, branch, service, agent, n):
    for i in range(n):
        conversation = start_conversation(
            customer=customer,
            channel="whatsapp",
            subject=f"Tanya tagihan {i}",
            actor=agent,
            branch=branch,
        )
        add_message(conversation, direction="in", body_text=f"Halo, tagihan {i}", actor=None)
        check_in_visit(branch=branch, service=service, customer=customer, actor=None)


def test_customer_page_shows_the_pinned_block_first_and_the_timeline(client, agent, customer):
    client.force_login(agent)
    response = client.get(f"/customers/{customer.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ibu Ratna Sari" in html
    pinned = html.index('id="what-matters"')
    assert pinned < html.index('id="timeline"')
    assert "Tidak mau ditelepon saat jam kerja" in html[pinned:]
    assert "wa-saja" in html[pinned:]
    assert "+6281234567890" in html


def test_customer_page_query_count_does_not_grow_with_history(
    client, agent, customer, branch, service
):
    client.force_login(agent)
    add_history(customer, branch, service, agent, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(f"/customers/{customer.pk}/").status_code == 200
    add_history(customer, branch, service, agent, 25)
    with CaptureQueriesContext(connection) as large:
        response = client.get(f"/customers/{customer.pk}/")
    assert response.status_code == 200
    assert len(large) == len(small)
    # Only one page of the timeline is rendered; the rest loads on demand.
    assert response.content.decode().count('class="event ') == 30
    assert "hx-get" in response.content.decode()


def test_the_timeline_reads_like_the_thread_labels_and_names_not_codes(
    client, agent, customer, branch
):
    conversation = start_conversation(
        customer=customer, channel="whatsapp", subject="Kartu", actor=agent, branch=branch
    )
    change_purpose(conversation, purpose="special_request", reason="Minta kartu baru", actor=agent)
    change_status(conversation, status="resolved", actor=agent)
    client.force_login(agent)
    html = client.get(f"/customers/{customer.pk}/").content.decode()
    timeline = html[html.index('id="timeline"') :]
    assert "Rutin → Permintaan khusus" in timeline
    assert "“Minta kartu baru”" in timeline
    assert "Baru → Terselesaikan" in timeline
    assert "special_request" not in timeline and "→ resolved" not in timeline
    assert f"oleh {agent.staff.display_name}" in timeline
    assert f"oleh {agent.username}<" not in timeline


def test_older_timeline_loads_as_a_fragment(client, agent, customer, branch, service):
    client.force_login(agent)
    add_history(customer, branch, service, agent, 12)
    page = client.get(f"/customers/{customer.pk}/").context["file"].timeline
    fragment = client.get(f"/customers/{customer.pk}/timeline/?cursor={page.next_cursor}")
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert fragment.content.decode().count('class="event ') > 0


def test_search_page_finds_by_phone_as_typed(client, agent, customer):
    client.force_login(agent)
    response = client.get("/customers/", {"q": "0812 3456 7890"})
    assert response.status_code == 200
    assert f"/customers/{customer.pk}/" in response.content.decode()


def test_search_page_reports_a_bad_phone_as_a_form_error(client, agent):
    client.force_login(agent)
    response = client.get("/customers/", {"q": "0000 0000 00"})
    assert response.status_code == 200
    assert 'class="form-error"' in response.content.decode()


def test_editing_what_matters_saves_through_the_action(client, agent, customer):
    client.force_login(agent)
    response = client.post(
        f"/customers/{customer.pk}/what-matters/",
        {"what_matters": "Butuh kursi roda", "tags": "lansia, kursi roda"},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.what_matters == "Butuh kursi roda"
    assert customer.what_matters_tags == ["lansia", "kursi roda"]
    assert customer.timeline.filter(kind="what_matters_changed").count() == 1


def test_too_many_tags_is_a_form_error_and_nothing_changes(client, agent, customer):
    client.force_login(agent)
    tags = ", ".join(f"tag{i}" for i in range(25))
    response = client.post(
        f"/customers/{customer.pk}/what-matters/", {"what_matters": "baru", "tags": tags}
    )
    assert response.status_code == 422
    assert 'class="form-error"' in response.content.decode()
    customer.refresh_from_db()
    assert customer.what_matters == "Tidak mau ditelepon saat jam kerja"


def test_kiosk_and_anonymous_cannot_open_a_customer(client, make_person, customer):
    response = client.get(f"/customers/{customer.pk}/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(make_person(Role.KIOSK))
    assert client.get(f"/customers/{customer.pk}/").status_code == 404
    assert client.get("/customers/", {"q": "ratna"}).status_code == 403
