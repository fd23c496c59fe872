"""``qkit serve``: the web workbooks, served by Voila with settings safe for applicants.

Applicants see rendered workbooks only: the code is stripped from the pages,
errors never send tracebacks to the browser, the template cannot be switched
from the URL, only the notebooks of the workbooks folder are served (Voila's
file handler gives out images from that folder and nothing else), and a
kernel whose page was closed is shut down after a while. Each page finds its
applicant from the ``?key=`` of its link (see ``qkit.store.open_for_token``);
the data directory (or PostgreSQL URL) reaches the kernels through
``$QKIT_DATA``. Request logs hide the key.

The server listens on 127.0.0.1 unless ``--host`` names another address; an
address other machines can reach needs ``--allow-remote`` and is served with
a warning, since the key travels in the URL: on a network, qkit belongs behind
an HTTPS proxy (docs/deploy.md). ``--base-url`` serves under a path prefix
(Voila's ``base_url``); ``--behind-proxy`` trusts the client address the proxy
forwards (tornado's ``xheaders``), so the KeyGuard slows down the real sender
of wrong keys rather than the proxy. Several servers can share one
PostgreSQL store.

A link's key is checked by the server before a kernel is started for it: a
wrong key gets a short refusal page at once, and an address that keeps
sending wrong keys is answered more and more slowly and logged (see
``KeyGuard``). Links up to ``MAX_URL`` long get an answer; the key itself is
compared through its SHA-256 digest, as the store keeps it.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import os
import re
import socket
import sys
import time
from collections import defaultdict, deque
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from . import store
from ..errors import Problem, QkitError
from ..i18n import tr
from ..resources import TEMPLATES, WORKBOOKS

WORKBOOKS_DIR = WORKBOOKS
# Voila's page without the stylesheets it links from a CDN: the form asks no other host for anything
PAGE_TEMPLATES = TEMPLATES / "nbconvert" / "qkit-form"
HOST = "127.0.0.1"
DEFAULT_PORT = 8866
PUBLIC_URL_ENV = "QKIT_PUBLIC_URL"  # where printed links point when no --public-url is given
CULL_IDLE_TIMEOUT = 900  # seconds a kernel lives after its page was closed
CULL_INTERVAL = 60  # seconds between checks for such kernels
IOPUB_TIMEOUT = 120  # seconds a page's rendering waits for the last output of its cell
MAX_URL = 1024 * 1024  # longest request head answered (a hostile 100,000-character key gets a refusal, not silence)
MAX_KEY = 200  # longer keys are refused without a look-up; real ones have 32 characters
GUARD_WINDOW = 15 * 60  # seconds wrong keys from one address are remembered
GUARD_FREE = 5  # wrong keys an address may send in the window before answers slow down
GUARD_MAX_DELAY = 30  # seconds, the slowest answer
LOG = logging.getLogger("qkit.serve")


def base_url(port: int = DEFAULT_PORT, host: str = HOST) -> str:
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def public_base(public_url: str | None, port: int = DEFAULT_PORT) -> str:
    """What printed links start with: ``--public-url``, else ``$QKIT_PUBLIC_URL``, else this machine's own address.

    Behind a proxy the public URL is the proxy's, including any path prefix
    (``https://qkit.example.com/qkit/``); links then read
    ``https://qkit.example.com/qkit/voila/render/…?key=…``.
    """
    field, chosen = ("--public-url", public_url) if public_url else (PUBLIC_URL_ENV, os.environ.get(PUBLIC_URL_ENV))
    if not chosen:
        return base_url(port)
    parts = urlsplit(chosen)
    try:
        parts.port  # noqa: B018 (a port that is not a number raises)
    except ValueError:
        parts = parts._replace(scheme="")
    if parts.scheme not in ("http", "https") or not parts.hostname or "?" in chosen or "#" in chosen \
            or any(c.isspace() for c in chosen):
        raise QkitError(Problem(field, "bad_public_url", chosen))
    return chosen.rstrip("/")


def base_path(text: str | None) -> str:
    """The ``--base-url`` path, with its slashes at both ends (``qkit`` → ``/qkit/``)."""
    path = "/" + (text or "").strip("/") + "/" if (text or "").strip("/") else "/"
    if not re.fullmatch(r"/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*/)*", path):
        raise QkitError(Problem("--base-url", "bad_base_url", text))
    return path


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach ``host`` (127.0.0.1, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def voila_argv(workbooks: Path, port: int, open_browser: bool, host: str = HOST, path: str = "/") -> list[str]:
    """Voila's command line for serving ``workbooks`` (option names as in ``voila --help-all``)."""
    return [
        str(workbooks),
        f"--port={port}",
        f"--Voila.ip={host}",
        f"--Voila.base_url={path}",
        "--Voila.port_retries=0",  # another port would make every printed link wrong
        f"--Voila.open_browser={open_browser}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--VoilaConfiguration.allow_template_override=NO",
        f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_TIMEOUT}",
        f"--MappingKernelManager.cull_interval={CULL_INTERVAL}",
        "--MappingKernelManager.cull_connected=False",  # an open page keeps its kernel, however long the user reads
        # a form's output and widgets reach the page only if they arrive within this after its cell ended: under
        # load, Voila's 4 s left some pages blank
        f"--VoilaExecutor.iopub_timeout={IOPUB_TIMEOUT}",
    ]


