"""Fixtures for every test folder: the environment kept, the qkit command, a store, PostgreSQL, Chromium.

The helpers the tests import are in ``support``; each folder's conftest.py adds the fixtures only it needs."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from support.chromium import CHROMIUM, CHROMIUM_ARGS
from support.outcome import PHASES, failed
from support.postgres import PostgresServer, postgres_bin


@pytest.fixture(autouse=True)
def environment_kept():
    """Every test leaves the environment as it found it: the servers and kernels later tests start inherit it
    (a page's query left behind once made every later warm kernel refuse its page)."""
    before = dict(os.environ)
    yield
    changed = sorted(k for k in set(before) | set(os.environ)
                     if before.get(k) != os.environ.get(k) and k != "PYTEST_CURRENT_TEST")  # pytest's own
    for name in changed:
        if name in before:
            os.environ[name] = before[name]
        else:
            del os.environ[name]
    assert not changed, f"the test left environment variables changed: {changed}"


@pytest.fixture
def cli(capsys):
    """Run the qkit command in-process; returns (exit code, stdout, stderr)."""
    from qkit.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def store(tmp_path):
    """An empty web-form store in a data folder of its own."""
    from qkit.web.store import Store

    return Store(tmp_path / "data")


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server of this test session (initdb and pg_ctl from Debian's packages), stopped at the end."""
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("needs the PostgreSQL server binaries initdb and pg_ctl (Debian package postgresql; "
                    "scripts/setup installs it)")
    root = Path(tempfile.mkdtemp(prefix="qkit-pg-"))  # short: a Unix socket's path has at most 107 bytes
    server = PostgresServer(root, bindir)
    try:
        try:
            server.start()
        except subprocess.CalledProcessError as exc:
            log = server.log.read_text(errors="replace") if server.log.exists() else ""
            pytest.fail(f"PostgreSQL did not start: {exc.stderr}{exc.stdout}{log}")
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres) -> str:
    """The URL of a fresh, empty database for this test."""
    return postgres.new_database()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium (Playwright cannot download its own browser here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report kept on the test, so a fixture's teardown knows whether the test failed."""
    report = yield
    item.stash.setdefault(PHASES, {})[report.when] = report
    return report


@pytest.fixture
def new_page(browser, request):
    """A page in a context of its own (Chinese locale, a desktop window); closed at the end. When the test
    failed, what each page showed and what its console said are printed with the failure."""
    from playwright.sync_api import Error as PlaywrightError

    contexts, said = [], {}

    def make():
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        said[id(page)] = lines = []
        page.on("console", lambda message: lines.append(message.text))
        return page

    yield make
    shown = failed(request)
    for number, page in enumerate((p for c in contexts for p in c.pages), 1):
        if shown:
            with contextlib.suppress(PlaywrightError):
                print(f"--- page {number}: {page.inner_text('body', timeout=5000)[:1500]!r}\n"
                      f"    its console: {said.get(id(page), [])[-15:]}")
        with contextlib.suppress(PlaywrightError):  # the test closed it already
            page.close(run_before_unload=True)  # as a person closes the tab: the server ends its kernel
    for context in contexts:
        context.close()
