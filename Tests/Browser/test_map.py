"""The map in the browser: GCJ-02 against the published vectors, the offline base (service areas
and driven roads), the live map's fleet moving without a reload, and replay's distance against
the track API's own points."""

import math
import urllib.parse
from datetime import datetime, timedelta, timezone

from conftest import screenshot

CHINA = timezone(timedelta(hours=8))
# WGS-84 -> GCJ-02, as published with the algorithm.
VECTORS = [
    [[39.911954, 116.377817], [39.91334545536069, 116.38404722455657]],
    [[31.1774276, 121.5272106], [31.17530398364597, 121.531541859215]],
]


def metres(lat1, lon1, lat2, lon2):
    r, rad = 6371008.8, math.pi / 180
    s = math.sin((lat2 - lat1) * rad / 2) ** 2 + math.cos(lat1 * rad) * math.cos(lat2 * rad) * math.sin((lon2 - lon1) * rad / 2) ** 2
    return 2 * r * math.asin(min(1, math.sqrt(s)))


def track_metres(points):
    return sum(metres(a["latitude"], a["longitude"], b["latitude"], b["longitude"]) for a, b in zip(points, points[1:]))


def test_gcj02_matches_the_published_vectors_and_picks_back_within_half_a_metre(open_console):
    page = open_console("dispatcher").page
    results = page.evaluate(
        """async (vectors) => {
            const geo = await import('/console/js/geo.js');
            const { toScreen, fromScreen } = geo.projection('gcj02');
            return vectors.map(([[lat, lon]]) => {
                const shifted = toScreen(lat, lon);
                const back = fromScreen(shifted[0], shifted[1]);
                return { shifted, back, metres: geo.metres(lat, lon, back[0], back[1]) };
            });
        }""",
        VECTORS,
    )
    for (wgs, gcj), result in zip(VECTORS, results):
        assert abs(result["shifted"][0] - gcj[0]) < 1e-6 and abs(result["shifted"][1] - gcj[1]) < 1e-6, (wgs, result)
        assert result["metres"] < 0.5, (wgs, result)
        assert metres(*wgs, *result["back"]) < 0.5


def test_offline_map_draws_the_service_areas_and_the_roads_driven(demo, open_console):
    _, config = demo.call("GET", "/api/v1/console")
    _, roads = demo.call("GET", "/api/v1/roads")
    assert config.get("tiles") is None, "this test is of the offline base"
    assert len(config["city"]) > 0 and len(roads["segments"]) > 0
    page = open_console("dispatcher", "map").page
    page.wait_for_selector("#live-map path.map-roads")
    areas = page.eval_on_selector_all("#live-map path.map-area", "paths => paths.map(p => p.getAttribute('d'))")
    road = page.get_attribute("#live-map path.map-roads", "d")
    assert len(areas) == len(config["city"]) and all(d and d.startswith("M") for d in areas), areas
    # The roads are one path of many segments, each one a move and a line.
    assert road.count("M") >= min(len(roads["segments"]), 10) // 2, road[:200]
    assert page.locator("#live-map .leaflet-control-scale-line").inner_text().strip() != ""


def test_live_map_shows_every_vehicle_by_state_and_moves_them_without_a_reload(demo, open_console):
    _, latest = demo.call("GET", "/api/v1/positions/latest")
    watched = open_console("dispatcher", "map")
    page = watched.page
    page.wait_for_function("(n) => window.fleetVehicles && window.fleetVehicles.snapshot().length >= n", arg=len(latest))
    before = page.evaluate("window.fleetVehicles.snapshot()")
    assert len(before) >= 20 and {v["plate"] for v in before} >= {p["plate"] for p in latest}
    assert all(v["state"] in ("free", "onJob", "reserve", "out", "silent") for v in before)
    # The panel's counts add up to the vehicles drawn.
    counts = {b.get_attribute("data-state"): int(b.get_attribute("data-count")) for b in page.locator("#state-counts button").all()}
    assert counts["all"] == len(before) == sum(n for state, n in counts.items() if state != "all"), counts

    # The out-of-service list is the files' verdict, each with its reasons.
    _, vehicles = demo.call("GET", "/api/v1/vehicles")
    plates = {v["file"]["plate"] for v in vehicles}
    for row in page.locator("#out-of-service tr[data-out]").all():
        assert row.get_attribute("data-out") in plates
        assert row.locator("li").count() >= 1

    # The same document throughout: the marker set here survives only without a reload.
    page.evaluate("window.sameDocument = true")
    by_id = {v["id"]: [v["latitude"], v["longitude"]] for v in before}
    page.wait_for_function(
        """(before) => window.fleetVehicles.snapshot().some(v => before[v.id]
            && (before[v.id][0] !== v.latitude || before[v.id][1] !== v.longitude))""",
        arg=by_id, timeout=120_000)
    assert page.evaluate("window.sameDocument") is True
    screenshot(page, "map")

    # A plate searched: the map centres on it and its card says plate, state, and links its file.
    snapshot = page.evaluate("window.fleetVehicles.snapshot()")
    target = next((v for v in snapshot if v["state"] != "silent"), snapshot[0])
    page.fill("#plate-search", target["plate"])
    page.press("#plate-search", "Enter")
    card = page.locator(f'.vehicle-card[data-vehicle="{target["plate"]}"]')
    card.wait_for()
    assert card.locator("a").get_attribute("href") == f"#/vehicle/{urllib.parse.quote(target['plate'])}"
    assert card.get_attribute("data-state") in ("free", "onJob", "reserve", "out", "silent")


