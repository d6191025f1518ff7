"""The console in a real Chromium (Debian's) against `fleetd demo`: the server, its private
PostgreSQL, twenty simulated cars and three agencies booking, as the README's main command runs
them. One demo serves the whole session; every page is watched for console errors and for any
request leaving 127.0.0.1."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[2]
FLEETD = Path(os.environ.get("FLEETD", REPO / ".build" / "debug" / "fleetd"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Screenshots of each role's main screen go here when set (Deploy/screenshots.sh sets docs/).
SCREENSHOTS = os.environ.get("FLEET_SCREENSHOTS")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Demo:
    """A running `fleetd demo`: its base URL, its users' password, and API calls as any user."""

    def __init__(self, base, password, data_dir, log, gateway_port):
        self.base, self.password, self.data_dir, self.log, self.gateway_port = base, password, data_dir, log, gateway_port
        self.tokens = {}

    def call(self, method, path, body=None, user="dispatcher"):
        """The API as `user` (bearer token): (status, parsed body)."""
        if user and user not in self.tokens:
            _, session = self.call("POST", "/api/v1/sessions", {"username": user, "password": self.password}, user=None)
            self.tokens[user] = session["token"]
        headers = {"Content-Type": "application/json"}
        if user:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
                return response.status, (json.loads(text) if text and "json" in response.headers.get("Content-Type", "") else text)
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                return error.code, json.loads(text)
            except ValueError:
                return error.code, text

    def wait_for(self, predicate, timeout=60, every=0.5, what="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(every)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture(scope="session")
def demo():
    assert FLEETD.exists(), f"{FLEETD} is missing: build it first (swift build)"
    data_dir = Path(tempfile.mkdtemp(prefix="fleet-browser-"))
    http, gateway, metrics = free_port(), free_port(), free_port()
    env = dict(os.environ, FLEET_HTTP_PORT=str(http), FLEET_GATEWAY_PORT=str(gateway), FLEET_METRICS_PORT=str(metrics),
               FLEET_WEB_DIR=str(REPO / "Web"))
    log = open(data_dir / "fleetd.log", "w")
    process = subprocess.Popen([str(FLEETD), "demo", "--data-dir", str(data_dir), "--vehicles", "20"], cwd=REPO, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{http}"
    try:
        deadline = time.monotonic() + 240
        password = None
        while time.monotonic() < deadline:
            assert process.poll() is None, f"fleetd demo exited: see {data_dir / 'fleetd.log'}"
            password_file = data_dir / "demo-password"
            if password_file.exists() and password_file.read_text().strip():
                password = password_file.read_text().strip()
                try:
                    demo = Demo(base, password, data_dir, data_dir / "fleetd.log", gateway)
                    status, vehicles = demo.call("GET", "/api/v1/positions/latest")
                    if status == 200 and len(vehicles) >= 20:
                        break
                except (urllib.error.URLError, ConnectionError, KeyError, TypeError):
                    pass
            time.sleep(1)
        else:
            raise AssertionError(f"fleetd demo not ready in 240 s: see {data_dir / 'fleetd.log'}")
        yield demo
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        if os.environ.get("FLEET_KEEP_DEMO") is None:
            shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


class Watched:
    """A page, and what went wrong on it: console errors, failed scripts, requests off 127.0.0.1."""

    def __init__(self, page):
        self.page = page
        self.errors = []
        self.outside = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("request", self._request)
        page.on("response", self._response)

    def _console(self, message):
        # Chromium logs every refused request as "Failed to load resource"; which of those are
        # faults is `_response`'s to say (an API's 4xx is an answer the screen shows).
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def _response(self, response):
        api = "/api/" in response.url
        if response.status >= 500 or (not api and response.status >= 400):
            self.errors.append(f"{response.status} {response.url}")

    def _request(self, request):
        url = request.url
        if not (url.startswith("http://127.0.0.1:") or url.startswith("data:") or url.startswith("blob:") or url == "about:blank"):
            self.outside.append(url)

    def assert_clean(self):
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.outside == [], f"requests left 127.0.0.1: {self.outside}"


@pytest.fixture
def open_console(demo, browser):
    """open_console(user, path='', viewport=None) -> Watched, signed in through the form as `user`.
    Every page opened is checked clean (no console errors, nothing off 127.0.0.1) at the end."""
    opened = []

    def open_(user, path="", viewport=None, **context_options):
        context = browser.new_context(viewport=viewport or {"width": 1440, "height": 900}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", **context_options)
        # Nothing may leave 127.0.0.1: anything else is refused at the network layer too.
        context.route(lambda url: not url.startswith("http://127.0.0.1:"), lambda route: route.abort())
        page = context.new_page()
        watched = Watched(page)
        opened.append((context, watched))
        page.goto(demo.base + "/")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", demo.password)
        page.click("form.sign-in button[type=submit]")
        page.wait_for_selector("#bar nav")
        if path:
            page.goto(f"{demo.base}/#/{path}")
        return watched

    yield open_
    for context, watched in opened:
        try:
            watched.assert_clean()
        finally:
            context.close()


def screenshot(page, name):
    """The screen as docs/console-NAME.png when FLEET_SCREENSHOTS names a folder."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"console-{name}.png"))
