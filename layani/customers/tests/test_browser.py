"""The customer page in a real browser: what an agent sees before they answer the customer."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from layani.customers.actions import CustomerDetails, create_customer
from layani.customers.models import Customer
from layani.testing.browser import (
    PHONE,
    ChromiumSession,
    horizontal_overflow,
    save_screenshot,
    sign_in,
)

WHAT_MATTERS = (
    "Hubungi lewat WhatsApp setelah jam 17.00, jangan telepon saat jam kerja. "
    "Ingin dilayani petugas yang sama seperti kunjungan terakhir."
)
TAGS = ["whatsapp", "sore hari", "petugas tetap"]


def _customer() -> Customer:
    return create_customer(
        CustomerDetails.from_values(
            {
                "full_name": "Ratna Wijaya",
                "status": "customer",
                "tier": "gold",
                "membership_number": "M-000123",
                "phone": "0812 3456 7890",
                "what_matters": WHAT_MATTERS,
                "what_matters_tags": TAGS,
            }
        ),
        actor=None,
    )


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return box


def _check_customer_file(page: Any, customer: Customer) -> None:
    from playwright.sync_api import expect

    expect(page.locator("h1")).to_have_text(customer.full_name)
    pinned = page.locator("#what-matters")
    expect(pinned).to_be_visible()
    expect(pinned.locator(".what-matters-text")).to_have_text(WHAT_MATTERS)
    expect(pinned.locator(".tags li")).to_have_text(TAGS)
    event = page.locator("#timeline li.event-customer_created")
    expect(event).to_be_visible()
    expect(event.locator(".event-summary")).to_have_text(customer.full_name)
    expect(page.locator("#timeline li.event-identity_added .event-summary")).to_contain_text(
        "+6281234567890"
    )


@pytest.mark.browser
def test_agent_sees_what_matters_on_the_customer_page(
    chromium: ChromiumSession,
    live_server: Any,
    agent: User,
) -> None:
    customer = _customer()  # before the browser starts: see layani.testing.browser
    url = live_server.url + reverse("customers:detail", args=[customer.pk])

    page = chromium.new_page()
    sign_in(page, live_server.url, agent.username)
    page.goto(url)
    _check_customer_file(page, customer)
    pinned, timeline = _box(page, "#what-matters"), _box(page, "#timeline")
    assert pinned["y"] < timeline["y"], "what matters is pinned above the timeline"
    assert pinned["y"] < page.viewport_size["height"] / 2, "what matters is near the top"
    assert horizontal_overflow(page) == 0
    save_screenshot(page, "customer-desktop")

    phone = chromium.new_page(PHONE, phone=True, storage_state=page.context.storage_state())
    phone.goto(url)
    _check_customer_file(phone, customer)
    assert horizontal_overflow(phone) == 0, "the page scrolls sideways on a phone"
    pinned = _box(phone, "#what-matters")
    assert pinned["x"] >= 0 and pinned["x"] + pinned["width"] <= PHONE["width"]
    text = _box(phone, "#what-matters .what-matters-text")
    assert text["y"] + text["height"] <= PHONE["height"], "what matters is on the first screen"
    save_screenshot(phone, "customer-phone")
