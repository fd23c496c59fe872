from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
RUBRICS = ROOT / "rubrics"
SAMPLES = ROOT / "parameterized" / "applicants"
RUBRIC_IDS = [
    "hubei-manufacturing", "hubei-service", "hubei-education", "hubei-medical",
    "wuhan-manufacturing", "wuhan-service", "wuhan-individual",
]


@pytest.fixture
def cli(capsys):
    """Run the qkit command in-process; returns (exit code, stdout, stderr)."""
    from qkit.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def sample_paths() -> list[Path]:
    return sorted(SAMPLES.glob("*.yaml"))


def full_document(rubric, score: int = 100) -> dict:
    """Raw document data with every clause scored at `score`."""
    return {
        "format_version": 1,
        "rubric": rubric.id,
        "applicant": {"name": "测试单位"},
        "clauses": {c.id: {"score": score} for c in rubric.clauses},
    }


def write_yaml(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=120) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def qkit_env() -> dict[str, str]:
    """The environment without $QKIT_DATA, so only what qkit serve passes on reaches the kernels."""
    return {k: v for k, v in os.environ.items() if k != "QKIT_DATA"}


@contextmanager
def serving(tmp_path: Path, *args: str, qkit: list[str] | None = None):
    """``qkit serve`` on a free port; yields (base URL, log file); stopped at the end.

    ``qkit`` is the command to run (default: this Python's ``-m qkit``).
    """
    port = free_port()
    log = tmp_path / "serve.log"
    command = qkit or [sys.executable, "-m", "qkit"]
    with open(log, "wb") as sink:
        proc = subprocess.Popen([*command, "serve", "--port", str(port), "--no-browser", *args],
                                cwd=tmp_path, env=qkit_env(), stdout=sink, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                assert proc.poll() is None, log.read_text(encoding="utf-8", errors="replace")
                assert time.monotonic() < deadline, "qkit serve did not answer in time"
                try:
                    if get(base + "/voila/api/contents/")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.3)
            yield base, log
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# --- Chromium, driven by Playwright ------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (scripts/setup installs it)")


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium (Playwright cannot download its own browser here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """A page in a context of its own (Chinese locale, a desktop window); closed at the end."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
