"""``qkit serve``: the web workbooks, served by Voila with settings safe for applicants.

Applicants see rendered workbooks only: the code is stripped from the pages,
errors never send tracebacks to the browser, the template cannot be switched
from the URL, only the notebooks of the workbooks folder are served (Voila's
file handler gives out images from that folder and nothing else), and a
kernel whose page was closed is shut down after a while. Each page finds its
applicant from the ``?key=`` of its link (see ``qkit.store.open_for_token``);
the data directory (or PostgreSQL URL) reaches the kernels through
``$QKIT_DATA``. The landing page at the base URL (the standards served) is
the server's own, with no kernel. Logs hide the key and every kernel id
(``HideKeys``).

The server listens on 127.0.0.1 unless ``--host`` names another address; an
address other machines can reach needs ``--allow-remote`` and is served with
a warning, since the key travels in the URL: on a network, qkit belongs behind
an HTTPS proxy (docs/deploy.md). ``--base-url`` serves under a path prefix
(Voila's ``base_url``); ``--behind-proxy`` trusts the client address and
scheme the proxy forwards (tornado's ``xheaders``), so the KeyGuard slows
down the real sender of wrong keys rather than the proxy, and the pages'
cookies are sent over HTTPS only. Several servers can share one PostgreSQL
store.

No kernel without a valid key: a link's key is checked by the server before
a kernel is started for it, and a missing, wrong or revoked key gets a short
refusal page (403). Key checks take turns (``KeyGuard``): an address that
keeps sending wrong keys has its checks made one at a time, more and more
slowly, a right key among them too, and when many wrong keys arrive from
anywhere, addresses without a recent right key share one slot. Links up to
``MAX_URL`` long get an answer; the key itself is compared through its
SHA-256 digest, as the store keeps it.

A kernel belongs to its page, and its id is no credential: the page is
given an HttpOnly, SameSite=Strict cookie named after its kernel, whose
secret the server keeps as a digest (``PageKernels``); the kernel's
websocket, its model and its shutdown refuse any request without it, before
any upgrade or action.

Many people at once: ``--pool`` kernels are kept warm (Voila's preheated
kernels), shared out among the workbooks of the standards in use: they have
started, imported the form's code and loaded the standard, and wait for a
page's key, so the page only builds its form (``qkit.web.preheat`` hands the
kernel the key). A warm kernel waits for its page's request on a socket
only that kernel can take, proving itself with its session key
(``kernel_query``).

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
import hashlib
import hmac
import ipaddress
import logging
import os
import re
import secrets
import socket
import sys
import time
from collections import Counter, deque
from functools import cache, partial
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

from . import store
from .preheat import PROOF_HEADER, proof
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
GUARD_MAX_DELAY = 30  # seconds, the longest wait of one address's key check
GUARD_CROWD = 30  # wrong keys a minute from all addresses together before strangers take turns
GUARD_TURN = 2  # seconds between two strangers' key checks while crowded: 30 a minute
GUARD_KNOWN = 24 * 60 * 60  # seconds an address that used a right key is no stranger
PAGE_COOKIE = "qkit-page-"  # + the kernel id: the cookie a page's kernel answers to
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
    """Keeps secrets out of every log line: each ``key=`` value becomes [secret], and each kernel id (any UUID) a
    tag such as ``id#3f2a9c01``, the same for the same id during a run but not giving the id away."""

    VALUE = re.compile(rf"(\b{store.LINK_PARAM}=)[^&\s'\"]+")
    UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")

    def __init__(self):
        super().__init__()
        self.salt = secrets.token_bytes(16)

    def hide(self, text: str) -> str:
        return self.UUID.sub(self._tag, self.VALUE.sub(r"\1[secret]", text))

    def _tag(self, uuid: re.Match) -> str:
        return "id#" + hmac.new(self.salt, uuid[0].lower().encode(), hashlib.sha256).hexdigest()[:8]

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        hidden = self.hide(text)
        if hidden != text:
            record.msg, record.args = hidden, ()
        if record.exc_info and not record.exc_text:  # a traceback is formatted once, and then shown as kept here
            record.exc_text = self.hide(logging.Formatter().formatException(record.exc_info))
        return True


