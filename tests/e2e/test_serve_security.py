"""qkit serve against someone who speaks the page's own protocols: links without a key, kernel ids taken for
credentials, the warm kernels' query socket, and keys guessed in parallel or from many addresses."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import pytest

from qkit import load_rubric
from qkit.web.preheat import PROOF_HEADER, proof
from qkit.web.guard import (GUARD_CROWD, GUARD_FREE, GUARD_MAX_DELAY, GUARD_TURN, GUARD_WINDOW, KeyGuard, landing_page,
                            page_cookie)
from qkit.web.serve import WORKBOOKS_DIR
from qkit.web.store import Store, access_path
from support.chromium import needs_chromium
from support.documents import RUBRIC_IDS, write_notebook
from support.servers import (close_page, cookie_header, fetch, KERNEL_ID, kernels, open_page, RENDER, server_process,
                             serving, set_cookies, wait_until, warm_kernel)

RUBRIC = "hubei-manufacturing"
# the workbook of a standard in use, reduced to saying whose key its page has: quick to run, and warm kernels run it
PROBE = """from qkit.web.preheat import query_string
from qkit.web.store import open_for_token
opened = open_for_token(None, query_string())
print("NAME:" + opened[0].name if opened else "DENIED")"""


def probe_workbooks(tmp_path: Path) -> Path:
    folder = tmp_path / "workbooks"
    folder.mkdir()
    write_notebook(folder / f"{RUBRIC}.ipynb", PROBE)
    return folder


def log_text(log: Path) -> str:
    time.sleep(1)  # the server's last lines
    return log.read_text(encoding="utf-8", errors="replace")


# --- no kernel without a key ----------------------------------------------------------------


@pytest.mark.slow
def test_a_link_without_a_key_is_refused_before_any_kernel_starts(tmp_path):
    """Plain GETs without a key each started a kernel that lived until culled: forty of them every quarter of an
    hour kept every real visitor on the busy page."""
    data = tmp_path / "data"
    url = access_path(*Store(data).add_applicant("有钥匙单位", RUBRIC))
    with serving(tmp_path, "--data", str(data), "--workbooks", str(probe_workbooks(tmp_path)), "--pool", "0",
                 "--max-kernels", "2") as (base, log):
        server = server_process(base)
        workbook = f"{base}/voila/render/{RUBRIC}.ipynb"
        for query in ["", "?lang=zh", "?key", "?keys=abc"]:
            status, headers, page = fetch(workbook + query)
            assert status == 403 and "链接无效" in page and "DENIED" not in page, query
            assert headers.get("Cache-Control") == "no-store"
        status, _, page = fetch(workbook + "?lang=en")
        assert status == 403 and "This link is invalid" in page
        assert kernels(server) == set()
        status, _, page = fetch(base + url)  # the places are free for the visitor with a key
        assert status == 200 and "NAME:有钥匙单位" in page

        status, _, landing = fetch(base + "/")  # the landing page is the server's, no kernel either
        assert status == 200 and load_rubric(RUBRIC).document.title in landing and "卓越绩效自评表" in landing
        assert load_rubric("wuhan-service").document.title not in landing  # no workbook of it is served here
        status, _, landing = fetch(base + "/voila/render/index.ipynb?lang=en")  # its old address
        assert status == 200 and "Online self-assessment workbooks" in landing
        assert len(kernels(server)) == 1
    assert "wrong or missing access key from 127.0.0.1 (5 in the last 15 minutes)" in log_text(log)


def test_the_landing_page_lists_the_standards_served(tmp_path):
    text = landing_page(WORKBOOKS_DIR, "zh")
    for rid in RUBRIC_IDS:
        assert load_rubric(rid).document.title in text
    assert "<script" not in text and "卓越绩效自评表" in text
    english = landing_page(probe_workbooks(tmp_path), "en")
    assert load_rubric(RUBRIC).document.title in english and "Online self-assessment workbooks" in english
    assert load_rubric("wuhan-service").document.title not in english


# --- a kernel belongs to its page ------------------------------------------------------------


def kernel_info(base: str, kernel: str, cookies: dict[str, str]) -> int:
    """The status of a websocket to the kernel's channels: 101 once the kernel answered through it."""
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    session = str(uuid.uuid4())
    url = base.replace("http", "ws") + f"/api/kernels/{kernel}/channels?session_id={session}"
    header = {"msg_id": uuid.uuid4().hex, "username": "", "session": session, "msg_type": "kernel_info_request",
              "version": "5.3", "date": ""}
    try:
        with connect(url, additional_headers=cookie_header(cookies), open_timeout=60, max_size=None) as socket:
            socket.send(json.dumps({"header": header, "parent_header": {}, "channel": "shell", "metadata": {},
                                    "content": {}, "buffers": []}))
            while "kernel_info_reply" not in str(socket.recv(timeout=60)):
                pass
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


