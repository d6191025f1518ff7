"""The agency's console: booking by clicking on the map (the booking holds exactly the points
clicked, in WGS-84), another agency's booking never reaching the browser (DOM, responses, live
stream), and a settlement sheet signed."""

import json
import re
import uuid
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from conftest import screenshot

# Every map's clicks as the map itself saw them (its container points): Leaflet tells its init hooks.
HOOK_MAPS = """() => L.Map.addInitHook(function () {
    window.testClicks = [];
    this.on('click', (event) => window.testClicks.push({ map: this, point: event.containerPoint }));
}) && true"""

# Where the last click landed in WGS-84, by the map's own conversion and the tiles' system.
EXPECTED_PICK = """async () => {
    const { projection } = await import('/console/js/geo.js');
    const config = await (await fetch('/api/v1/console')).json();
    const { map, point } = window.testClicks.at(-1);
    const screen = map.containerPointToLatLng(point);
    return projection(config.tiles?.crs ?? 'wgs84').fromScreen(screen.lat, screen.lng);
}"""

# Every event the page's own EventSource carries, whatever its kind.
LISTEN = """() => new Promise((resolve, reject) => {
    window.heard = [];
    const source = new EventSource('/api/v1/stream');
    for (const kind of ['booking', 'alert', 'positions', 'settlement', 'notice', 'message']) {
        source.addEventListener(kind, (event) => window.heard.push({ kind, data: event.data }));
    }
    source.onopen = () => resolve(true);
    source.onerror = () => reject(new Error('stream refused'));
    window.testStream = source;
})"""


def json_bodies(page):
    """The JSON bodies of every /api/ response the page receives, as text (read as they come)."""
    bodies = []

    def read(response):
        if "/api/" in response.url and "json" in (response.headers.get("content-type") or ""):
            bodies.append((response.url, response.text()))

    page.on("response", read)
    return bodies


def booking_request(contact, minutes=90, latitude=29.8683, longitude=121.5440):
    pickup = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    return {
        "channel": "platform", "contactName": contact, "contactPhone": "0574-87001234", "passengers": 1, "vehicleClass": "sedan",
        "pickupTime": pickup.isoformat(), "serviceEnd": (pickup + timedelta(hours=2)).isoformat(),
        "pickup": {"latitude": latitude, "longitude": longitude, "address": "天一广场"},
        "destination": {"latitude": 29.8750, "longitude": 121.5520, "address": "宁波市政府"},
    }


def cancel(demo, booking_id, user):
    demo.call("POST", f"/api/v1/bookings/{booking_id}/cancel", {"reason": "浏览器测试结束"}, user=user)


def test_agency_books_by_clicking_two_points_on_the_map(demo, open_console):
    watched = open_console("agency1")
    page = watched.page
    bodies = json_bodies(page)
    page.evaluate(HOOK_MAPS)
    page.goto(f"{demo.base}/#/book")
    the_map = page.locator("#book-map.leaflet-container")
    expect(the_map).to_be_visible()
    box = the_map.bounding_box()
    clicks = [(round(box["width"] * 0.35), round(box["height"] * 0.4)), (round(box["width"] * 0.65), round(box["height"] * 0.65))]
    expected = []
    for (x, y), place in zip(clicks, ["pickup", "destination"]):
        the_map.click(position={"x": x, "y": y})
        expect(page.locator(f"#{place}-coordinates[data-latitude]")).to_have_count(1)
        expected.append(page.evaluate(EXPECTED_PICK))
        shown = page.locator(f"#{place}-coordinates")
        assert abs(float(shown.get_attribute("data-latitude")) - expected[-1][0]) <= 1e-9
        assert abs(float(shown.get_attribute("data-longitude")) - expected[-1][1]) <= 1e-9
    assert expected[0] != expected[1]

    purpose = f"浏览器测试 {uuid.uuid4().hex[:8]}"
    page.fill("#book-pickup\\.address", "测试上车点")
    page.fill("#book-destination\\.address", "测试目的地")
    page.fill("#book-contactName", "测试联系人")
    page.fill("#book-passengers", "2")
    page.fill("#book-routeNotes", purpose)
    # The server's refusal is shown at the field it names.
    page.fill("#book-contactPhone", "12")
    page.click("#book-submit")
    expect(page.locator('[data-field="contactPhone"] .field-error')).to_be_visible()
    assert re.search(r"#/book$", page.url)

    page.fill("#book-contactPhone", "0574-87001234")
    page.click("#book-submit")
    page.wait_for_url(re.compile(r"#/booking/\d+$"))
    booking_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#screen > .loading")).to_have_count(0)
    try:
        status, body = demo.call("GET", f"/api/v1/bookings/{booking_id}", user="agency1")
        assert status == 200
        request = body["booking"]["request"]
        assert request["routeNotes"] == purpose and request["passengers"] == 2
        for place, (latitude, longitude) in zip(["pickup", "destination"], expected):
            assert abs(request[place]["latitude"] - latitude) <= 1e-6, (place, request[place], latitude)
            assert abs(request[place]["longitude"] - longitude) <= 1e-6, (place, request[place], longitude)

        # The booking as the agency's list shows it and as the page received it.
        page.goto(f"{demo.base}/#/bookings")
        row = page.locator(f'#bookings-list tr[data-booking="{booking_id}"]')
        expect(row).to_be_visible()
        row.click()
        expect(page.locator("#booking-detail h3")).to_contain_text(str(booking_id))
        seen = [item for _, text in bodies for item in walk(json.loads(text)) if "request" in item and item.get("id") == booking_id]
        assert seen, "the list the page received holds the new booking"
        for place, (latitude, longitude) in zip(["pickup", "destination"], expected):
            assert abs(seen[-1]["request"][place]["latitude"] - latitude) <= 1e-6
            assert abs(seen[-1]["request"][place]["longitude"] - longitude) <= 1e-6
        screenshot(page, "agency")
    finally:
        cancel(demo, booking_id, "agency1")


