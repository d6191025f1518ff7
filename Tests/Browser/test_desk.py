"""The dispatcher's desk: the alert feed, the fleet's files, and a vehicle's page with its
terminal commands and photos, against the demo's own records."""

import hashlib
import os
import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from conftest import FLEETD, REPO, screenshot
from terminal808 import Terminal

# The test's own car: filed through the API, out of service (an unfinished repair) so the
# engine never sends it to a booking, and bound to the terminal the test runs.
PHOTO_PLATE = "浙B9D808"
PHOTO_PHONE = "019900000808"
PHOTO_TERMINAL_ID = "DESK808"


def sla_key(alert):
    owner = alert["bookingID"] if alert.get("bookingID") is not None else f"c{alert['complaintID']}"
    return f"sla-{owner}-{alert['clock']}-{alert['state']}"


def demo_car(demo):
    """A demo car whose terminal reports: on file with a terminal, with a position."""
    _, vehicles = demo.call("GET", "/api/v1/vehicles")
    _, latest = demo.call("GET", "/api/v1/positions/latest")
    reporting = {p["plate"] for p in latest}
    return next(v["file"]["plate"] for v in sorted(vehicles, key=lambda v: v["file"]["plate"])
                if v["file"].get("terminalPhone") and v["file"]["plate"] in reporting and v["file"]["plate"] != PHOTO_PLATE)


@pytest.fixture
def late_booking(demo):
    """A booking whose crew cannot be on site in time: picked up in six minutes, so its on-site
    clock (due 10 minutes before the pick-up) is breached the moment the crew is notified; near
    enough for a crew to make the pick-up itself, away from the demo's usual places so that no
    car is already there (an arrival would stop the clock before the sweep sees it run).
    Cancelled afterwards, freeing its crew."""
    pickup = datetime.now(timezone.utc) + timedelta(minutes=6)
    status, body = demo.call("POST", "/api/v1/bookings", {
        "channel": "platform", "contactName": "告警测试", "contactPhone": "13800138000", "passengers": 1, "vehicleClass": "sedan",
        "pickupTime": pickup.isoformat(timespec="seconds"), "serviceEnd": (pickup + timedelta(hours=1)).isoformat(timespec="seconds"),
        "pickup": {"latitude": 29.8850, "longitude": 121.5700, "address": "江北区 告警测试点"},
        "destination": {"latitude": 29.8683, "longitude": 121.5440, "address": "天一广场"},
    }, user="agency1")
    assert status == 201, body
    booking = body["booking"]
    yield booking
    demo.call("POST", f"/api/v1/bookings/{booking['id']}/cancel", {"reason": "browser test done"}, user="agency1")


def waiting_on(demo, booking, predicate, what):
    """demo.wait_for, and on a timeout where the booking stands and why no crew took it."""
    try:
        return demo.wait_for(predicate, timeout=120, every=2, what=what)
    except AssertionError as error:
        _, body = demo.call("GET", f"/api/v1/bookings/{booking['id']}")
        _, why = demo.call("GET", f"/api/v1/bookings/{booking['id']}/explanation")
        raise AssertionError(f"{error}: booking {booking['id']} is {body['booking']['state']}; {str(why)[:1000]}") from None


def test_an_sla_alert_reaches_the_alert_feed_live_linked_to_its_booking(demo, open_console, late_booking):
    page = open_console("dispatcher", "alerts").page
    expect(page.locator("#alert-list table")).to_be_visible(timeout=15_000)
    page.evaluate("window.alertsNotReloaded = true")
    status, body = demo.call("POST", f"/api/v1/bookings/{late_booking['id']}/confirm", {})
    assert status == 200, body

    def matched():
        # Matched now if a crew is free (the engine's own round may take it first, or later).
        status, _ = demo.call("POST", f"/api/v1/bookings/{late_booking['id']}/match", {})
        return status == 200 or demo.call("GET", f"/api/v1/bookings/{late_booking['id']}")[1]["booking"]["state"] != "confirmed"

    waiting_on(demo, late_booking, matched, "a crew for the late booking")
    alert = waiting_on(demo, late_booking, lambda: next((a for a in demo.call("GET", "/api/v1/alerts")[1] if a.get("bookingID") == late_booking["id"]), None),
                       "the late booking's SLA alert in the API")
    row = page.locator(f'#alert-list tr[data-alert="{sla_key(alert)}"]')
    expect(row).to_have_count(1, timeout=15_000)
    assert page.evaluate("window.alertsNotReloaded") is True, "the feed reloaded instead of updating live"
    expect(row).to_have_attribute("data-booking", str(late_booking["id"]))
    expect(row.locator(f'a[href="#/booking/{late_booking["id"]}"]')).to_have_count(1)
    expect(row.locator(".badge.red")).to_have_count(1)  # breached
    # Every SLA alert the API lists is on the screen, newest first.
    _, alerts = demo.call("GET", "/api/v1/alerts")
    page.select_option("#alerts-filter", "sla")
    expect(page.locator('#alert-list tr[data-type]:not([data-type="sla"])')).to_have_count(0)
    shown = page.locator('#alert-list tr[data-type="sla"]').evaluate_all("rows => rows.map(r => r.dataset.alert)")
    assert {sla_key(a) for a in alerts} <= set(shown)
    screenshot(page, "alerts")