def test_replay_distance_equals_the_track_apis_points(demo, open_console):
    _, vehicles = demo.call("GET", "/api/v1/vehicles")

    def moved():
        now = datetime.now(timezone.utc)
        span = urllib.parse.urlencode({"from": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), "to": now.strftime("%Y-%m-%dT%H:%M:%SZ")})
        for v in vehicles:
            status, track = demo.call("GET", f"/api/v1/vehicles/{urllib.parse.quote(v['file']['plate'])}/track?{span}")
            if status == 200 and track_metres(track["points"]) > 50:
                return v["file"]["plate"]
        return None

    plate = demo.wait_for(moved, timeout=180, every=5, what="a demo vehicle that drove in the last hour")
    page = open_console("dispatcher", "replay").page
    page.wait_for_selector(f'#replay-plates option[value="{plate}"]', state="attached")
    page.select_option("#replay-plates", [plate])
    now = datetime.now(CHINA)
    page.fill("#replay-from", (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#replay-to", (now + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"))
    page.click("#replay-form button[type=submit]")
    row = page.locator(f'tr[data-summary="{plate}"]')
    row.wait_for()

    summary = page.locator("#replay-summary")
    query = urllib.parse.urlencode({name: summary.get_attribute(f"data-{name}") for name in ("from", "to", "thin")})
    status, track = demo.call("GET", f"/api/v1/vehicles/{urllib.parse.quote(plate)}/track?{query}")
    assert status == 200
    expected = track_metres(track["points"])
    shown = float(row.get_attribute("data-metres"))
    assert expected > 0 and abs(shown - expected) <= 0.01 * expected, (shown, expected)
    assert abs(float(row.locator("td").nth(1).inner_text()) - shown / 1000) <= 0.0051

    # The slider moves the clock; play at x60 moves it on by itself.
    slider = page.locator("#replay-slider")
    assert slider.is_enabled()
    start_time = page.locator("#replay-time").inner_text()
    page.select_option("#replay-pace", "60")
    page.click("#replay-play")
    page.wait_for_function("() => Number(document.getElementById('replay-slider').value) >= 60")
    page.click("#replay-play")
    assert page.locator("#replay-time").inner_text() != start_time
    screenshot(page, "replay")


def test_position_times_are_read_as_date_parse_reads_them(open_console):
    page = open_console("dispatcher").page
    wrong = page.evaluate(
        """async () => {
            const { isoMs } = await import('/console/js/vehicles.js');
            const times = ['2026-12-03T19:03:52Z', '2024-02-29T23:59:59Z', '2000-03-01T00:00:00.5Z', '1999-12-31T12:00:00.123Z',
                '2026-12-03T19:03:52+08:00', '1970-01-01T00:00:00Z'];
            for (let i = 0; i < 5000; i++) times.push(new Date(Math.floor(Math.random() * 4e12)).toISOString().replace(i % 2 ? /\\.\\d+Z$/ : /$/, i % 2 ? 'Z' : ''));
            return times.filter(text => isoMs(text) !== Date.parse(text));
        }""")
    assert wrong == []


def test_a_screen_left_in_the_middle_of_a_zoom_throws_nothing(open_console):
    # Leaflet ends a zoom 250 ms after it starts, on the map pane the screen's removal deleted:
    # the console must end the zoom with the map ("_leaflet_pos" of undefined otherwise, which the
    # fixture finds among the page's errors).
    # The screen left for is loaded once first, so that leaving the map takes no import's time.
    watched = open_console("dispatcher", "board")
    page = watched.page
    page.wait_for_selector("#screen > :not(.loading)")
    page.evaluate("() => L.Map.addInitHook(function () { window.testMaps = [...(window.testMaps ?? []), this]; }) && true")
    page.goto(f"{page.url.split('#')[0]}#/map")
    page.wait_for_selector("#live-map.leaflet-container")
    zooming = page.evaluate("""async () => {
        const map = window.testMaps.at(-1);
        map.setZoom(map.getZoom() + 1, { animate: true });
        // Leaflet starts the animation in the next frame.
        await new Promise(requestAnimationFrame);
        const animating = map._animatingZoom;
        location.hash = '#/board';
        return animating;
    }""")
    assert zooming, "the zoom was not animated: this test would prove nothing"
    page.wait_for_selector("#live-map", state="detached")
    page.wait_for_timeout(600)
    assert not [e for e in watched.errors if "_leaflet_pos" in e], watched.errors


def test_screens_with_maps_left_while_still_loading_throw_nothing(open_console):
    # A screen asked for while another is still loading drops the older one: its map goes as
    # soon as its render returns, whatever it drew on the way (a booking's markers, a fitted
    # view). Back and forth between two map screens without waiting, then the page must be clean.
    watched = open_console("agency1")
    page = watched.page
    page.wait_for_selector("#bookings-map.leaflet-container")
    page.evaluate("""async () => {
        for (let i = 0; i < 20; i++) {
            location.hash = i % 2 ? '#/bookings' : '#/book';
            await new Promise(resolve => setTimeout(resolve, 15 * (i % 4)));
        }
    }""")
    page.wait_for_selector("#bookings-map.leaflet-container")
    page.wait_for_timeout(1000)
    assert not [e for e in watched.errors if "clearRect" in e or "_leaflet" in e], watched.errors
