"""Everything qkit relies on inside Voila, in one place (tested with the Voila range pinned in pyproject.toml).

``make_app`` builds Voila's application from qkit's settings as a traitlets
``Config`` (applied after any ``voila.json`` a user has, so none of them can
be turned off), with qkit's handlers in place of Voila's: the notebook
handler checks a link's key before any kernel starts and binds the page's
kernel to it, the kernel's channels, model and shutdown answer only that
page, a warm kernel's query socket answers only that kernel and keeps its
request until the kernel has it (``kernel_query``, which also replaces how
Voila's page handler sends the request), and the landing page is the
server's own. It reaches into Voila's kernel manager in three
places, each commented: the methods that hand a page its kernel, the removal
of a kernel, and the pools of warm kernels (their sizes, their refilling and
the kernels waiting in them, ``Pools``).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from contextlib import contextmanager, nullcontext, suppress
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import parse_qs

from ..resources import TEMPLATES
from . import store
from .guard import (
    BUSY_RETRY,
    LOG,
    MAX_KEY,
    PAGE_COOKIE,
    PAGE_KERNEL,
    HideKeys,
    KernelLimit,
    KeyGuard,
    PageKernels,
    applicant_of_key,
    busy_page,
    landing_page,
    page_cookie,
    refused_page,
)
from .preheat import PROOF_HEADER, RECEIVED, proof

if TYPE_CHECKING:
    from .serve import ServeOptions

CULL_IDLE_TIMEOUT = 900  # seconds a kernel lives after its page was closed
CULL_INTERVAL = 60  # seconds between checks for such kernels
IOPUB_TIMEOUT = 120  # seconds a page's rendering waits for the last output of its cell
MAX_MESSAGE = 8 * 1024 * 1024  # a page's websocket message (an upload); the KPI import refuses above 2 MB itself
MAX_BODY = 1024 * 1024  # an HTTP request body (the form posts nothing larger than the tab-closed notice)
MAX_URL = 1024 * 1024  # longest request head answered (a hostile 100,000-character key gets a refusal, not silence)
# Voila's page without the stylesheets it links from a CDN: the form asks no other host for anything
PAGE_TEMPLATES = TEMPLATES / "nbconvert" / "qkit-form"


def handing_out(method, kernel_of: Callable[[Any], str], limit: KernelLimit):
    """A kernel manager's method that gives a page its kernel (``start_kernel``, ``get_rendered_notebook``), wrapped:
    the page's ticket is given back, and the kernel (``kernel_of`` finds its id in the result) is handed to the page
    being served (``PAGE_KERNEL``), before the page's first byte is sent. Voila starts warm kernels through its
    base class's ``start_kernel``, not through this, though their tasks copy the context of the request that
    started them."""
    tracked = limit.track(method)

    async def handed_out(*args, **kwargs):
        result = await tracked(*args, **kwargs)
        to_page = PAGE_KERNEL.get()
        if to_page is not None:
            to_page(kernel_of(result))
        return result

    return handed_out


def guarded_handler(keys_from: store.Store, guard: KeyGuard, limit: KernelLimit, pages: PageKernels,
                    pools: Pools | None = None):
    """Voila's notebook handler: a link's key is checked against the store before any kernel starts (no key, no
    kernel), a visitor beyond the kernel limit gets the busy page, the page's kernel is bound to the page by a
    cookie, and a workbook opened with a valid key gets its pool of warm kernels from then on (each page is
    counted in flight while it renders, see ``Pools``). Every page gets the ``_xsrf`` cookie its request to shut
    its kernel down needs."""
    from voila.tornado.handler import TornadoVoilaHandler

    async def look_up(key: str) -> store.Applicant | None:
        return await asyncio.to_thread(applicant_of_key, keys_from, key) if 0 < len(key) <= MAX_KEY else None

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
            PAGE_KERNEL.set(self._bind)
            with pools.page(path) if pools else nullcontext():
                try:
                    await super().get(path)
                finally:
                    limit.release()
            if pools and path == f"{applicant.rubric}.ipynb":
                pools.start(path)

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
    to them), and lost a request written to a connection that had just
    broken (the kernel, trying again, then waited for ever and its page never
    came). Here the kernel proves itself (``preheat.proof``: its id signed
    with its session key) before the upgrade, so a second connection for a
    kernel is that kernel trying again and takes the place of the first; and
    a request is kept until its kernel says it has it (``preheat.RECEIVED``),
    or until the kernel ends (``forget``). Voila's page handler calls
    ``RequestInfoSocketHandler.send_updates``, which is replaced by one that
    keeps the request so.
    """
    from tornado.websocket import WebSocketClosedError
    from voila.request_info_handler import RequestInfoSocketHandler

    waiters, undelivered = RequestInfoSocketHandler._waiters, RequestInfoSocketHandler._cache

    class KernelQuery(RequestInfoSocketHandler):
        kernel_id = ""

        async def get(self, kernel_id):
            kernels = self.settings["kernel_manager"]
            key = kernels.get_kernel(kernel_id).session.key if kernel_id in kernels else b""
            shown = self.request.headers.get(PROOF_HEADER, "").encode()  # as bytes: any header compares
            if not key or not hmac.compare_digest(shown, proof(kernel_id, key).encode()):
                _refuse(self, "not that kernel")
            else:
                await super().get(kernel_id)

        def open(self, kernel_id: str) -> None:
            self.kernel_id = kernel_id
            earlier = waiters.get(kernel_id)
            waiters[kernel_id] = self
            if earlier is not None:  # the kernel gave up on that connection and tried again
                earlier.close()
            if kernel_id in undelivered:
                self.write_message(undelivered[kernel_id])

        def on_message(self, message) -> None:
            if message == RECEIVED:
                undelivered.pop(self.kernel_id, None)

        def on_close(self) -> None:
            if waiters.get(self.kernel_id) is self:
                del waiters[self.kernel_id]

        @classmethod
        def send_updates(cls, msg: dict) -> None:
            """A page's request for a warm kernel: written to the kernel if it waits, and kept until it says it has
            it (a connection that broke just now is found out only by the kernel)."""
            kernel_id = msg["kernel_id"]
            undelivered[kernel_id] = msg["payload"]
            waiter = waiters.get(kernel_id)
            if waiter is not None:
                with suppress(WebSocketClosedError):
                    waiter.write_message(msg["payload"])

        @classmethod
        def forget(cls, kernel_id: str) -> None:
            """A kernel ended: its undelivered request goes, and its connection if it still waits."""
            undelivered.pop(kernel_id, None)
            waiter = waiters.pop(kernel_id, None)
            if waiter is not None:
                waiter.close()

    RequestInfoSocketHandler.send_updates = KernelQuery.send_updates  # what Voila's page handler calls
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


