"""HTML files printed to PDF by one headless Chromium kept open, over the DevTools protocol.

Starting Chromium takes about as long as printing a report with it, so a
``Printer`` starts it once, on the first PDF, and prints every later file in
the same tab of the same browser (a new tab costs a new renderer process),
laid out for print from the start. It speaks the DevTools protocol over a pair of
pipes (``--remote-debugging-pipe``, which Chromium reads on its file
descriptor 3 and answers on 4): no port is opened, nothing else can connect,
and the browser exits when the pipes close with the process that started it.
The print is the one ``--print-to-pdf`` makes: the page size and margins of
the report's ``@page`` rule (A4), its print styles and backgrounds, no header
or footer; the file is renamed into place when whole.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import signal
import tempfile
import time
from pathlib import Path

from .errors import Problem, QkitError
from .files import replacing

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
         "--disable-extensions", "--mute-audio", "--no-startup-window", "--remote-debugging-pipe")
PRINT = {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False,
         "paperWidth": 8.27, "paperHeight": 11.69}  # A4, used only when a page sets no @page size


class BrowserError(Exception):
    """Chromium did not start, answered with an error, died or took too long."""


def _high_fd(fd: int) -> int:
    """The same pipe end on a descriptor above 4 (so mapping it onto 3 or 4 in the child is a real copy)."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class Printer:
    """One headless Chromium for many PDFs. Use as a context manager, or call ``close``."""

    def __init__(self, chromium: str, timeout: float = 120):
        self.chromium, self.timeout = chromium, timeout
        self._pid: int | None = None
        self._profile: tempfile.TemporaryDirectory | None = None
        self._send = self._receive = -1
        self._buffer = b""
        self._next = 0
        self._events: list[dict] = []
        self._tab: str | None = None  # the session of the tab that prints

    def __enter__(self) -> "Printer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the browser -----------------------------------------------------------------

    @property
    def running(self) -> bool:
        if self._pid is None:
            return False
        try:
            return os.waitpid(self._pid, os.WNOHANG) == (0, 0)
        except ChildProcessError:
            return False

    def _start(self) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="qkit-chromium-")
        commands, results = os.pipe(), os.pipe()
        to_browser, from_us = _high_fd(commands[0]), _high_fd(commands[1])
        from_browser, to_us = _high_fd(results[0]), _high_fd(results[1])
        log = Path(self._profile.name) / "chromium.log"
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_CREAT, 0o600),
                   (os.POSIX_SPAWN_DUP2, 1, 2),
                   (os.POSIX_SPAWN_DUP2, to_browser, 3), (os.POSIX_SPAWN_DUP2, to_us, 4)]
        argv = [self.chromium, *FLAGS, f"--user-data-dir={self._profile.name}"]
        try:
            self._pid = os.posix_spawn(self.chromium, argv, os.environ, file_actions=actions)
        except OSError as exc:
            raise BrowserError(str(exc)) from None
        finally:
            os.close(to_browser)
            os.close(to_us)
        self._send, self._receive = from_us, from_browser
        self._buffer, self._events, self._tab = b"", [], None
        self.call("Target.setDiscoverTargets", {"discover": False})  # answers once the browser is up

    def close(self) -> None:
        """Quit the browser (a no-op when none runs)."""
        if self._pid is not None:
            try:
                self.call("Browser.close", timeout=5)
            except BrowserError:
                pass
            for fd in (self._send, self._receive):
                os.close(fd)
            self._send = self._receive = -1
            deadline = time.monotonic() + 5
            while self.running and time.monotonic() < deadline:
                time.sleep(0.05)
            if self.running:
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
            self._pid = None
        if self._profile is not None:
            self._profile.cleanup()
            self._profile = None

    # --- the protocol: one JSON message per NUL-terminated line ---------------------------

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float | None = None) -> dict:
        """Send one command and wait for its answer; events that arrive meanwhile are kept for ``wait``."""
        self._next += 1
        message = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._send, data):]
        except OSError as exc:
            raise BrowserError(f"{method}: {exc}") from None
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._read(deadline, method)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message', reply['error'])}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def wait(self, event: str, session: str, timeout: float | None = None) -> dict:
        """Wait for an event of a tab."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, seen in enumerate(self._events):
                if seen.get("method") == event and seen.get("sessionId") == session:
                    return self._events.pop(i)
            self._events.append(self._read(deadline, event))

    def _read(self, deadline: float, waiting_for: str) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"{waiting_for}: no answer in {self.timeout:g} s")
            if not select.select([self._receive], [], [], left)[0]:
                continue
            chunk = os.read(self._receive, 1 << 20)
            if not chunk:
                raise BrowserError(f"{waiting_for}: Chromium ended")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(line)

    # --- printing ------------------------------------------------------------------------

    def print_pdf(self, html: Path, pdf: Path) -> None:
        """Print ``html`` to ``pdf`` in a new tab, starting the browser first when none runs. A browser that
        died since the last file (it is gone when its pipe closes) is replaced once."""
        for retry in (False, True):
            if not self.running:
                self.close()
                self._start()
            try:
                data = self._print(Path(html))
                break
            except BrowserError:
                if retry or not self._ended():
                    raise
        with replacing(pdf, ".pdf") as partial:
            partial.write_bytes(data)

    def _ended(self, grace: float = 2.0) -> bool:
        deadline = time.monotonic() + grace
        while self.running:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _print(self, html: Path) -> bytes:
        if self._tab is None:
            target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            self.call("Page.enable", session=session)
            self.call("Emulation.setEmulatedMedia", {"media": "print"}, session)  # one layout, for print
            self._tab = session
        self._events = []
        try:
            navigated = self.call("Page.navigate", {"url": html.resolve().as_uri()}, self._tab)
            if navigated.get("errorText"):
                raise BrowserError(f"{html}: {navigated['errorText']}")
            self.wait("Page.loadEventFired", self._tab)
            return base64.b64decode(self.call("Page.printToPDF", PRINT, self._tab)["data"])
        except BrowserError:
            self._tab = None  # a tab in an unknown state is not used again
            raise


def print_pdf(html: Path, pdf: Path, chromium: str, timeout: float = 120) -> None:
    """Print one HTML file to PDF with a browser of its own (a ``Printer`` for many); QkitError when it fails."""
    try:
        with Printer(chromium, timeout) as printer:
            printer.print_pdf(html, pdf)
    except BrowserError as exc:
        raise QkitError(Problem(str(pdf), "pdf_failed", params={"detail": str(exc)})) from None
