"""Every screen in every role's menu renders, in Chinese and in English, without a console error,
a failed file or a request off 127.0.0.1 (the fixture checks those when the page closes): each
screen's module loads, draws its section and shows no error notice."""

import pytest
from playwright.sync_api import expect

# What each role's menu holds at least: a role that lost a screen, or gained another's, fails.
MENUS = {
    "admin": {"map", "board", "alerts", "replay", "files", "settlements", "statements", "complaints", "users", "tariffs", "zones", "audit", "wall"},
    "dispatcher": {"map", "board", "alerts", "replay", "files", "settlements", "complaints", "zones", "wall"},
    "auditor": {"map", "board", "alerts", "replay", "files", "settlements", "statements", "complaints", "users", "tariffs", "zones", "audit", "wall"},
    "agency1": {"book", "bookings", "settlements", "statements", "complaints"},
    "approver3": {"book", "bookings"},
    "driver1": {"jobs"},
}


@pytest.mark.parametrize("user", list(MENUS))
def test_every_screen_of_a_role_renders_in_both_languages(open_console, user):
    page = open_console(user).page
    menu = page.locator("#bar nav a").evaluate_all("links => links.map(a => a.getAttribute('href').slice(2))")
    assert set(menu) == MENUS[user], menu
    for language in ["zh", "en"]:
        for path in menu:
            page.click(f'#bar nav a[href="#/{path}"]')
            expect(page.locator(f"section.screen.screen-{path}")).to_be_visible(timeout=15_000)
            expect(page.locator("main .notice.error")).to_have_count(0)
        if language == "zh":
            expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
            page.click("#language")
            expect(page.locator("html")).to_have_attribute("lang", "en")
            expect(page.locator("#sign-out")).to_have_text("Sign out")
    # Back to Chinese: the choice is kept in the browser.
    page.click("#language")
    expect(page.locator("#sign-out")).to_have_text("退出")
