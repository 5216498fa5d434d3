"""The kiosk and the visitor's own pages in real headless Chromium.

A touch screen in portrait (1080x1920) and landscape (1280x800): purpose, service, ticket,
every target at least 64 px tall, nothing wider than the screen. Set LAYANI_SCREENSHOT_DIR
to keep screenshots of every step.
"""

from datetime import time, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from layani.branches.actions import check_in_visit, policy_of
from layani.branches.models import (
    Appointment,
    Branch,
    OpeningHours,
    Service,
    Visit,
    VisitStatus,
)
from layani.branches.queue_queries import service_day
from layani.core.choices import Purpose
from layani.staff.models import Role
from layani.testing.browser import (
    PHONE,
    ChromiumSession,
    horizontal_overflow,
    save_screenshot,
    sign_in,
)

PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1280, "height": 800}
MIN_TARGET = 64


def more_services(branch: Branch) -> None:
    """A service under each of the other purposes, as a real branch has."""
    for purpose, code, name_id, name_en, prefix in (
        (Purpose.ROUTINE, "kartu", "Ganti kartu ATM", "Replace an ATM card", "K"),
        (Purpose.ROUTINE, "data", "Ubah data nasabah", "Update your details", "D"),
        (Purpose.COMPLAINT, "keluhan", "Keluhan transaksi", "Transaction complaint", "C"),
        (Purpose.SPECIAL_REQUEST, "kredit", "Pengajuan kredit", "Loan application", "S"),
        (Purpose.PROSPECT, "rekening", "Buka rekening baru", "Open a new account", "P"),
    ):
        branch.services.add(
            Service.objects.create(
                purpose=purpose, code=code, name_id=name_id, name_en=name_en, ticket_prefix=prefix
            )
        )


def touch_page(chromium: ChromiumSession, viewport: dict[str, int]) -> Any:
    """A touch screen at scale 1 (the kiosk's own size, not a phone's)."""
    context = chromium.browser.new_context(viewport=viewport, has_touch=True, locale="id-ID")
    context.set_default_timeout(10_000)
    return context.new_page()


def small_targets(page: Any) -> list[str]:
    """Buttons, choices and inputs on screen that are shorter than a finger needs."""
    return page.evaluate(
        """(min) => [...document.querySelectorAll(
              '#kiosk-screen .kiosk-btn, #kiosk-screen .kiosk-choice, #kiosk-screen .chip span,'
              + ' #kiosk-screen input.kiosk-input, .kiosk-lang')]
            .filter(el => el.offsetParent !== null)
            .filter(el => el.getBoundingClientRect().height < min)
            .map(el => (el.id || el.className) + ':'
                       + Math.round(el.getBoundingClientRect().height))""",
        MIN_TARGET,
    )


def fits_the_screen(page: Any) -> bool:
    return bool(
        page.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight + 1")
    )


def take_a_ticket(page: Any, kiosk_url: str, shot: str) -> None:
    from playwright.sync_api import expect

    page.goto(kiosk_url)
    expect(page.locator("#kiosk-screen [data-step=purpose]")).to_be_visible()
    assert small_targets(page) == []
    assert horizontal_overflow(page) == 0
    assert fits_the_screen(page), "the first step scrolls"
    save_screenshot(page, f"{shot}-1-purpose")

    page.locator("[data-purpose=routine]").tap()
    expect(page.locator("[data-service=bayar]")).to_be_visible()
    assert small_targets(page) == []
    save_screenshot(page, f"{shot}-2-service")

    page.locator("[data-service=bayar]").tap()
    expect(page.locator("#take-ticket")).to_be_visible()
    page.locator("#id_identifier").fill("081234567890")
    page.locator(".chip:has(input[value=elderly])").tap()
    page.locator("#id_note").fill("Ganti kartu ATM yang rusak")
    page.locator("#id_identifier").blur()
    assert small_targets(page) == []
    assert horizontal_overflow(page) == 0
    assert fits_the_screen(page), "the details step scrolls"
    save_screenshot(page, f"{shot}-3-details")

    # A double tap: the button is disabled while the first is sent; the server takes one.
    page.locator("#take-ticket").dblclick()
    expect(page.locator("#ticket-number")).to_be_visible()