@pytest.mark.slow
def test_a_kernel_answers_only_the_page_it_was_started_for(tmp_path):
    """A kernel's id, shown in its page and in the log, let a script with neither key nor cookie join the lead's
    open page over the kernel's websocket, read every widget and save as the lead."""
    data = tmp_path / "data"
    store = Store(data)
    lead, other = (access_path(*store.add_applicant(name, RUBRIC)) for name in ("负责人单位", "另一单位"))
    with serving(tmp_path, "--data", str(data), "--workbooks", str(probe_workbooks(tmp_path)),
                 "--pool", "0") as (base, log):
        server = server_process(base)
        status, headers, page = fetch(base + lead)
        kernel = KERNEL_ID.search(page).group(1)
        lines = set_cookies(headers)
        cookies = {name: line.split(";")[0] for name, line in lines.items()}
        attributes = [part.strip().lower() for part in lines[page_cookie(kernel)].split(";")[1:]]
        assert {"httponly", "samesite=strict", "path=/"} <= set(attributes) and "secure" not in attributes
        second, second_cookies = open_page(base, other)
        strangers = {"no page cookie": {"_xsrf": cookies["_xsrf"]},
                     "another page's cookies": second_cookies,
                     "another page's secret": {**second_cookies, page_cookie(kernel): second_cookies[page_cookie(second)]}}
        for who, jar in strangers.items():
            assert kernel_info(base, kernel, jar) == 403, who
            assert fetch(f"{base}/api/kernels/{kernel}", headers=cookie_header(jar))[0] == 403, who
            assert fetch(f"{base}/api/kernels/{kernel}", headers={**cookie_header(jar), "X-XSRFToken": jar["_xsrf"]},
                         method="DELETE")[0] == 403, who
            assert close_page(base, kernel, jar) == 403, who
        assert kernels(server) == {kernel, second}
        assert kernel_info(base, kernel, cookies) == 101  # the page itself
        assert kernel_info(base, kernel, cookies) == 101  # and again, as after a dropped connection
        assert fetch(f"{base}/api/kernels/{kernel}", headers=cookie_header(cookies))[0] == 200
        assert close_page(base, kernel, cookies) == 204
        assert wait_until(lambda: kernels(server) == {second}, 30)
        assert kernel_info(base, kernel, cookies) != 101
        status, headers, _ = fetch(base + lead, headers=cookie_header({**cookies, **second_cookies}))
        renewed = set_cookies(headers)
        value, *attributes = renewed[page_cookie(kernel)].split(";")
        expires = [a.split("=", 1)[1] for a in attributes if a.strip().lower().startswith("expires=")]
        assert value.strip('"') == "" and parsedate_to_datetime(expires[0]) < datetime.now(timezone.utc)  # cleared
        assert page_cookie(second) not in renewed  # the open page keeps its own
        text = log_text(log)
    assert kernel not in text and second not in text
    assert re.search(r"Kernel started: id#[0-9a-f]{8}\b", text)
    assert re.search(r"/api/kernels/id#[0-9a-f]{8}/channels", text)  # request lines too


