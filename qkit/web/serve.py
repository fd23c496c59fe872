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

Many people at once: ``--pool`` kernels are kept warm (Voila's preheated
kernels), shared out among the workbooks of the standards in use: they have
started, imported the form's code and loaded the standard, and wait for a
page's key, so the page only builds its form (``qkit.web.preheat`` hands the
kernel the key).

A closed tab's kernel is shut down at once: Voila's page asks for it as the
tab closes, and the server now gives the page the ``_xsrf`` cookie that
request must carry (without it every such request was refused, and kernels
lived until culled). Beyond ``--max-kernels`` kernels serving pages, a new
visitor gets a short "busy, retry in a minute" page instead of a slower
server for everyone. Messages from a page are refused above
``MAX_MESSAGE`` (the KPI upload's own limit is far below), request bodies
above ``MAX_BODY``.
"""

from __future__ import annotations

import asyncio
import contextvars
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
POOL = 8  # warm kernels kept in all (--pool), shared among the workbooks in use; each takes about 55 MB
MAX_KERNELS = 40  # kernels serving pages at most (--max-kernels); each takes about 60-80 MB
BUSY_RETRY = 60  # seconds a busy page asks the visitor to wait
MAX_MESSAGE = 8 * 1024 * 1024  # a page's websocket message (an upload); the KPI import refuses above 2 MB itself
MAX_BODY = 1024 * 1024  # an HTTP request body (the form posts nothing larger than the tab-closed notice)
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


def voila_argv(workbooks: Path, port: int, open_browser: bool, host: str = HOST, path: str = "/",
               pool: int = 0) -> list[str]:
    """Voila's command line for serving ``workbooks`` (option names as in ``voila --help-all``); ``pool`` > 0
    turns on preheated kernels (which workbooks get a pool of that size is set by ``make_app``)."""
    preheat = ["--preheat_kernel=True", "--pool_size=0"] if pool > 0 else []
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
        *preheat,
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
        if os.name != "nt":  # as tornado binds: closed connections left in TIME-WAIT (a server just killed) are no
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # obstacle, a listening server still is
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


def busy_page(lang: str) -> str:
    from ..html import environment

    return environment().get_template("busy.html.j2").render(lang=lang, seconds=BUSY_RETRY)


_TICKET: contextvars.ContextVar[list | None] = contextvars.ContextVar("qkit_page_ticket", default=None)


class KernelLimit:
    """At most ``most`` kernels serving pages; kernels waiting in a pool are not counted.

    A page admitted but whose kernel has not started yet counts too (its
    ticket), so a burst of visitors cannot all slip in before their kernels
    appear; the ticket is given back when the page's kernel is started or
    taken from a pool (``track``), or when the request ends without one.
    """

    def __init__(self, most: int):
        self.most = most
        self.waiting = 0

    def in_use(self, kernels) -> int:
        pooled = {task.result()["kernel_id"] for pool in getattr(kernels, "_pools", {}).values() for task in pool
                  if task.done() and not task.cancelled() and task.exception() is None}
        return len(set(kernels.list_kernel_ids()) - pooled) + self.waiting

    def admit(self, kernels) -> bool:
        if self.most > 0 and self.in_use(kernels) >= self.most:
            return False
        self.waiting += 1
        _TICKET.set([True])
        return True

    def release(self) -> None:
        ticket = _TICKET.get()
        if ticket and ticket[0]:
            ticket[0] = False
            self.waiting -= 1

    def track(self, method):
        """The kernel manager's method that gives a page its kernel, releasing the page's ticket when it has."""
        from jupyter_core.utils import ensure_async

        async def tracked(*args, **kwargs):
            try:
                return await ensure_async(method(*args, **kwargs))
            finally:
                self.release()

        return tracked


def guarded_handler(keys_from: store.Store | None, guard: KeyGuard, limit: KernelLimit, pool: int = 0):
    """Voila's notebook handler: a link's key is checked against the store before any kernel starts, a visitor
    beyond the kernel limit gets the busy page, and a workbook opened with a valid key gets its pool of warm
    kernels from then on. Every page gets the ``_xsrf`` cookie its request to shut its kernel down needs."""
    from voila.tornado.handler import TornadoVoilaHandler

    class GuardedVoilaHandler(TornadoVoilaHandler):
        async def get(self, path=None):
            query = parse_qs(self.request.query, keep_blank_values=True)
            lang = "en" if query.get("lang", [""])[0] == "en" else "zh"
            keys = query.get(store.LINK_PARAM)
            applicant = None
            if keys is not None and keys_from is not None:  # without a key, the workbook itself refuses
                key = keys[0].strip()
                applicant = await asyncio.to_thread(_opens, keys_from, key) if len(key) <= MAX_KEY else None
                if applicant is None:
                    await asyncio.sleep(guard.failed(self.request.remote_ip or "?"))
                    return self._answer(403, refused_page(lang))
            if not limit.admit(self.kernel_manager):
                LOG.warning("%d kernels serve pages (--max-kernels): a visitor was asked to come back later",
                            limit.most)
                self.set_header("Retry-After", str(BUSY_RETRY))
                return self._answer(503, busy_page(lang))
            self.xsrf_token  # noqa: B018 - sets the _xsrf cookie: the page's shutdown request on closing needs it
            try:
                await super().get(path)
            finally:
                limit.release()
            if applicant is not None and pool > 0 and path == f"{applicant.rubric}.ipynb":
                _start_pool(self.kernel_manager, path, pool)

        def _answer(self, status: int, page: str) -> None:
            self.set_status(status)
            self.set_header("Cache-Control", "no-store")
            self.finish(page)

    return GuardedVoilaHandler


def pool_share(total: int, workbooks: int) -> int:
    """Warm kernels for each of ``workbooks`` workbooks in use, ``total`` in all (at least one each)."""
    return max(1, total // max(1, workbooks))


def _start_pool(kernels, notebook: str, total: int) -> None:
    """Keep warm kernels for a workbook from now on (a no-op when it has its pool already)."""
    pools = getattr(kernels, "kernel_pools_config", None)
    if pools is None or notebook in pools:
        return
    size = pool_share(total, len([name for name in pools if name != "default"]) + 1)
    pools[notebook] = {**pools.get("default", {}), "pool_size": size}
    kernels.fill_if_needed(notebook_name=notebook)


def _opens(keys_from: store.Store, key: str) -> store.Applicant | None:
    try:
        return keys_from.applicant_for_token(key)
    except QkitError as exc:
        LOG.error("%s", exc.render("en"))
        return None


def kernel_address(host: str) -> str:
    """The address a preheated kernel reaches the server on to learn its page's query (Voila's VOILA_APP_IP)."""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # every address: this machine's
    return f"[{host}]" if ":" in host else host


def make_app(workbooks: Path, port: int, open_browser: bool, keys_from: store.Store | None = None,
             host: str = HOST, path: str = "/", behind_proxy: bool = False, pool: int = 0,
             max_kernels: int = 0):
    """The configured Voila application, not yet listening, its request logs without keys.

    With ``keys_from``, links' keys are checked against that store before a
    kernel starts. ``behind_proxy`` takes the client's address from the
    proxy's X-Real-IP / X-Forwarded-For headers (tornado's ``xheaders``).
    ``pool`` warm kernels are kept in all, shared among the workbooks of the
    standards that have applicants (a workbook opened with a valid key later
    gets its share from then on); ``max_kernels`` > 0 limits the kernels
    serving pages.
    """
    from voila.app import Voila
    from voila.tornado.handler import TornadoVoilaHandler

    guard, limit = KeyGuard(), KernelLimit(max_kernels)
    in_use = sorted({a.rubric for a in keys_from.applicants()}) if keys_from is not None and pool > 0 else []
    in_use = [rubric for rubric in in_use if (workbooks / f"{rubric}.ipynb").is_file()]

    class QkitVoila(Voila):
        def setup_template_dirs(self):
            super().setup_template_dirs()
            self.template_paths.insert(0, str(PAGE_TEMPLATES))  # found before Voila's own page and extends it

        def init_settings(self):
            if pool > 0:  # read by the kernel manager made below, which fills the pools at once
                default = {"pool_size": 0, "kernel_env_variables": {"VOILA_APP_IP": kernel_address(host)}}
                share = {**default, "pool_size": pool_share(pool, len(in_use))}
                self.config.VoilaKernelManager.kernel_pools_config = {
                    "default": default, **{f"{rubric}.ipynb": share for rubric in in_use}}
            settings = super().init_settings()
            kernels = self.kernel_manager
            for method in ("start_kernel", "get_rendered_notebook"):
                if hasattr(kernels, method):
                    setattr(kernels, method, limit.track(getattr(kernels, method)))
            self.tornado_settings = {**self.tornado_settings, "xsrf_cookie_kwargs": {"path": self.base_url},
                                     "websocket_max_message_size": MAX_MESSAGE}
            return settings

        def init_handlers(self):
            handlers = super().init_handlers()
            guarded = guarded_handler(keys_from, guard, limit, pool)
            return [(h[0], guarded, *h[2:]) if h[1] is TornadoVoilaHandler else h for h in handlers]

        def listen(self):
            plain = self.app.listen  # Voila's listen loop, with a request head long enough to refuse long keys
            self.app.listen = lambda port, address="", **kw: plain(port, address, max_header_size=MAX_URL,
                                                                   max_body_size=MAX_BODY, xheaders=behind_proxy,
                                                                   **kw)
            super().listen()

    app = QkitVoila()
    app.initialize(voila_argv(workbooks, port, open_browser, host, path, pool))
    root = logging.getLogger()  # tornado's request and error lines end up here
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    hide = HideKeys()
    for handler in [*root.handlers, *app.log.handlers]:
        handler.addFilter(hide)
    return app


def serve(port: int = DEFAULT_PORT, data_dir: str | Path | None = None, open_browser: bool = True,
          workbooks: str | Path | None = None, lang: str = "zh", host: str = HOST, allow_remote: bool = False,
          base_url_path: str | None = None, behind_proxy: bool = False, pool: int = POOL,
          max_kernels: int = MAX_KERNELS) -> None:
    """Serve the workbooks until Ctrl+C (or SIGTERM), with the store in ``data_dir`` (a folder or a database URL);
    ``pool`` warm kernels in all (0: none), at most ``max_kernels`` kernels serving pages (0: no limit)."""
    data = store.data_dir(data_dir)
    root = Path(workbooks or WORKBOOKS_DIR).resolve()
    path = base_path(base_url_path)
    check_setup(root, data, port, host, allow_remote)
    keys_from = store.Store(data)  # created or checked before the first page needs it
    os.environ[store.DATA_ENV] = str(data)  # the kernels inherit the server's environment
    app = make_app(root, port, open_browser and is_loopback(host), keys_from, host, path, behind_proxy, pool,
                   max_kernels)
    print(tr("serving", lang, url=base_url(port, host) + path))
    print(tr("data_at", lang, dir=store.redact(data)))
    if not is_loopback(host):
        print(tr("remote_warning", lang, host=host), file=sys.stderr)
    if behind_proxy:
        print(tr("proxy_trusted", lang))
    print(tr("serve_hint", lang), flush=True)
    app.start()