@pytest.mark.browser
def test_kiosk_check_in_shows_the_ticket_on_a_touch_screen(
    chromium: ChromiumSession,
    live_server: Any,
    make_person: Any,
    branch: Branch,
    service: Service,
) -> None:
    from playwright.sync_api import expect

    kiosk_user = make_person(Role.KIOSK, branches=[branch])  # before the browser starts
    more_services(branch)
    kiosk_url = live_server.url + reverse("queue:kiosk", args=[branch.code])

    page = touch_page(chromium, PORTRAIT)
    sign_in(page, live_server.url, kiosk_user.username)
    take_a_ticket(page, kiosk_url, "kiosk-portrait")
    expect(page.locator("#ticket-number")).to_have_text("B001")
    expect(page.locator("#ticket-position")).to_have_text("1")
    assert small_targets(page) == []
    assert horizontal_overflow(page) == 0
    assert fits_the_screen(page), "the ticket screen scrolls"
    save_screenshot(page, "kiosk-portrait-4-ticket")

    page.locator("#send-whatsapp").tap()
    expect(page.locator("#ticket-sent")).to_be_visible()
    save_screenshot(page, "kiosk-portrait-5-sent")

    # Left alone, the ticket screen goes back to the start (20 s; 1 s here).
    assert page.locator("[data-step=ticket]").get_attribute("data-idle-seconds") == "20"
    page.evaluate("document.querySelector('[data-step=ticket]').dataset.idleSeconds = '1'")
    page.dispatch_event("#kiosk-screen", "pointerdown")
    expect(page.locator("#kiosk-screen [data-step=purpose]")).to_be_visible(timeout=5_000)

    wide = touch_page(chromium, LANDSCAPE)
    sign_in(wide, live_server.url, kiosk_user.username)
    take_a_ticket(wide, kiosk_url, "kiosk-landscape")
    expect(wide.locator("#ticket-number")).to_have_text("B002")
    expect(wide.locator("#ticket-position")).to_have_text("2")
    assert small_targets(wide) == []
    assert horizontal_overflow(wide) == 0
    assert fits_the_screen(wide), "the ticket screen scrolls"
    save_screenshot(wide, "kiosk-landscape-4-ticket")

    # The printed slip: 58 mm wide, with the QR code of the live-status page.
    slip = chromium.new_page({"width": 400, "height": 900})
    slip.goto(live_server.url + wide.locator("#print-ticket").get_attribute("data-print-url"))
    slip.emulate_media(media="print")
    width = slip.locator("#printable-ticket").bounding_box()["width"]
    assert abs(width - 58 / 25.4 * 96) < 2, f"the slip is {width}px wide, not 58 mm"
    expect(slip.locator(".qr-figure svg")).to_be_visible()
    save_screenshot(slip, "ticket-58mm-print")
    slip.emulate_media(media="screen")
    slip.goto(live_server.url + reverse("queue:join_qr", args=[branch.code]))
    save_screenshot(slip, "join-qr-poster")

    # Back to the start, then the other entries of the first screen.
    wide.locator("#kiosk-done").tap()
    wide.locator("#kiosk-appointment").tap()
    expect(wide.locator("#check-in-appointment")).to_be_visible()
    assert small_targets(wide) == []
    save_screenshot(wide, "kiosk-landscape-6-appointment")

    chromium.close()  # the database is read from the test thread only without the browser
    tickets = Visit.objects.order_by("ticket_number")
    assert [v.ticket_number for v in tickets] == ["B001", "B002"], "a double tap issued two"
    assert (tickets[1].priority_category, tickets[1].note) == (
        "elderly",
        "Ganti kartu ATM yang rusak",
    )