# --- the warm kernels' query socket -------------------------------------------------------------


def query_socket(base: str, kernel: str, headers: dict[str, str]) -> int:
    """The status of a websocket to /voila/query/<kernel> (101: opened)."""
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    try:
        with connect(base.replace("http", "ws") + f"/voila/query/{kernel}", additional_headers=headers,
                     open_timeout=30):
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


@pytest.mark.slow
def test_only_a_warm_kernel_itself_takes_its_pages_request(tmp_path):
    """/voila/query/<id> handed the next visitor's request, key included, to whoever waited there first; that
    visitor's page never loaded."""
    data = tmp_path / "data"
    url = access_path(*Store(data).add_applicant("预热访客单位", RUBRIC))
    with serving(tmp_path, "--data", str(data), "--workbooks", str(probe_workbooks(tmp_path)),
                 "--pool", "2") as (base, log):
        server = server_process(base)
        assert wait_until(lambda: len(kernels(server)) == 2, 120)
        warm = kernels(server)
        for kernel in warm:
            for headers in ({}, {PROOF_HEADER: "0" * 64}, {PROOF_HEADER: proof(kernel, b"")}, {PROOF_HEADER: "é" * 64}):
                assert query_socket(base, kernel, headers) == 403, headers
        status, _, page = fetch(base + url)
        assert status == 200 and "NAME:预热访客单位" in page
        assert KERNEL_ID.search(page).group(1) in warm  # served by a warm kernel, which got its visitor's request
        assert "refused" in log_text(log)


def test_the_query_socket_hands_a_request_to_its_own_kernel_until_it_has_it(monkeypatch):
    """In-process: Voila's page handler calls RequestInfoSocketHandler.send_updates. The request waits for its
    kernel, goes to it alone, is written again to the kernel's next connection when the first was cut off before
    the kernel had it (Voila's own lost it, and that page never came), is forgotten once the kernel has it, and
    when a kernel ended."""
    from tornado.httpserver import HTTPServer
    from tornado.testing import bind_unused_port
    from tornado.web import Application
    from voila.request_info_handler import RequestInfoSocketHandler as Voilas
    from websockets.sync.client import connect

    from qkit.web import preheat
    from qkit.web.voila import kernel_query

    KernelQuery = kernel_query()

    key = b"the kernel's session key"
    running = {str(uuid.uuid4()) for _ in range(4)}
    kernels_ = type("Kernels", (), {"__contains__": lambda self, kid: kid in running,
                                    "get_kernel": lambda self, kid: SimpleNamespace(session=SimpleNamespace(key=key))})()
    waiting, early, cut, ended = sorted(running)

    async def until(condition):
        for _ in range(500):
            if condition():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("not in time")

    def as_kernel(kernel):
        kernel_side = warm_kernel(monkeypatch, port, kernel)
        monkeypatch.setattr(kernel_side, "session_key", lambda: key)
        return kernel_side

    def cut_off(kernel) -> dict:
        """A connection of the kernel that takes the request and breaks before saying it has it."""
        with connect(base.replace("http", "ws") + f"/voila/query/{kernel}",
                     additional_headers={PROOF_HEADER: proof(kernel, key)}, open_timeout=30) as socket:
            return json.loads(socket.recv())

    async def scenario():
        nonlocal port, base
        socket, port = bind_unused_port()
        server = HTTPServer(Application([(r"/voila/query/(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)", KernelQuery)],
                                        kernel_manager=kernels_))
        server.add_sockets([socket])
        base = f"http://127.0.0.1:{port}"
        try:
            asked = asyncio.create_task(asyncio.to_thread(as_kernel(waiting).query_string))
            await until(lambda: waiting in Voilas._waiters)
            assert await asyncio.to_thread(query_socket, base, waiting, {}) == 403
            assert await asyncio.to_thread(query_socket, base, str(uuid.uuid4()), {PROOF_HEADER: proof(waiting, key)}
                                           ) == 403  # no such kernel
            Voilas.send_updates({"kernel_id": waiting, "payload": {"QUERY_STRING": "key=first"}})
            assert await asked == "key=first"
            await until(lambda: waiting not in Voilas._waiters and waiting not in Voilas._cache)  # it has it

            Voilas.send_updates({"kernel_id": early, "payload": {"QUERY_STRING": "key=early"}})  # before its kernel
            assert await asyncio.to_thread(as_kernel(early).query_string) == "key=early"
            await until(lambda: early not in Voilas._cache)

            Voilas.send_updates({"kernel_id": cut, "payload": {"QUERY_STRING": "key=cut"}})
            assert (await asyncio.to_thread(cut_off, cut))["QUERY_STRING"] == "key=cut"
            try:  # its next try still gets it (Voila's socket had forgotten it: the kernel waited for ever)
                assert await asyncio.wait_for(asyncio.to_thread(as_kernel(cut).query_string), 30) == "key=cut"
            finally:
                KernelQuery.forget(cut)  # a kernel still waiting is let go

            Voilas.send_updates({"kernel_id": ended, "payload": {"QUERY_STRING": "key=never"}})
            KernelQuery.forget(ended)  # its kernel shut down before it asked
            assert ended not in Voilas._cache
        finally:
            server.stop()

    port, base = 0, ""
    asyncio.run(scenario())
    assert preheat.proof(waiting, key) != preheat.proof(early, key) != preheat.proof(waiting, b"another key")


