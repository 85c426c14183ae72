"""A real Chromium (Debian's /usr/bin/chromium, driven by Playwright) on a real
`votr serve --port 0` process and the test's database.

Playwright never downloads a browser here: it launches the system's Chromium
(scripts/test installs it through apt when missing). Screenshots go under the test's
tmp_path; when a test fails, every page still open is photographed too, and the paths
are printed with the failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.api.conftest import Server, start_server  # noqa: F401 - fixtures used by the browser tests

CHROMIUM = os.environ.get("VOTR_TEST_CHROMIUM", "/usr/bin/chromium")
# Generous: the machine is shared. These are limits on waiting, never assertions on time.
WAIT_MS = 30_000


def pytest_configure(config):
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: apt-get install -y chromium (scripts/test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists()
                                              else shutil.which("chromium"))
        yield chromium
        chromium.close()


class Shots:
    """Screenshots of a test, numbered in the order taken."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.taken: list[Path] = []

    def __call__(self, page, name: str, **kwargs) -> Path:
        path = self.folder / f"{len(self.taken):02d}-{name}.png"
        # A click that submits a form starts a navigation; Chromium cannot photograph a
        # page between documents, so wait until the new one has loaded.
        page.wait_for_load_state("load")
        page.screenshot(path=str(path), **kwargs)
        self.taken.append(path)
        return path


@pytest.fixture
def shots(tmp_path) -> Shots:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return Shots(folder)


@pytest.fixture
def new_context(browser, request, shots):
    """Open a fresh browser context (its own cookies): new_context(java_script_enabled=False)."""
    contexts = []

    def new(**kwargs):
        context = browser.new_context(viewport={"width": 800, "height": 700}, **kwargs)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context

    yield new
    failed = any(getattr(getattr(request.node, f"report_{when}", None), "failed", False)
                 for when in ("setup", "call"))
    for context in contexts:
        if failed:
            for page in context.pages:
                try:
                    shots(page, "at-failure", full_page=True)
                except Exception as exc:  # noqa: BLE001 - a page that cannot be photographed
                    print(f"could not photograph {page.url}: {exc}")
        context.close()
    if shots.taken:
        print("screenshots:\n" + "\n".join(f"  {path}" for path in shots.taken))


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.fixture
def site(start_server) -> Server:  # noqa: F811 - the fixture imported above
    """A `votr serve` process on the test's database."""
    return start_server()