@pytest.mark.browser
def test_kiosk_exit_rating_with_five_faces(
    chromium: ChromiumSession,
    live_server: Any,
    make_person: Any,
    branch: Branch,
    service: Service,
) -> None:
    from playwright.sync_api import expect

    kiosk_user = make_person(Role.KIOSK, branches=[branch])
    visit = check_in_visit(branch=branch, service=service, customer=None, actor=None)
    Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.DONE, finished_at=timezone.now())

    page = touch_page(chromium, LANDSCAPE)
    sign_in(page, live_server.url, kiosk_user.username)
    page.goto(live_server.url + reverse("queue:kiosk", args=[branch.code]))
    page.locator("#kiosk-rate").tap()
    page.locator("#id_ticket_number").fill("b001")
    page.locator("#find-ticket").tap()
    expect(page.locator(".face")).to_have_count(5)
    page.locator(".face[data-rating='4']").tap()
    assert small_targets(page) == []
    assert fits_the_screen(page), "the rating screen scrolls"
    save_screenshot(page, "kiosk-landscape-7-rate")
    page.locator("#send-rating").tap()
    expect(page.locator("[data-step=rate-done]")).to_have_attribute("data-already", "0")
    chromium.close()
    assert Visit.objects.get(pk=visit.pk).survey_response.rating == 4


@pytest.mark.browser
def test_remote_join_on_a_phone_then_live_status(
    chromium: ChromiumSession, live_server: Any, branch: Branch, service: Service
) -> None:
    from playwright.sync_api import expect

    for weekday in range(7):  # open all day, so the booking page has times to show
        OpeningHours.objects.create(
            branch=branch, weekday=weekday, opens_at=time(0), closes_at=time(23, 59)
        )
    policy = policy_of(branch)
    policy.slot_minutes = 60
    policy.save()
    served = check_in_visit(branch=branch, service=service, customer=None, actor=None)
    Visit.objects.filter(pk=served.pk).update(status=VisitStatus.DONE, finished_at=timezone.now())
    check_in_visit(branch=branch, service=service, customer=None, actor=None)  # one ahead
    page = chromium.new_page(PHONE, phone=True)
    page.goto(live_server.url + reverse("queue:join", args=[branch.code]))
    assert horizontal_overflow(page) == 0
    page.locator("label.option").first.tap()
    page.locator("#id_phone").fill("0813 5555 1234")
    page.locator("#id_name").fill("Dewi")
    save_screenshot(page, "join-phone")
    page.locator("#join-submit").tap()
    expect(page.locator("#status-ticket")).to_have_text("B003")
    expect(page.locator("#status-position")).to_have_text("2")
    assert page.locator("#visit-status").get_attribute("hx-trigger") == "every 10s"
    assert horizontal_overflow(page) == 0
    save_screenshot(page, "status-phone")

    tomorrow = (service_day(branch) + timedelta(days=1)).isoformat()
    page.goto(live_server.url + reverse("queue:book", args=[branch.code]))
    page.locator("label.option:has(input[name=service])").first.tap()
    page.locator(f"label.day:has(input[value='{tomorrow}'])").tap()
    expect(page.locator("#slots input[name=starts_at]")).to_have_count(23)
    page.locator("label.slot").nth(9).tap()
    page.locator("#id_name").fill("Rina")
    page.locator("#id_phone").fill("0812 7777 8888")
    assert horizontal_overflow(page) == 0
    save_screenshot(page, "book-phone")
    page.locator("#book-submit").tap()
    expect(page.locator("#booking-code")).to_be_visible()
    code = page.locator("#booking-code").inner_text()
    save_screenshot(page, "booked-phone")

    page.goto(live_server.url + reverse("queue:visit_feedback", args=[served.public_token]))
    expect(page.locator(".face")).to_have_count(5)
    page.locator(".face[data-rating='2']").tap()
    page.locator("#id_comment").fill("Antrean terlalu lama")
    assert horizontal_overflow(page) == 0
    save_screenshot(page, "feedback-phone")
    page.locator("#feedback-submit").tap()
    expect(page.locator("#feedback")).to_have_attribute("data-state", "thanks")
    chromium.close()
    assert Appointment.objects.get().reference == code
    assert Visit.objects.get(pk=served.pk).survey_response.rating == 2