def test_a_kernel_trying_again_takes_the_place_of_its_earlier_connection(monkeypatch):
    """A warm kernel whose attempt timed out on its side tries again while the server still holds the first
    connection: the second takes its place (it proved itself), the first is closed, and the request reaches the
    kernel. Refusing it left the kernel without its page's request."""
    from tornado.httpserver import HTTPServer
    from tornado.testing import bind_unused_port
    from tornado.web import Application
    from voila.request_info_handler import RequestInfoSocketHandler as Voilas
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    from qkit.web.voila import kernel_query

    key, kernel = b"session key", str(uuid.uuid4())
    kernels_ = type("Kernels", (), {"__contains__": lambda self, kid: kid == kernel,
                                    "get_kernel": lambda self, kid: SimpleNamespace(session=SimpleNamespace(key=key))})()

    def kernel_side(port: int, send) -> tuple[dict, bool]:
        """Connects, connects again while the first connection is held, and reads on both."""
        url = f"ws://127.0.0.1:{port}/voila/query/{kernel}"
        headers = {PROOF_HEADER: proof(kernel, key)}
        with connect(url, additional_headers=headers, open_timeout=30) as first:
            assert wait_until(lambda: kernel in Voilas._waiters, 10)
            earlier = Voilas._waiters[kernel]
            with connect(url, additional_headers=headers, open_timeout=30) as second:
                assert wait_until(lambda: Voilas._waiters.get(kernel) not in (None, earlier), 10)
                send({"kernel_id": kernel, "payload": {"QUERY_STRING": "key=again"}})
                got = json.loads(second.recv(30))
            try:
                first.recv(30)
                closed = False
            except ConnectionClosed:  # the server closed the connection given up on
                closed = True
        return got, closed

    async def scenario():
        socket, port = bind_unused_port()
        server = HTTPServer(Application([(r"/voila/query/(?P<kernel_id>[\w-]+)", kernel_query())],
                                        kernel_manager=kernels_))
        server.add_sockets([socket])
        loop = asyncio.get_running_loop()
        try:
            send = partial(loop.call_soon_threadsafe, Voilas.send_updates)  # on the server's loop, as a page does
            assert await asyncio.to_thread(kernel_side, port, send) == ({"QUERY_STRING": "key=again"}, True)
        finally:
            kernel_query().forget(kernel)
            server.stop()

    asyncio.run(scenario())


