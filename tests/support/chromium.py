"""Debian's Chromium as the tests drive it with Playwright, how long they wait for it, and a stand-in for it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (scripts/setup installs it)")
FIRST_RENDER = 90_000  # ms; a cold kernel on a busy two-core machine
UPDATE = 30_000  # ms for the kernel to answer an edit, with other tests running beside
HUMAN = 60  # ms between keystrokes


def wait_for_text(page, selector: str, text: str, timeout: int = UPDATE) -> None:
    """Wait until an element matching ``selector`` shows ``text``."""
    page.wait_for_function("([s, t]) => [...document.querySelectorAll(s)].some(e => (e.innerText || '').includes(t))",
                           arg=[selector, text], timeout=timeout)


FAKE_CHROMIUM = """#!{python}
# Chromium's DevTools pipe (commands on descriptor 3, answers on 4), just enough for qkit.pdf;
# each start is a line in $QKIT_TEST_STARTS, each print touches $QKIT_TEST_MARKER
import base64, json, os, pathlib, time

if os.environ.get("QKIT_TEST_STARTS"):
    with open(os.environ["QKIT_TEST_STARTS"], "a") as starts:
        starts.write("started\\n")

def send(message):
    os.write(4, json.dumps(message).encode() + b"\\0")

buffer = b""
while chunk := os.read(3, 65536):
    buffer += chunk
    while b"\\0" in buffer:
        line, buffer = buffer.split(b"\\0", 1)
        command = json.loads(line)
        method, session, result = command["method"], command.get("sessionId"), {{}}
        if method == "Target.createTarget":
            result = {{"targetId": "tab"}}
        elif method == "Target.attachToTarget":
            result = {{"sessionId": "tab"}}
        elif method == "Page.printToPDF":
            if os.environ.get("QKIT_TEST_MARKER"):
                pathlib.Path(os.environ["QKIT_TEST_MARKER"]).touch()
            if os.environ.get("QKIT_TEST_SLOW"):
                time.sleep(300)
            result = {{"data": base64.b64encode(b"%PDF-1.4 test").decode()}}
        send({{"id": command["id"], "result": result, **({{"sessionId": session}} if session else {{}})}})
        if method == "Page.navigate":
            send({{"method": "Page.loadEventFired", "params": {{}}, "sessionId": session}})
        if method == "Browser.close":
            raise SystemExit
"""


def fake_chromium(folder: Path) -> Path:
    """An executable ``chromium`` in ``folder`` that answers qkit.pdf like the real one and prints a tiny PDF."""
    fake = folder / "chromium"
    fake.write_text(FAKE_CHROMIUM.format(python=sys.executable), encoding="utf-8")
    fake.chmod(0o755)
    return fake