class Pools:
    """The workbooks' pools of warm kernels: their sizes, and when they are filled.

    Refilling waits while pages are being rendered: a kernel started during a
    burst takes the CPU the burst's pages need (with Voila's own refill, a
    second after each page, a burst of 8 warm pages took longer than 8 cold
    one-button pages). It starts once no page has been in flight for
    ``SETTLE`` seconds (a page just sent still fetches its widgets), or
    ``FILL_AT_MOST`` seconds after it was asked for.

    A pool grows while a burst is under way: each page that found its
    workbook's pool empty (and so started its kernel cold) adds one kernel to
    that pool, up to ``GROWTH`` times its share, and never so many that the
    kernels serving pages and the warm ones together pass ``--max-kernels``.
    ``QUIET`` seconds after the last such page the pool is back to its share,
    its surplus warm kernels shut down.
    """

    FILL_AT_MOST = 60  # seconds a refill waits at most for the pages in flight
    GROWTH = 4  # a pool grows to at most this many times its share
    QUIET = 300  # seconds without a page finding its pool empty before a grown pool shrinks back
    LOOK = 0.5  # seconds between looks for the pages in flight to be done
    SETTLE = 3  # seconds after the last page was sent before a refill starts

    def __init__(self, total: int, limit: KernelLimit):
        self.total, self.limit = total, limit
        self.kernels: Any = None  # Voila's kernel manager, once made (``take_over``)
        self.shares: dict[str, int] = {}
        self.in_flight = 0  # pages being rendered
        self.last_sent = 0.0  # when the last page was sent (the event loop's clock)
        self._shrinking: dict[str, asyncio.TimerHandle] = {}  # each grown pool's shrink, put off by every miss
        self._fill: Callable[..., None] | None = None

    def config(self, in_use: list[str], env: dict) -> dict:
        """Voila's ``kernel_pools_config``: a share of the warm kernels for each workbook in use (filled as the
        kernel manager is made), none for others until ``start``."""
        default = {"pool_size": 0, "kernel_env_variables": env}
        self.shares = {notebook: pool_share(self.total, len(in_use)) for notebook in in_use}
        return {"default": default, **{notebook: {**default, "pool_size": share}
                                       for notebook, share in self.shares.items()}}

    def take_over(self, kernels) -> None:
        """From now on the kernel manager's pools are refilled and grown here (its ``fill_if_needed``)."""
        self.kernels, self._fill = kernels, kernels.fill_if_needed
        kernels.fill_if_needed = self.fill_soon  # Voila's refill after a page took a warm kernel

    def start(self, notebook: str) -> None:
        """Keep warm kernels for a workbook from now on (a no-op when it has its pool already)."""
        pools = self.kernels.kernel_pools_config
        if notebook in pools:
            return
        self.shares[notebook] = share = pool_share(self.total, len(self.shares) + 1)
        pools[notebook] = {**pools["default"], "pool_size": share}
        self._fill(delay=0, notebook_name=notebook)

    @contextmanager
    def page(self, notebook: str):
        """The span of one page being rendered; a page that will find its workbook's pool empty grows it."""
        if notebook in self.shares and self.kernels.get_pool_size(notebook) == 0:
            self._grow(notebook)
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self.last_sent = asyncio.get_running_loop().time()

    def _grow(self, notebook: str) -> None:
        config = self.kernels.kernel_pools_config[notebook]
        size = min(config["pool_size"] + 1, self.GROWTH * self.shares[notebook])
        if self.limit.most > 0:  # the kernels serving pages (this page's ticket among them) and all warm ones fit
            warm = sum(len(pool) for pool in self.kernels._pools.values())  # Voila's pools: warm kernels' tasks
            size = min(size, self.limit.most - self.limit.in_use(self.kernels) - warm)
        if size > config["pool_size"]:
            config["pool_size"] = size
            self.fill_soon(notebook_name=notebook)
        if notebook in self._shrinking:
            self._shrinking[notebook].cancel()
        self._shrinking[notebook] = asyncio.get_running_loop().call_later(self.QUIET, self._shrink, notebook)

    def fill_soon(self, delay: float | None = None, notebook_name: str | None = None, **kwargs) -> None:
        """Fill a pool once no page is in flight (or after ``FILL_AT_MOST`` seconds). The request of the page
        that took a warm kernel, its key in its URL, is not passed on to the next one's environment."""
        kwargs.pop("extra_kernel_env_variables", None)
        loop = asyncio.get_running_loop()
        until = loop.time() + self.FILL_AT_MOST

        def look() -> None:
            busy = self.in_flight or loop.time() - self.last_sent < self.SETTLE
            if busy and loop.time() < until:
                loop.call_later(self.LOOK, look)
            else:
                self._fill(delay=0, notebook_name=notebook_name, **kwargs)

        loop.call_later(self.LOOK if delay is None else delay, look)

    def _shrink(self, notebook: str) -> None:
        """Back to the share after a quiet spell: the warm kernels beyond it are shut down."""
        del self._shrinking[notebook]
        self.kernels.kernel_pools_config[notebook]["pool_size"] = share = self.shares[notebook]
        ready = [task for task in self.kernels._pools.get(notebook, []) if task.done() and not task.cancelled()
                 and task.exception() is None]
        for task in ready[:max(0, self.kernels.get_pool_size(notebook) - share)]:
            warm = task.result()  # its rendering waits for a page: stopped first, so it ends without an error
            warm["task"].cancel()
            asyncio.get_running_loop().create_task(self.kernels.shutdown_kernel(warm["kernel_id"]))


