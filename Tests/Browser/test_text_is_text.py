"""What an agency types reaches the dispatcher's screens as text, never as markup: an address and
a contact written as HTML show their angle brackets and create no element, on the board, on the
booking's page and in the map's tooltip."""

from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

MARKUP = '<b id="injected">粗体</b><img src="x" id="injected-image">'


def test_html_typed_by_an_agency_is_shown_as_text(open_console, demo):
    pickup = datetime.now(timezone.utc) + timedelta(hours=6)
    status, body = demo.call("POST", "/api/v1/bookings", {
        "channel": "platform", "contactName": MARKUP[:40], "contactPhone": "13800138000", "passengers": 1, "vehicleClass": "sedan",
        "pickupTime": pickup.isoformat(timespec="seconds"), "serviceEnd": (pickup + timedelta(hours=1)).isoformat(timespec="seconds"),
        "pickup": {"latitude": 29.8683, "longitude": 121.5440, "address": MARKUP},
        "destination": {"latitude": 29.8750, "longitude": 121.5520, "address": "宁波市政府"},
    }, user="agency1")
    assert status == 201, body
    booking = body["booking"]["id"]
    page = open_console("dispatcher", "board").page
    card = page.locator(f'.booking-card[data-booking="{booking}"]')
    expect(card).to_be_visible(timeout=15_000)
    expect(card).to_contain_text('<b id="injected">')
    page.goto(f"{demo.base}/#/booking/{booking}")
    expect(page.locator(".leaflet-tooltip").filter(has_text='<b id="injected">').first).to_be_visible()
    expect(page.locator("section.screen")).to_contain_text('<b id="injected">粗体</b>')
    assert page.locator("#injected, #injected-image").count() == 0