def test_files_list_every_vehicle_with_the_apis_standing(demo, open_console):
    page = open_console("dispatcher", "files").page
    rows = page.locator("#vehicle-list tr[data-vehicle]")
    expect(rows.first).to_be_visible(timeout=15_000)

    def agree():
        # Standing follows charge and repairs as the demo runs: compare a reading taken together.
        shown = dict(rows.evaluate_all("rows => rows.map(r => [r.dataset.vehicle, r.dataset.dispatchable])"))
        _, vehicles = demo.call("GET", "/api/v1/vehicles")
        expected = {v["file"]["plate"]: str(v["dispatchable"]).lower() for v in vehicles}
        if shown == expected:
            return expected
        page.reload()
        expect(rows.first).to_be_visible(timeout=15_000)
        return None

    expected = demo.wait_for(agree, timeout=60, every=0, what="the files screen to show the API's vehicles and standing")
    assert len(expected) >= 20
    assert "false" in expected.values() or "true" in expected.values()
    # A plate's link opens its page.
    plate = sorted(expected)[0]
    expect(page.locator(f'#vehicle-list tr[data-vehicle="{plate}"] a')).to_have_attribute("href", f"#/vehicle/{quote(plate)}")
    _, drivers = demo.call("GET", "/api/v1/drivers")
    expect(page.locator("#driver-list tr[data-driver]")).to_have_count(len(drivers))


def test_a_refused_driver_file_shows_the_error_at_its_field(demo, open_console):
    page = open_console("dispatcher", "files").page
    page.click("#driver-form >> xpath=.. >> summary")
    form = page.locator("#driver-form")
    form.locator("[name=name]").fill("测试驾驶员")
    form.locator("[name=phone]").fill("13900000000")
    form.locator("[name=birthDate]").fill("1990-01-01")
    form.locator("[name=serviceSince]").fill("1980-01-01")  # before the birth date: refused
    form.locator("[name=licenceNumber]").fill("330200199001010000")
    form.locator("[name=licenceExpiry]").fill("2030-01-01")
    _, before = demo.call("GET", "/api/v1/drivers")
    with page.expect_response(lambda response: response.url.endswith("/api/v1/drivers") and response.request.method == "POST") as answer:
        form.locator("button[type=submit]").click()
    assert answer.value.status == 400 and answer.value.json()["field"] == "serviceSince"
    expect(form.locator("[name=serviceSince]")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("[name=serviceSince] + .field-error")).not_to_be_empty()
    _, after = demo.call("GET", "/api/v1/drivers")
    assert len(after) == len(before)


def test_dispatcher_locates_a_demo_car_and_sees_where_it_answered(demo, open_console):
    plate = demo_car(demo)
    page = open_console("dispatcher", f"vehicle/{quote(plate)}").page
    expect(page.locator("#vehicle-plate")).to_have_text(plate, timeout=15_000)
    page.select_option("#command-kind", "locate")
    page.click("#command-send")
    answer = page.locator("#command-answer")
    expect(answer).to_have_attribute("data-state", "answered", timeout=40_000)
    command = int(answer.get_attribute("data-command"))
    latitude, longitude = float(answer.get_attribute("data-latitude")), float(answer.get_attribute("data-longitude"))
    _, record = demo.call("GET", f"/api/v1/commands/{command}")
    location = (record["answer"].get("body") or record["answer"])["location"]
    assert record["plate"] == plate and record["command"] == "locate"
    assert (latitude, longitude) == (location["lat"], location["lon"])
    # The map's marker moved there, and the history lists the command.
    expect(page.locator("#vehicle-position")).to_have_attribute("data-latitude", re.compile(r"^\d"))
    expect(page.locator(f'#command-history tr[data-command="{command}"]')).to_have_attribute("data-state", "answered")
    screenshot(page, "vehicle")


def owner_url(demo):
    """The demo's private cluster as its owner (`fleetd terminal bind` writes there): where it
    lives and its port, as the demo's log says (a folder the postgres user cannot reach moves
    it to /var/tmp)."""
    log = Path(demo.log).read_text()
    moved = re.search(r"the cluster lives in (\S+)", log)
    cluster = Path(moved.group(1)) if moved else Path(demo.data_dir) / "postgres"
    port, database = re.search(r"url=postgres://postgres@127\.0\.0\.1:(\d+)/(\w+)", log).groups()
    password = (cluster / "fleet-owner.password").read_text().strip()
    return f"postgres://postgres:{quote(password, safe='')}@127.0.0.1:{port}/{database}?sslmode=disable"


