import pytest
from django.contrib.auth.models import User

from layani.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_in_and_out_through_the_pages(client, agent):
    response = client.post("/login/", {"username": agent.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_shows_a_form_error(client, agent):
    response = client.post("/login/", {"username": agent.username, "password": "salah"})
    assert response.status_code == 200
    assert 'class="form-error"' in response.content.decode()


def test_account_locks_after_repeated_failures_even_with_the_right_password(
    client, agent, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": agent.username, "password": "salah"})
    response = client.post("/login/", {"username": agent.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "15" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_account(client, agent, make_person):
    for _ in range(10):
        client.post("/login/", {"username": agent.username, "password": "salah"})
    other = make_person("agent")
    response = client.post("/login/", {"username": other.username, "password": PASSWORD})
    assert response.status_code == 302


def test_behind_a_proxy_one_visitors_failures_do_not_lock_out_another(client, agent, settings):
    settings.LAYANI_TRUSTED_PROXIES = 1
    through_proxy = {"REMOTE_ADDR": "10.0.0.5"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/login/",
            {"username": agent.username, "password": "salah"},
            HTTP_X_FORWARDED_FOR="203.0.113.66",
            **through_proxy,
        )
    guesser = client.post(
        "/login/",
        {"username": agent.username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.66",
        **through_proxy,
    )
    assert guesser.status_code == 429
    owner = client.post(
        "/login/",
        {"username": agent.username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.20",
        **through_proxy,
    )
    assert owner.status_code == 302


def test_inactive_user_cannot_sign_in(client, agent):
    User.objects.filter(pk=agent.pk).update(is_active=False)
    response = client.post("/login/", {"username": agent.username, "password": PASSWORD})
    assert response.status_code == 200


def test_a_kiosk_device_stays_signed_in_for_a_month(client, make_person):
    kiosk = make_person("kiosk")
    client.post("/login/", {"username": kiosk.username, "password": PASSWORD})
    assert client.session.get_expiry_age() == 60 * 60 * 24 * 30