def kernel_address(host: str) -> str:
    """The address a preheated kernel reaches the server on to learn its page's query (Voila's VOILA_APP_IP)."""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # every address: this machine's
    return f"[{host}]" if ":" in host else host


def voila_config(port: int, open_browser: bool, host: str = "127.0.0.1", path: str = "/", pool: int = 0):
    """qkit's settings of Voila, as a traitlets ``Config`` (option names as in ``voila --help-all``); ``pool`` > 0
    turns on preheated kernels (which workbooks get a pool of that size is set by ``make_app``)."""
    from traitlets.config import Config

    config = Config()
    config.Voila.port = port
    config.Voila.ip = host
    config.Voila.base_url = path
    config.Voila.port_retries = 0  # another port would make every printed link wrong
    config.Voila.open_browser = open_browser
    voila = config.VoilaConfiguration
    voila.strip_sources, voila.show_tracebacks, voila.allow_template_override = True, False, "NO"
    if pool > 0:
        voila.preheat_kernel, voila.default_pool_size = True, 0
    kernels = config.MappingKernelManager
    kernels.cull_idle_timeout, kernels.cull_interval = CULL_IDLE_TIMEOUT, CULL_INTERVAL
    kernels.cull_connected = False  # an open page keeps its kernel, however long the user reads
    # a form's output and widgets reach the page only if they arrive within this after its cell ended: under
    # load, Voila's 4 s left some pages blank
    config.VoilaExecutor.iopub_timeout = IOPUB_TIMEOUT
    return config