def walk(value):
    """Every object inside a parsed JSON value."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def test_another_agencys_booking_never_reaches_agency1(demo, open_console):
    own = demo.call("GET", "/api/v1/me", user="agency1")[1]["agencyID"]
    watched = open_console("agency1")
    page = watched.page
    bodies = json_bodies(page)
    page.goto(f"{demo.base}/#/bookings")
    expect(page.locator("#bookings-list table")).to_be_visible()
    page.evaluate(LISTEN)

    marker = f"二号单位{uuid.uuid4().hex[:8]}"
    status, other = demo.call("POST", "/api/v1/bookings", booking_request(marker), user="agency2")
    assert status == 201, other
    other_id = other["booking"]["id"]
    control_id = None
    try:
        # Another change of agency2's booking, published before agency1's own booking below.
        status, _ = demo.call("POST", f"/api/v1/bookings/{other_id}/confirm", user="dispatcher")
        assert status in (200, 409)
        status, control = demo.call("POST", "/api/v1/bookings", booking_request("一号单位对照"), user="agency1")
        assert status == 201, control
        control_id = control["booking"]["id"]
        # The stream is in order: once agency1's later booking has arrived, anything of
        # agency2's would have arrived before it.
        page.wait_for_function("id => window.heard.some(e => e.kind === 'booking' && JSON.parse(e.data).id === id)", arg=control_id)
        expect(page.locator(f'#bookings-list tr[data-booking="{control_id}"]')).to_be_visible()

        assert page.locator(f'[data-booking="{other_id}"]').count() == 0
        assert marker not in page.content()
        heard = page.evaluate("window.heard")
        assert heard, "the stream carried agency1's own booking"
        for event in heard:
            assert marker not in event["data"]
            data = json.loads(event["data"])
            assert data.get("agencyID", own) == own, event
            assert data.get("bookingID") != other_id, event
            assert not (event["kind"] == "booking" and data.get("id") == other_id), event
        assert bodies, "the page's API responses were read"
        for url, text in bodies:
            assert marker not in text, url
            for item in walk(json.loads(text)):
                assert item.get("agencyID", own) == own, (url, item)
                assert not ("request" in item and item.get("id") == other_id), url
    finally:
        page.evaluate("window.testStream?.close()")
        cancel(demo, other_id, "agency2")
        if control_id:
            cancel(demo, control_id, "agency1")


def test_agency1_signs_a_settlement_sheet(demo, open_console):
    def issued():
        status, sheets = demo.call("GET", "/api/v1/settlements?state=issued", user="agency1")
        return status == 200 and sheets

    sheet = demo.wait_for(issued, timeout=180, what="a settlement sheet of agency1 waiting for its signature")[0]
    watched = open_console("agency1", "settlements")
    page = watched.page
    row = page.locator(f'#sheets-list tr[data-sheet="{sheet["id"]}"]')
    expect(row).to_be_visible()
    row.click()
    expect(page.locator("#sheet-total")).to_have_text(re.compile(r"¥\d+\.\d\d"))
    expected_total = sheet["totalFen"]
    assert page.locator("#sheet-total").inner_text() == f"¥{expected_total // 100}.{expected_total % 100:02d}"
    page.fill("#sheet-signed-by", "浏览器测试签认人")
    page.click("#sheet-sign")
    expect(page.locator(f'#sheet-detail dl[data-sheet="{sheet["id"]}"]')).to_have_attribute("data-state", "confirmed")
    expect(row).to_have_attribute("data-state", "confirmed")
    status, signed = demo.call("GET", f"/api/v1/settlements/{sheet['id']}", user="agency1")
    assert status == 200 and signed["state"] == "confirmed" and signed["confirmedBy"] == "浏览器测试签认人"
