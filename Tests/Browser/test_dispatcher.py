"""The dispatcher's board and a booking's page against the running demo: a new booking appears
live, the dispatcher confirms it and watches the engine match it, and an SLA clock turns amber
then red under an injected browser time. The demo's own dispatcher leaves a received booking 90 s
to the console's (`DemoOperations.confirmAfter`) before confirming it: the tests act within that."""

from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from conftest import screenshot

PICKUP = {"latitude": 29.8683, "longitude": 121.5440, "address": "天一广场 北门"}
DESTINATION = {"latitude": 29.8260, "longitude": 121.4610, "address": "栎社国际机场 T2"}


def book(demo, user, hours_ahead=5, contact="测试联系人"):
    """A booking made through the API as `user`; pick-up far enough ahead that no crew sets off
    during the test (the demo's crews leave 3 h before)."""
    pickup = datetime.now(timezone.utc) + timedelta(hours=hours_ahead)
    status, body = demo.call("POST", "/api/v1/bookings", {
        "channel": "platform", "contactName": contact, "contactPhone": "13800138000", "passengers": 3, "vehicleClass": "sedan",
        "pickupTime": pickup.isoformat(timespec="seconds"), "serviceEnd": (pickup + timedelta(hours=2)).isoformat(timespec="seconds"),
        "pickup": PICKUP, "destination": DESTINATION,
    }, user=user)
    assert status == 201, body
    return body["booking"]


def parse(iso):
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_a_new_booking_appears_on_the_board_live_and_filters_narrow_it(open_console, demo):
    watched = open_console("dispatcher", "board")
    page = watched.page
    expect(page.locator("#board")).to_be_visible()
    page.evaluate("window.boardNotReloaded = true")

    booking = book(demo, "agency1", contact="板测联系人")
    card = page.locator(f'.booking-card[data-booking="{booking["id"]}"]')
    expect(card).to_be_visible(timeout=15_000)
    assert page.evaluate("window.boardNotReloaded") is True, "the board reloaded instead of updating live"
    expect(card.locator(".route")).to_have_text("天一广场 北门 → 栎社国际机场 T2")
    expect(card.locator(".booking-id")).to_have_text(f'#{booking["id"]}')
    assert card.get_attribute("data-agency") == str(booking["agencyID"])

    # Another agency hides it; its own shows it; the text filter finds it by its contact.
    other = page.locator("#board-agency option").filter(has_not_text="全部").evaluate_all(
        f"(options) => options.map(o => o.value).filter(v => v !== '{booking['agencyID']}')")[0]
    page.select_option("#board-agency", other)
    expect(card).to_be_hidden()
    page.select_option("#board-agency", str(booking["agencyID"]))
    expect(card).to_be_visible()
    page.fill("#board-search", "板测联系人")
    expect(card).to_be_visible()
    page.fill("#board-search", "no such contact anywhere")
    expect(card).to_be_hidden()
    page.fill("#board-search", "")
    page.select_option("#board-agency", "")
    expect(card).to_be_visible()
    screenshot(page, "dispatcher")


def test_the_dispatcher_confirms_in_the_page_and_watches_the_engine_match(open_console, demo):
    watched = open_console("dispatcher", "board")
    page = watched.page
    expect(page.locator("#board")).to_be_visible()
    booking = book(demo, "agency1")
    card = page.locator(f'.booking-card[data-booking="{booking["id"]}"]')
    expect(card).to_be_visible(timeout=15_000)
    page.evaluate("window.pageNotReloaded = true")
    card.click()
    expect(page).to_have_url(f'{demo.base}/#/booking/{booking["id"]}')
    expect(page.locator("#booking-request [data-field=from]")).to_have_text("天一广场 北门")

    confirm = page.locator("#action-confirm")
    expect(page.locator("#booking-state")).to_have_attribute("data-state", "received")
    confirm.click()
    expect(page.locator('#booking-history tr[data-state="confirmed"]')).to_contain_text("dispatcher", timeout=10_000)

    # The engine matches and notifies by itself: the state and the plate arrive without reload.
    expect(page.locator('#booking-state[data-state="matched"], #booking-state[data-state="notified"]')).to_be_visible(timeout=60_000)
    crew = page.locator("#booking-crew")
    expect(crew).not_to_have_attribute("data-vehicle", "")
    status, stored = demo.call("GET", f'/api/v1/bookings/{booking["id"]}')
    assert status == 200 and stored["booking"]["vehicleID"] is not None, stored
    plate = next(v["file"]["plate"] for v in demo.call("GET", "/api/v1/vehicles")[1] if v["file"]["id"] == stored["booking"]["vehicleID"])
    expect(crew).to_contain_text(plate)
    assert page.evaluate("window.pageNotReloaded") is True, "the page reloaded instead of updating live"
    # The dispatcher's confirmation is on the record with their name.
    confirmed = [tr for tr in stored["booking"]["transitions"] if tr["state"] == "confirmed"]
    assert confirmed and confirmed[0]["by"] == "dispatcher", stored["booking"]["transitions"]
    expect(page.locator('#booking-explanation tr[data-verdict]').first).to_be_visible()
    screenshot(page, "booking")


def test_a_confirm_clock_turns_amber_at_risk_then_red_when_breached(open_console, demo):
    booking = book(demo, "agency1")
    watched = open_console("dispatcher")
    page = watched.page
    # The browser's clock is Playwright's from here on; it starts at the true time.
    page.clock.install(time=datetime.now(timezone.utc))
    page.goto(f'{demo.base}/#/booking/{booking["id"]}')
    page.reload()
    clock = page.locator('#booking-clocks span.clock[data-clock="confirm"]')
    expect(clock).to_be_visible()
    expect(clock).to_have_attribute("data-state", "ok")
    started, due = parse(clock.get_attribute("data-started")), parse(clock.get_attribute("data-due"))
    assert (due - started) == timedelta(minutes=5), "the confirm clock is 5 minutes"

    # 85 % of its time gone: at risk (the server's threshold is 80 %).
    now = page.evaluate("Date.now()") / 1000
    page.clock.fast_forward(int((started.timestamp() + 0.85 * 300 - now) * 1000))
    expect(clock).to_have_attribute("data-state", "amber")
    expect(clock).to_have_class("clock amber")
    # Past its due time: breached, counting how late.
    now = page.evaluate("Date.now()") / 1000
    page.clock.fast_forward(int((due.timestamp() + 20 - now) * 1000))
    expect(clock).to_have_attribute("data-state", "red")
    expect(clock).to_have_class("clock red")
    expect(clock).to_contain_text("超时")
