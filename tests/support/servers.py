"""``qkit serve`` started on a free port, and a served page spoken to over HTTP as a browser would."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psutil

RENDER = 180_000  # ms: eight kernels starting at once on a busy two-core machine
KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]{36})"')


def stop(proc: subprocess.Popen) -> None:
    """End a server the tests started: asked first, then killed."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


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
def serving(tmp_path: Path, *args: str, qkit: list[str] | None = None, path: str = "/", port: int | None = None):
    """``qkit serve`` on a free port; yields (base URL, log file); stopped at the end.

    ``qkit`` is the command to run (default: this Python's ``-m qkit``); ``path`` the
    ``--base-url`` it serves under, if any (the base URL yielded does not include it).
    A free port can be taken by another program (a kernel of another test) before
    qkit serve binds it; qkit serve then ends at once, and another port is tried.
    """
    log = tmp_path / "serve.log"
    command = qkit or [sys.executable, "-m", "qkit"]
    for _ in range(1 if port else 3):
        chosen = port or free_port()
        base = f"http://127.0.0.1:{chosen}"
        with open(log, "wb") as sink:
            proc = subprocess.Popen([*command, "serve", "--port", str(chosen), "--no-browser", *args],
                                    cwd=tmp_path, env=qkit_env(), stdout=sink, stderr=subprocess.STDOUT)
        try:
            if answers(proc, base + path + "voila/api/contents/", log):
                yield base, log
                return
        finally:
            stop(proc)
    raise AssertionError(log.read_text(encoding="utf-8", errors="replace"))


def answers(proc: subprocess.Popen, url: str, log: Path, seconds: float = 90) -> bool:
    """Whether the server ``proc`` answers ``url`` with 200 before it ends (False once it has ended)."""
    deadline = time.monotonic() + seconds
    while proc.poll() is None:
        assert time.monotonic() < deadline, "qkit serve did not answer in time: " + log.read_text(errors="replace")
        try:
            if get(url)[0] == 200:
                return True
        except (OSError, http.client.HTTPException):  # not listening yet, or another program on the port
            pass
        time.sleep(0.3)
    return False


def server_process(base: str) -> psutil.Process:
    """The qkit serve process answering on ``base``'s port."""
    port = base.rsplit(":", 1)[1]
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if "serve" in cmdline and "--port" in cmdline and cmdline[cmdline.index("--port") + 1] == port:
            return proc
    raise AssertionError(f"no qkit serve on port {port}")


def kernels(server: psutil.Process) -> set[str]:
    """The ids of the server's running kernels (each kernel's command line names its connection file)."""
    found = set()
    for child in server.children(recursive=True):
        try:
            match = re.search(r"kernel-([0-9a-f-]{36})\.json", " ".join(child.cmdline()))
        except psutil.Error:
            continue
        if match:
            found.add(match.group(1))
    return found


def fetch(url: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    """(status, headers, body) of a request, errors included."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with opener.open(request, timeout=RENDER / 1000) as r:
            return r.status, r.headers, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8", "replace")


def set_cookies(headers) -> dict[str, str]:
    """The cookies a response sets, by name: the whole Set-Cookie line (value and attributes)."""
    return {line.partition("=")[0]: line.partition("=")[2] for line in headers.get_all("Set-Cookie") or []}


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


def open_page(base: str, url: str, cookies: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """Load a page as a browser does (Voila runs the notebook while sending it), with ``cookies`` the browser
    has already: its kernel id and the cookies the page set."""
    status, headers, body = fetch(base + url, headers=cookie_header(cookies or {}))
    assert status == 200, body[:300]
    return KERNEL_ID.search(body).group(1), {name: line.split(";")[0] for name, line in set_cookies(headers).items()}


def close_page(base: str, kernel: str, cookies: dict[str, str]) -> int:
    """The request Voila's page sends as its tab closes."""
    body = f"_xsrf={cookies.get('_xsrf', '')}".encode()
    return fetch(f"{base}/voila/api/shutdown/{kernel}", body, {
        **cookie_header(cookies), "Content-Type": "application/x-www-form-urlencoded"})[0]


def wait_until(condition, seconds: float) -> bool:
    """Whether ``condition()`` came true within ``seconds`` (asked every 0.2 s)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def warm_kernel(monkeypatch, port: int, kernel: str):
    """This process as a warm kernel of a server on ``port``: an environment of its own (what the kernel learns
    must not reach the servers later tests start), not asked yet."""
    from qkit.web import preheat

    monkeypatch.setattr(os, "environ", dict(os.environ))
    for name, value in {"VOILA_PREHEAT": "True", "VOILA_APP_PORT": str(port), "VOILA_KERNEL_ID": kernel}.items():
        monkeypatch.setenv(name, value)
    for name in ("QUERY_STRING", "VOILA_APP_IP", "VOILA_SERVER_URL", "VOILA_WS_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(preheat, "_asked", False)
    return preheat
