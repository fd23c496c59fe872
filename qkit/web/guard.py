"""What ``qkit serve`` protects itself and its applicants with, whatever serves the pages.

No kernel without a valid key, and key checks taking turns (``KeyGuard``);
secrets kept out of every log line (``HideKeys``); each kernel bound to the
page that holds its key, its id no credential (``PageKernels``); at most so
many kernels serving pages (``KernelLimit``); and the server's own pages:
refused, busy, and the landing page with the standards served.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any, Awaitable, Callable

from ..errors import QkitError
from . import store

BUSY_RETRY = 60  # seconds a busy page asks the visitor to wait
MAX_KEY = 200  # longer keys are refused without a look-up; real ones have 32 characters
GUARD_WINDOW = 15 * 60  # seconds wrong keys from one address are remembered
GUARD_FREE = 5  # wrong keys an address may send in the window before answers slow down
GUARD_MAX_DELAY = 30  # seconds, the longest wait of one address's key check
GUARD_CROWD = 30  # wrong keys a minute from all addresses together before strangers take turns
GUARD_TURN = 2  # seconds between two strangers' key checks while crowded: 30 a minute
GUARD_KNOWN = 24 * 60 * 60  # seconds an address that used a right key is no stranger
PAGE_COOKIE = "qkit-page-"  # + the kernel id: the cookie a page's kernel answers to
LOG = logging.getLogger("qkit.serve")


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
    from ..rubric_files import RubricIndex

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
PAGE_KERNEL: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar("qkit_page_kernel",
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


def applicant_of_key(keys_from: store.Store, key: str) -> store.Applicant | None:
    try:
        return keys_from.applicant_for_token(key)
    except QkitError as exc:
        LOG.error("%s", exc.render("en"))
        return None