def make_app(options: "ServeOptions", keys_from: store.Store):
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

    workbooks, host, pool, behind_proxy = options.workbooks, options.host, options.pool, options.behind_proxy
    config = voila_config(options.port, options.open_browser, host, options.base_url, pool)
    guard, limit, pages = KeyGuard(), KernelLimit(options.max_kernels), PageKernels()
    in_use = sorted({a.rubric for a in keys_from.applicants()}) if pool > 0 else []
    in_use = [f"{rubric}.ipynb" for rubric in in_use if (workbooks / f"{rubric}.ipynb").is_file()]
    pools = Pools(pool, limit) if pool > 0 else None

    class QkitVoila(Voila):
        def load_config_file(self, *args, **kwargs):
            super().load_config_file(*args, **kwargs)
            self.update_config(config)  # qkit's settings win over any voila.json found on the machine

        def setup_template_dirs(self):
            super().setup_template_dirs()
            self.template_paths.insert(0, str(PAGE_TEMPLATES))  # found before Voila's own page and extends it

        def init_settings(self):
            if pools:  # read by the kernel manager made below, which fills the pools at once
                self.config.VoilaKernelManager.kernel_pools_config = pools.config(
                    in_use, {"VOILA_APP_IP": kernel_address(host)})
            settings = super().init_settings()
            kernels = self.kernel_manager
            if pools:
                pools.take_over(kernels)
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
            replaced = {TornadoVoilaHandler: guarded_handler(keys_from, guard, limit, pages, pools),
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

    app = QkitVoila(config=config)
    app.initialize([str(workbooks)])
    root = logging.getLogger()  # tornado's request and error lines end up here
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    hide = HideKeys()
    for handler in [*root.handlers, *app.log.handlers]:
        handler.addFilter(hide)
    return app