# --- guessing keys --------------------------------------------------------------------------------


class Clock:
    """A clock that moves only when the guard sleeps (the guard's waits take no real time)."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


def checking(clock: Clock, seen: list, right: str = "right"):
    """A key look-up that notes the key and the time it was looked up."""
    async def lookup(key: str):
        seen.append((key, clock.now - 1000))
        return SimpleNamespace(key=key) if key == right else None
    return lookup


def test_guesses_from_one_address_take_turns_and_a_right_key_among_them_waits_too():
    clock, seen = Clock(), []
    guard = KeyGuard(clock=clock, sleep=clock.sleep)
    lookup = checking(clock, seen)
    keys = [f"guess{i}" for i in range(GUARD_FREE + 3)] + ["right"]

    async def scenario():
        return await asyncio.gather(*(guard.check("10.0.0.7", partial(lookup, key)) for key in keys))

    found = asyncio.run(scenario())
    assert [f is not None for f in found] == [False] * (GUARD_FREE + 3) + [True]
    # one at a time, in turn; beyond the free ones each waits twice as long as the one before, the right key too
    assert seen == [(key, at) for key, at in zip(keys, [0] * GUARD_FREE + [1, 3, 7, 15])]
    assert asyncio.run(guard.check("10.0.0.8", partial(lookup, "guess"))) is None
    assert seen[-1] == ("guess", 15)  # another address: no wait
    for _ in range(10):
        asyncio.run(guard.check("10.0.0.7", partial(lookup, "guess")))
    began = clock.now
    asyncio.run(guard.check("10.0.0.7", partial(lookup, "guess")))
    assert clock.now - began == GUARD_MAX_DELAY
    clock.now += GUARD_WINDOW + 1
    began = clock.now
    asyncio.run(guard.check("10.0.0.7", partial(lookup, "guess")))
    assert clock.now == began  # forgotten after the window
    assert not guard.turns  # no address left waiting


def test_guesses_from_many_addresses_are_slowed_down_together():
    clock, seen = Clock(), []
    guard = KeyGuard(clock=clock, sleep=clock.sleep)
    lookup = checking(clock, seen)

    async def scenario():
        await guard.check("10.1.1.1", partial(lookup, "right"))  # someone who opened their link before
        for i in range(GUARD_CROWD):  # from as many addresses: none slowed down by itself
            await guard.check(f"127.0.{i // 200}.{i % 200 + 2}", partial(lookup, "guess"))
        assert clock.now == 1000
        strangers = [guard.check(f"127.1.0.{i}", partial(lookup, f"stranger{i}")) for i in range(3)]
        return await asyncio.gather(*strangers, guard.check("10.1.1.1", partial(lookup, "right")))

    asyncio.run(scenario())
    times = dict(seen[GUARD_CROWD + 1:])
    assert [times[f"stranger{i}"] for i in range(3)] == [0, GUARD_TURN, 2 * GUARD_TURN]  # one slot at a time
    assert [key for key, _ in seen[-3:]] == ["right", "stranger1", "stranger2"]  # the known address did not queue
    clock.now += 61
    began = clock.now
    asyncio.run(guard.check("127.1.0.9", partial(lookup, "guess")))
    assert clock.now == began  # a minute later, no crowd


@pytest.mark.slow
def test_parallel_guesses_are_answered_one_at_a_time_and_a_right_key_among_them_waits(tmp_path):
    """Sixty guesses sent in parallel from one address were all answered within a minute: the guard delayed each
    answer but not the guessing."""
    data = tmp_path / "data"
    applicant, key = Store(data).add_applicant("被猜单位", RUBRIC)
    with serving(tmp_path, "--data", str(data), "--workbooks", str(probe_workbooks(tmp_path)),
                 "--pool", "0") as (base, log):
        def timed(url: str) -> tuple[int, float]:
            status = fetch(url)[0]
            return status, time.monotonic() - began

        guesses = [f"{base}/voila/render/{RUBRIC}.ipynb?key={uuid.uuid4().hex}" for _ in range(GUARD_FREE + 2)]
        began = time.monotonic()
        with ThreadPoolExecutor(len(guesses) + 1) as pool:
            answers = [pool.submit(timed, url) for url in guesses]
            time.sleep(0.5)  # all of them wait at the server
            right = pool.submit(timed, f"{base}/voila/render/missing.ipynb?key={key}")  # checked, then 404
            answers = [answer.result() for answer in answers]
            right = right.result()
        assert {status for status, _ in answers} == {403}
        assert max(at for _, at in answers) >= 1 + 2  # the sixth waited a second, the seventh two more after it
        assert right[0] == 404 and right[1] >= 1 + 2 + 4  # its turn came after the guesses, and it waited too
    assert f"({GUARD_FREE + 2} in the last 15 minutes)" in log_text(log)


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
def test_pages_in_one_browser_keep_their_own_kernels_through_a_dropped_connection_and_a_closed_tab(tmp_path,
                                                                                                   browser):
    """The page's cookie reaches its kernel from Chromium: two tabs with different links, one reconnecting after
    its connection dropped, then closed (its shutdown request carries the cookie too)."""
    store = Store(tmp_path / "data")
    names = ["第一标签单位", "第二标签单位"]
    links = [access_path(*store.add_applicant(name, RUBRIC)) for name in names]
    with serving(tmp_path, "--data", str(tmp_path / "data"), "--pool", "2") as (base, _):
        server = server_process(base)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        context.add_init_script("""window.__qkitSockets = [];
            const Plain = window.WebSocket;
            window.WebSocket = function (...args) { const s = new Plain(...args); window.__qkitSockets.push(s); return s; };
            Object.assign(window.WebSocket, Plain);
            window.WebSocket.prototype = Plain.prototype;""")
        pages = [context.new_page() for _ in links]
        for page, link, name in zip(pages, links, names):
            page.goto(base + link)
            page.wait_for_selector(".qkit-total-value", timeout=RENDER)
            assert name in page.locator(".qkit-form").first.inner_text()
        page_kernels = [KERNEL_ID.search(page.content()).group(1) for page in pages]
        held = {cookie["name"]: cookie for cookie in context.cookies()}
        for kernel in page_kernels:
            assert held[page_cookie(kernel)]["httpOnly"] and held[page_cookie(kernel)]["sameSite"] == "Strict"
        first, second = pages
        opened = []
        first.on("websocket", lambda socket: opened.append(socket.url))
        first.evaluate("window.__qkitSockets.forEach(s => s.close())")  # the connection drops
        first.wait_for_function("() => window.__qkitSockets.some(s => s.readyState === 1)", timeout=RENDER)
        assert any(f"/api/kernels/{page_kernels[0]}/channels" in url for url in opened)  # it reconnected
        score(first, "70%", "35 / 1000")  # and its kernel answers over the new connection
        score(second, "50%", "25 / 1000")
        first.close(run_before_unload=True)
        assert wait_until(lambda: page_kernels[0] not in kernels(server), 60), "the closed tab's kernel runs on"
        assert page_kernels[1] in kernels(server)
        score(second, "70%", "35 / 1000")  # the other tab goes on
        context.close()


def score(page, label: str, total: str) -> None:
    """Give the first clause of 5.2 a score and wait for the kernel's new total."""
    page.get_by_role("tab", name="5.2 领导作用").click()
    select = page.locator(".qkit-card .qkit-score select").first
    select.wait_for(timeout=RENDER)
    select.select_option(label=label)
    page.wait_for_function("t => document.querySelector('.qkit-total-value').innerText.includes(t)", arg=total,
                           timeout=RENDER)