def check_setup(workbooks: Path, data: Path | str, port: int, host: str = HOST, allow_remote: bool = False) -> None:
    """Refuse to start when nothing can be served, the data would be reachable, an address open to the
    network is given without ``allow_remote``, or the port is taken."""
    if not any(workbooks.glob("*.ipynb")):
        raise QkitError(Problem(str(workbooks), "no_workbooks"))
    if isinstance(data, Path) and (data == workbooks or workbooks in data.parents):
        raise QkitError(Problem("--data", "data_in_workbooks", str(data)))
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError, ValueError):
        raise QkitError(Problem("--host", "bad_host", host)) from None
    if not is_loopback(host) and not allow_remote:
        raise QkitError(Problem("--host", "remote_needs_flag", host))
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise QkitError(Problem("--port", "port_in_use", port)) from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise QkitError(Problem("--host", "bad_host", host)) from None
            raise QkitError(Problem("--port", "port_unusable", port, {"detail": exc.strerror})) from None


class HideKeys(logging.Filter):
    """Replaces the value of every ``key=`` in a log line by [secret], so access keys never reach a log."""

    VALUE = re.compile(rf"(\b{store.LINK_PARAM}=)[^&\s'\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if f"{store.LINK_PARAM}=" in text:
            record.msg, record.args = self.VALUE.sub(r"\1[secret]", text), ()
        return True


class KeyGuard:
    """Wrong keys per address: after ``GUARD_FREE`` in ``GUARD_WINDOW``, each answer waits twice as long.

    Guessing a 32-character key is hopeless anyway; the guard makes trying
    visible in the log and keeps a flood of wrong keys from starting kernels.
    """

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.failures: dict[str, deque[float]] = defaultdict(deque)

    def failed(self, address: str) -> float:
        """Record a wrong key from ``address``; returns the seconds to wait before answering."""
        now = self.clock()
        seen = self.failures[address]
        while seen and seen[0] < now - GUARD_WINDOW:
            seen.popleft()
        seen.append(now)
        extra = len(seen) - GUARD_FREE
        delay = 0.0 if extra <= 0 else float(min(2 ** (extra - 1), GUARD_MAX_DELAY))
        LOG.warning("wrong access key from %s (%d in the last %d minutes); answering after %g s",
                    address, len(seen), GUARD_WINDOW // 60, delay)
        return delay


def refused_page(lang: str) -> str:
    from ..html import environment

    return environment().get_template("refused.html.j2").render(lang=lang)


def guarded_handler(keys_from: store.Store, guard: KeyGuard):
    """Voila's notebook handler, checking a link's key against the store before any kernel starts."""
    from voila.tornado.handler import TornadoVoilaHandler

    class GuardedVoilaHandler(TornadoVoilaHandler):
        async def get(self, path=None):
            query = parse_qs(self.request.query, keep_blank_values=True)
            keys = query.get(store.LINK_PARAM)
            if keys is not None:  # a page without a key shows the workbook's own friendly refusal
                key = keys[0].strip()
                known = len(key) <= MAX_KEY and await asyncio.to_thread(_opens, keys_from, key)
                if not known:
                    await asyncio.sleep(guard.failed(self.request.remote_ip or "?"))
                    lang = "en" if query.get("lang", [""])[0] == "en" else "zh"
                    self.set_status(403)
                    self.set_header("Cache-Control", "no-store")
                    self.finish(refused_page(lang))
                    return
            await super().get(path)

    return GuardedVoilaHandler


def _opens(keys_from: store.Store, key: str) -> bool:
    try:
        return keys_from.applicant_for_token(key) is not None
    except QkitError as exc:
        LOG.error("%s", exc.render("en"))
        return False


def make_app(workbooks: Path, port: int, open_browser: bool, keys_from: store.Store | None = None,
             host: str = HOST, path: str = "/", behind_proxy: bool = False):
    """The configured Voila application, not yet listening, its request logs without keys.

    With ``keys_from``, links' keys are checked against that store before a
    kernel starts. ``behind_proxy`` takes the client's address from the
    proxy's X-Real-IP / X-Forwarded-For headers (tornado's ``xheaders``).
    """
    from voila.app import Voila
    from voila.tornado.handler import TornadoVoilaHandler

    guard = KeyGuard()

    class QkitVoila(Voila):
        def setup_template_dirs(self):
            super().setup_template_dirs()
            self.template_paths.insert(0, str(PAGE_TEMPLATES))  # found before Voila's own page and extends it

        def init_handlers(self):
            handlers = super().init_handlers()
            if keys_from is None:
                return handlers
            guarded = guarded_handler(keys_from, guard)
            return [(h[0], guarded, *h[2:]) if h[1] is TornadoVoilaHandler else h for h in handlers]

        def listen(self):
            plain = self.app.listen  # Voila's listen loop, with a request head long enough to refuse long keys
            self.app.listen = lambda port, address="", **kw: plain(port, address, max_header_size=MAX_URL,
                                                                   xheaders=behind_proxy, **kw)
            super().listen()

    app = QkitVoila()
    app.initialize(voila_argv(workbooks, port, open_browser, host, path))
    root = logging.getLogger()  # tornado's request and error lines end up here
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    hide = HideKeys()
    for handler in [*root.handlers, *app.log.handlers]:
        handler.addFilter(hide)
    return app


def serve(port: int = DEFAULT_PORT, data_dir: str | Path | None = None, open_browser: bool = True,
          workbooks: str | Path | None = None, lang: str = "zh", host: str = HOST, allow_remote: bool = False,
          base_url_path: str | None = None, behind_proxy: bool = False) -> None:
    """Serve the workbooks until Ctrl+C (or SIGTERM), with the store in ``data_dir`` (a folder or a database URL)."""
    data = store.data_dir(data_dir)
    root = Path(workbooks or WORKBOOKS_DIR).resolve()
    path = base_path(base_url_path)
    check_setup(root, data, port, host, allow_remote)
    keys_from = store.Store(data)  # created or checked before the first page needs it
    os.environ[store.DATA_ENV] = str(data)  # the kernels inherit the server's environment
    app = make_app(root, port, open_browser and is_loopback(host), keys_from, host, path, behind_proxy)
    print(tr("serving", lang, url=base_url(port, host) + path))
    print(tr("data_at", lang, dir=store.redact(data)))
    if not is_loopback(host):
        print(tr("remote_warning", lang, host=host), file=sys.stderr)
    if behind_proxy:
        print(tr("proxy_trusted", lang))
    print(tr("serve_hint", lang), flush=True)
    app.start()