@pytest.fixture
def photo_terminal(demo, open_console):
    status, body = demo.call("POST", "/api/v1/vehicles", {"plate": PHOTO_PLATE, "vehicleClass": "sedan", "seats": 5, "reserve": True})
    assert status == 201, body
    started = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat(timespec="seconds").replace("+00:00", "Z")
    _, detail = demo.call("GET", f"/api/v1/vehicles/{quote(PHOTO_PLATE)}")
    if not any(m["kind"] == "repair" and m.get("finishedAt") is None for m in detail["maintenance"]):
        status, body = demo.call("POST", f"/api/v1/vehicles/{quote(PHOTO_PLATE)}/maintenance",
                                 {"kind": "repair", "startedAt": started, "description": "browser test's camera car"})
        assert status == 201, body
    subprocess.run([str(FLEETD), "terminal", "bind", "--phone", PHOTO_PHONE, "--plate", PHOTO_PLATE, "--terminal-id", PHOTO_TERMINAL_ID,
                    "--database-url", owner_url(demo)], cwd=REPO, check=True, capture_output=True, timeout=120,
                   env=dict(os.environ, LOG_LEVEL="error"))
    # A small JPEG made by the browser's own encoder: one frame of 0x0801 holds it.
    page = open_console("dispatcher").page
    jpeg = bytes(page.evaluate("""() => new Promise(done => {
        const canvas = Object.assign(document.createElement('canvas'), { width: 24, height: 16 });
        const g = canvas.getContext('2d'); g.fillStyle = '#1f6feb'; g.fillRect(0, 0, 24, 16); g.fillStyle = '#d69e2e'; g.fillRect(6, 4, 12, 8);
        canvas.toBlob(async blob => done([...new Uint8Array(await blob.arrayBuffer())]), 'image/jpeg', 0.6);
    })"""))
    assert jpeg[:2] == b"\xff\xd8" and len(jpeg) < 980
    _, latest = demo.call("GET", "/api/v1/positions/latest")
    terminal = Terminal("127.0.0.1", demo.gateway_port, PHOTO_PHONE, PHOTO_TERMINAL_ID, PHOTO_PLATE,
                        (latest[0]["latitude"], latest[0]["longitude"]), jpeg).start()
    yield terminal
    terminal.close()


def test_a_photo_command_shows_the_picture_the_terminal_uploaded(demo, open_console, photo_terminal):
    page = open_console("dispatcher", f"vehicle/{quote(PHOTO_PLATE)}").page
    expect(page.locator("#vehicle-plate")).to_have_text(PHOTO_PLATE, timeout=15_000)
    page.select_option("#command-kind", "photo")
    page.fill("#command-form [name=channel]", "2")
    # The bytes delivered to the page for each photo, as they pass.
    delivered = {}

    def relay(route):
        response = route.fetch()
        delivered[route.request.url.rsplit("/", 1)[1]] = response.body()
        route.fulfill(response=response)

    page.route("**/api/v1/media/*", relay)
    page.click("#command-send")
    expect(page.locator("#command-answer")).to_have_attribute("data-state", "answered", timeout=40_000)
    figure = page.locator(f'#vehicle-photos figure[data-media-id="{photo_terminal.photos[0]}"]')
    expect(figure).to_have_count(1, timeout=60_000)
    image = figure.locator("img")
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 24
    assert image.get_attribute("src").startswith("blob:")
    status, stored = demo.call("GET", f"/api/v1/media/{figure.get_attribute('data-media')}")
    assert status == 200
    received = delivered[figure.get_attribute("data-media")]
    assert hashlib.sha256(received).hexdigest() == hashlib.sha256(stored).hexdigest() == hashlib.sha256(photo_terminal.photo).hexdigest()
    # The image shown is that blob, byte for byte in length.
    assert int(image.get_attribute("data-bytes")) == len(stored)


def test_an_auditor_reads_a_vehicle_but_has_no_command_form(demo, open_console):
    plate = demo_car(demo)
    page = open_console("auditor", f"vehicle/{quote(plate)}").page
    expect(page.locator("#vehicle-plate")).to_have_text(plate, timeout=15_000)
    expect(page.locator("#command-history table")).to_be_visible()
    expect(page.locator("#vehicle-position")).to_have_attribute("data-latitude", re.compile(r"^\d"))
    expect(page.locator("#command-form")).to_have_count(0)
    expect(page.locator("#command-send")).to_have_count(0)