class KeyGuard:
    """Slows down the guessing of keys before a key is looked up, so a right key among guesses waits its turn too.

    From one address, after ``GUARD_FREE`` wrong or missing keys in
    ``GUARD_WINDOW``, the address's key checks are made one at a time, each
    after a wait twice as long as the one before (1 s, 2 s, 4 s … up to
    ``GUARD_MAX_DELAY``): guesses sent in parallel queue rather than being
    answered together. From many addresses (a range of them taking turns):
    beyond ``GUARD_CROWD`` wrong keys in a minute from anywhere, the checks of
    addresses that have not used a right key within ``GUARD_KNOWN`` share one
    slot, one check every ``GUARD_TURN`` seconds. Every wrong key is logged.
    Guessing a 32-character key is hopeless anyway; the guard makes trying
    visible and slow, and keeps a flood of guesses from costing more than a
    look-up each.
    """

    def __init__(self, clock=time.monotonic, sleep=asyncio.sleep):
        self.clock, self.sleep = clock, sleep
        self.failures: dict[str, deque[float]] = {}  # by address, within the window
        self.everywhere: deque[float] = deque()  # every wrong key of the last minute
        self.known: dict[str, float] = {}  # when each address last used a right key
        self.turns: dict[str, asyncio.Lock] = {}  # the addresses with checks waiting or under way
        self.queued: Counter[str] = Counter()
        self.slot = asyncio.Lock()  # the strangers' one slot while many wrong keys arrive
        self.next_slot = 0.0
        self.swept = clock()

    async def check(self, address: str, look_up: Callable[[], Awaitable[Any]]) -> Any:
        """What ``look_up()`` finds for the key (None: a wrong or missing key), once ``address``'s turn came."""
        self.queued[address] += 1
        turn = self.turns.setdefault(address, asyncio.Lock())
        try:
            async with turn:
                await self._wait(self.delay(address))
                if self.crowded() and not self.is_known(address):
                    async with self.slot:
                        await self._wait(self.next_slot - self.clock())
                        self.next_slot = self.clock() + GUARD_TURN
                        found = await look_up()
                else:
                    found = await look_up()
                if found is None:
                    self.failed(address)
                else:
                    self.known[address] = self.clock()
                return found
        finally:
            self.queued[address] -= 1
            if not self.queued[address]:
                del self.queued[address], self.turns[address]

    def delay(self, address: str) -> float:
        """Seconds the address's next check waits: none for its first ``GUARD_FREE`` wrong keys, then 1, 2, 4 …"""
        extra = len(self._recent(address)) - GUARD_FREE
        return 0.0 if extra < 0 else float(min(2 ** extra, GUARD_MAX_DELAY))

    def crowded(self) -> bool:
        while self.everywhere and self.everywhere[0] < self.clock() - 60:
            self.everywhere.popleft()
        return len(self.everywhere) >= GUARD_CROWD

    def is_known(self, address: str) -> bool:
        return self.known.get(address, -GUARD_KNOWN) >= self.clock() - GUARD_KNOWN

    def failed(self, address: str) -> None:
        now = self.clock()
        seen = self.failures[address] = self._recent(address)
        seen.append(now)
        self.everywhere.append(now)
        LOG.warning("wrong or missing access key from %s (%d in the last %d minutes); its next key is checked "
                    "after %g s", address, len(seen), GUARD_WINDOW // 60, self.delay(address))
        self._sweep(now)

    def _recent(self, address: str) -> deque[float]:
        seen = self.failures.get(address, deque())
        while seen and seen[0] < self.clock() - GUARD_WINDOW:
            seen.popleft()
        return seen

    def _sweep(self, now: float) -> None:
        """Forget addresses whose wrong keys are all older than the window, at most once a minute."""
        if now - self.swept >= 60:
            self.swept = now
            self.failures = {a: seen for a, seen in self.failures.items() if seen and seen[-1] >= now - GUARD_WINDOW}
            self.known = {a: at for a, at in self.known.items() if at >= now - GUARD_KNOWN}

    async def _wait(self, seconds: float) -> None:
        if seconds > 0:
            await self.sleep(seconds)


def _page(template: str, lang: str, **context: Any) -> str:
    from ..html import environment

    return environment().get_template(template).render(lang=lang, **context)


def refused_page(lang: str) -> str:
    return _page("refused.html.j2", lang)


def busy_page(lang: str) -> str:
    return _page("busy.html.j2", lang, seconds=BUSY_RETRY)


def landing_page(workbooks: Path, lang: str) -> str:
    """The standards whose workbooks are served here, and how to open one (with one's own link); no kernel."""
    from ..rubric import RubricIndex

    index = RubricIndex.scan()
    return _page("landing.html.j2", lang, rubrics=[index.load(rubric_id) for rubric_id in index.ids
                                                   if (workbooks / f"{rubric_id}.ipynb").is_file()])


class PageKernels:
    """Which page holds each kernel: the digest of a secret that only the page's cookie carries, by kernel id.

    A kernel id is no credential (it is in its page, and was in the log):
    the kernel's channels, its model and its shutdown answer only a request
    with the cookie its page was given along with the kernel.
    """

    def __init__(self):
        self.digests: dict[str, bytes] = {}

    def bind(self, kernel_id: str) -> str:
        """A new secret for the kernel's page; the server keeps its digest only."""
        secret = secrets.token_urlsafe(32)
        self.digests[kernel_id] = hashlib.sha256(secret.encode()).digest()
        return secret

    def holds(self, kernel_id: str, secret: str | None) -> bool:
        digest = self.digests.get(kernel_id)
        return digest is not None and secret is not None and \
            hmac.compare_digest(digest, hashlib.sha256(secret.encode()).digest())

    def drop(self, kernel_id: str) -> None:
        self.digests.pop(kernel_id, None)

    def __contains__(self, kernel_id: str) -> bool:
        return kernel_id in self.digests


def page_cookie(kernel_id: str) -> str:
    """The cookie of the page whose kernel this is: one per page, so tabs of one browser keep theirs."""
    return PAGE_COOKIE + kernel_id


_TICKET: contextvars.ContextVar[list | None] = contextvars.ContextVar("qkit_page_ticket", default=None)
_PAGE_KERNEL: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar("qkit_page_kernel",
                                                                                            default=None)


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


def handing_out(method, kernel_of: Callable[[Any], str], limit: KernelLimit):
    """A kernel manager's method that gives a page its kernel (``start_kernel``, ``get_rendered_notebook``), wrapped:
    the page's ticket is given back, and the kernel (``kernel_of`` finds its id in the result) is handed to the page
    being served (``_PAGE_KERNEL``), before the page's first byte is sent. Voila starts warm kernels through its
    base class's ``start_kernel``, not through this, though their tasks copy the context of the request that
    started them."""
    tracked = limit.track(method)

    async def handed_out(*args, **kwargs):
        result = await tracked(*args, **kwargs)
        to_page = _PAGE_KERNEL.get()
        if to_page is not None:
            to_page(kernel_of(result))
        return result

    return handed_out


def guarded_handler(keys_from: store.Store, guard: KeyGuard, limit: KernelLimit, pages: PageKernels, pool: int = 0):
    """Voila's notebook handler: a link's key is checked against the store before any kernel starts (no key, no
    kernel), a visitor beyond the kernel limit gets the busy page, the page's kernel is bound to the page by a
    cookie, and a workbook opened with a valid key gets its pool of warm kernels from then on. Every page gets
    the ``_xsrf`` cookie its request to shut its kernel down needs."""
    from voila.tornado.handler import TornadoVoilaHandler

    async def look_up(key: str) -> store.Applicant | None:
        return await asyncio.to_thread(_opens, keys_from, key) if 0 < len(key) <= MAX_KEY else None

    class GuardedVoilaHandler(TornadoVoilaHandler):
        page_kernel: str | None = None

        async def get(self, path=None):
            query = parse_qs(self.request.query, keep_blank_values=True)
            lang = "en" if query.get("lang", [""])[0] == "en" else "zh"
            key = query.get(store.LINK_PARAM, [""])[0].strip()
            applicant = await guard.check(self.request.remote_ip or "?", partial(look_up, key))
            if applicant is None:
                return self._answer(403, refused_page(lang))
            if not limit.admit(self.kernel_manager):
                LOG.warning("%d kernels serve pages (--max-kernels): a visitor was asked to come back later",
                            limit.most)
                self.set_header("Retry-After", str(BUSY_RETRY))
                return self._answer(503, busy_page(lang))
            self.xsrf_token  # noqa: B018 - sets the _xsrf cookie: the page's shutdown request on closing needs it
            for name in self.request.cookies:  # the cookies of pages closed since
                if name.startswith(PAGE_COOKIE) and name.removeprefix(PAGE_COOKIE) not in pages:
                    self.clear_cookie(name, path=self.base_url)
            _PAGE_KERNEL.set(self._bind)
            try:
                await super().get(path)
            finally:
                limit.release()
            if pool > 0 and path == f"{applicant.rubric}.ipynb":
                _start_pool(self.kernel_manager, path, pool)

        def _bind(self, kernel_id: str) -> None:
            """Give the page the cookie its kernel answers to (its first kernel only: one page, one kernel)."""
            if self.page_kernel is None:
                self.page_kernel = kernel_id
                self.set_cookie(page_cookie(kernel_id), pages.bind(kernel_id), path=self.base_url, httponly=True,
                                secure=self.request.protocol == "https", samesite="Strict")

        def _answer(self, status: int, page: str) -> None:
            self.set_status(status)
            self.set_header("Cache-Control", "no-store")
            self.finish(page)

    return GuardedVoilaHandler


def kernel_handlers(pages: PageKernels) -> dict[type, type]:
    """Voila's handlers of one kernel, each with qkit's in its place: the kernel's channels, model and shutdown
    refuse (403, before any upgrade or action) a request without its page's cookie; the warm kernels' query
    socket takes only the kernel itself (``KernelQuery``)."""
    from jupyter_server.services.kernels.handlers import KernelHandler
    from voila.request_info_handler import RequestInfoSocketHandler
    from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
    from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

    def refused(handler, kernel_id: str) -> bool:
        if pages.holds(kernel_id, handler.get_cookie(page_cookie(kernel_id))):
            return False
        _refuse(handler, "not from that kernel's page")
        return True

    class PageChannels(VoilaKernelWebsocketHandler):
        async def get(self, kernel_id):
            if not refused(self, kernel_id):
                await super().get(kernel_id)

    class PageKernel(KernelHandler):
        async def get(self, kernel_id):
            if not refused(self, kernel_id):
                await super().get(kernel_id)

        async def delete(self, kernel_id):
            if not refused(self, kernel_id):
                await super().delete(kernel_id)

    class PageShutdown(VoilaShutdownKernelHandler):
        async def post(self, kernel_id):
            if not refused(self, kernel_id):
                await super().post(kernel_id)

    return {VoilaKernelWebsocketHandler: PageChannels, KernelHandler: PageKernel,
            VoilaShutdownKernelHandler: PageShutdown, RequestInfoSocketHandler: kernel_query()}


def _refuse(handler, why: str) -> None:
    """Answer 403 at once (before a websocket's upgrade), and log why."""
    LOG.warning("refused %s %s from %s: %s", handler.request.method, handler.request.path, handler.request.remote_ip,
                why)
    handler.set_status(403)
    handler.finish()


@cache
def kernel_query():
    """Voila's /voila/query/<kernel id>, where a warm kernel waits for its page's request (the page's key in it),
    taken by the kernel alone.

    Voila's own socket let anyone wait there (and the next visitor's key went
    to them), let a second connection replace the waiting kernel (which then
    waited for ever), and cached every request it could not deliver. Here the
    kernel proves itself (``preheat.proof``: its id signed with its session
    key) before the upgrade, a waiting kernel keeps its place, and a request
    is forgotten once delivered or when its kernel ends (``forget``). Voila's
    page handler still calls ``RequestInfoSocketHandler.send_updates``, which
    uses the class's own dictionaries, shared with this subclass.
    """
    from voila.request_info_handler import RequestInfoSocketHandler

    waiters, undelivered = RequestInfoSocketHandler._waiters, RequestInfoSocketHandler._cache

    class KernelQuery(RequestInfoSocketHandler):
        async def get(self, kernel_id):
            kernels = self.settings["kernel_manager"]
            key = kernels.get_kernel(kernel_id).session.key if kernel_id in kernels else b""
            shown = self.request.headers.get(PROOF_HEADER, "").encode()  # as bytes: any header compares
            if not key or not hmac.compare_digest(shown, proof(kernel_id, key).encode()):
                _refuse(self, "not that kernel")
            elif kernel_id in waiters:
                _refuse(self, "the kernel waits there already")
            else:
                await super().get(kernel_id)

        def open(self, kernel_id: str) -> None:
            if waiters.setdefault(kernel_id, self) is not self:  # the kernel asked twice at once: one waits
                self.close()
            elif kernel_id in undelivered:
                self.write_message(undelivered.pop(kernel_id))

        def on_close(self) -> None:
            for kernel_id in [k for k, waiter in waiters.items() if waiter is self]:
                del waiters[kernel_id]

        @classmethod
        def forget(cls, kernel_id: str) -> None:
            """A kernel ended: its undelivered request goes, and its connection if it still waits."""
            undelivered.pop(kernel_id, None)
            waiter = waiters.pop(kernel_id, None)
            if waiter is not None:
                waiter.close()

    return KernelQuery


def landing_handler(workbooks: Path):
    """The landing page, answered by the server itself (a notebook's kernel for it cost as much as a form's)."""
    from tornado.web import RequestHandler

    class Landing(RequestHandler):
        async def get(self):
            lang = "en" if self.get_query_argument("lang", "") == "en" else "zh"
            self.set_header("Cache-Control", "no-cache")
            self.finish(await asyncio.to_thread(landing_page, workbooks, lang))

    return Landing


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


def make_app(workbooks: Path, port: int, open_browser: bool, keys_from: store.Store, host: str = HOST,
             path: str = "/", behind_proxy: bool = False, pool: int = 0, max_kernels: int = 0):
    """The configured Voila application, not yet listening, its logs without keys or kernel ids.

    Links' keys are checked against ``keys_from`` before a kernel starts.
    ``behind_proxy`` takes the client's address from the proxy's X-Real-IP /
    X-Forwarded-For headers and its scheme from X-Forwarded-Proto (tornado's
    ``xheaders``). ``pool`` warm kernels are kept in all, shared among the
    workbooks of the standards that have applicants (a workbook opened with a
    valid key later gets its share from then on); ``max_kernels`` > 0 limits
    the kernels serving pages.
    """
    from jupyter_server.utils import url_path_join
    from tornado.web import RedirectHandler
    from voila.app import Voila
    from voila.tornado.handler import TornadoVoilaHandler

    guard, limit, pages = KeyGuard(), KernelLimit(max_kernels), PageKernels()
    in_use = sorted({a.rubric for a in keys_from.applicants()}) if pool > 0 else []
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
            kernel_of = {"start_kernel": lambda kernel_id: kernel_id,
                         "get_rendered_notebook": lambda rendered: rendered[2]}  # (task, cells, kernel id)
            for method, find in kernel_of.items():
                if hasattr(kernels, method):
                    setattr(kernels, method, handing_out(getattr(kernels, method), find, limit))
            remove = kernels.remove_kernel

            def removed(kernel_id):  # however a kernel ends (its tab closed, culled, died), its page's hold goes
                pages.drop(kernel_id)
                kernel_query().forget(kernel_id)
                return remove(kernel_id)

            kernels.remove_kernel = removed
            self.tornado_settings = {**self.tornado_settings, "xsrf_cookie_kwargs": {"path": self.base_url},
                                     "websocket_max_message_size": MAX_MESSAGE}
            return settings

        def init_handlers(self):
            replaced = {TornadoVoilaHandler: guarded_handler(keys_from, guard, limit, pages, pool),
                        **kernel_handlers(pages)}
            handlers = [(h[0], replaced.get(h[1], h[1]), *h[2:]) for h in super().init_handlers()]
            landing = landing_handler(workbooks)  # at the base URL, in place of Voila's list of notebooks
            return [(url_path_join(self.server_url, "voila/render/index.ipynb"), RedirectHandler,
                     {"url": self.server_url, "permanent": False}),  # where the landing notebook was
                    *[(h[0], landing) if h[0] == self.server_url else h for h in handlers]]

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
