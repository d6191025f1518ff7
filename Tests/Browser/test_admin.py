"""The administrator's and auditor's screens and the wall: a user created in the browser is
listed by the API and its creation is on the auditor's audit screen; the wall shows as many
vehicles online as the API's latest positions give, on one 1920x1080 screen."""

import re
import time
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from conftest import screenshot

WALL = {"width": 1920, "height": 1080}
NUMBER = re.compile(r"^\d+$")


def test_administrator_creates_a_user_and_the_auditor_sees_it(demo, open_console):
    username = f"ops{int(time.time() * 1000) % 10**9}"
    _, agencies = demo.call("GET", "/api/v1/agencies", user="admin")
    agency = agencies[0]

    page = open_console("admin", "users").page
    page.fill("#new-username", username)
    page.fill("#new-password", "Ningbo-console-2026!")
    page.select_option("#new-role", "agency")
    expect(page.locator("#new-agency")).to_be_enabled()
    page.select_option("#new-agency", str(agency["id"]))
    page.click("#create-user")
    row = page.locator(f'tr[data-username="{username}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text(agency["name"])
    screenshot(page, "admin")

    status, users = demo.call("GET", "/api/v1/users", user="admin")
    assert status == 200
    created = next(u for u in users if u["username"] == username)
    assert created["role"] == "agency" and created["agencyID"] == agency["id"]
    assert row.get_attribute("data-user") == str(created["id"])

    # The auditor reads the trail filtered by the action, and finds this creation.
    audit = open_console("auditor", "audit").page
    expect(audit.locator("#audit-results table")).to_be_visible()
    audit.fill("#audit-action", "user-create")
    audit.click("#audit-search")
    # Filtered: nothing but creations, once the search's answer replaced the unfiltered first page
    # (which, recent as it is, may hold the creation too).
    expect(audit.locator('#audit-results tbody tr[data-action]:not([data-action="user-create"])')).to_have_count(0)
    line = audit.locator(f'tr[data-action="user-create"][data-object="user:{created["id"]}"]')
    expect(line).to_be_visible()
    expect(line).to_contain_text("admin")
    actions = audit.locator("#audit-results tbody tr").evaluate_all("rows => rows.map(r => r.dataset.action)")
    assert actions and set(actions) == {"user-create"}, actions
    # The auditor reads users and cannot create them.
    audit.goto(f"{demo.base}/#/users")
    expect(audit.locator(f'tr[data-username="{username}"]')).to_be_visible()
    expect(audit.locator("#new-user")).to_have_count(0)
    expect(audit.locator('tr[data-username] button')).to_have_count(0)


def online_now(demo):
    """Vehicles whose newest position is at most 5 minutes old, as the API gives them."""
    _, latest = demo.call("GET", "/api/v1/positions/latest")
    cutoff = datetime.now(timezone.utc) - timedelta(minutes=5)
    return sum(1 for p in latest if datetime.fromisoformat(p["time"].replace("Z", "+00:00")) >= cutoff), len(latest)


def test_wall_shows_the_vehicles_online_the_api_gives(demo, open_console):
    page = open_console("dispatcher", "wall", viewport=WALL).page
    online = page.locator("#wall-online")
    # The count moves when a car goes silent: compare the screen with the API until they agree.
    demo.wait_for(lambda: online.text_content() == str(online_now(demo)[0]), timeout=30, what="the wall's vehicles online to match the API")
    expected, total = online_now(demo)
    assert expected > 0
    expect(online).to_have_attribute("data-total", str(total))
    expect(page.locator("#wall-bookings")).to_have_text(NUMBER)
    expect(page.locator("[data-count=inService]")).to_have_text(NUMBER)
    # One screen, read across the room: nothing scrolls.
    overflow = page.evaluate("[document.documentElement.scrollHeight, document.documentElement.scrollWidth, innerHeight, innerWidth]")
    assert overflow[0] <= overflow[2] and overflow[1] <= overflow[3], overflow
    screenshot(page, "wall")
