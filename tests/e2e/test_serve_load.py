"""qkit serve with many people at once: warm kernels, closed tabs, the kernel limit, oversized messages."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from support.chromium import needs_chromium
from support.servers import (close_page, cookie_header, fetch, free_port, KERNEL_ID, kernels, open_page, RENDER,
                             server_process, serving, wait_until, warm_kernel)
from qkit.web.guard import BUSY_RETRY, KernelLimit
from qkit.web.voila import IOPUB_TIMEOUT, MAX_MESSAGE, kernel_address, pool_share, voila_config
from qkit.web.store import Store, access_path

RUBRIC = "hubei-manufacturing"


def run_apart(coroutine):
    """Run a coroutine to its end on an event loop of its own, in another thread (this one may hold the browser's)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


# --- in the browser -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
def test_eight_people_opening_their_links_at_once_all_get_their_form(tmp_path, browser):
    """Three bursts of eight pages: the first on the warm pool, the next while it refills. Under such load
    Voila used to render some pages before their form had reached it (blank, or "model not found")."""
    store = Store(tmp_path / "data")
    names = [f"同时打开单位{i + 1}" for i in range(8)]
    links = [access_path(*store.add_applicant(name, RUBRIC)) for name in names]
    with serving(tmp_path, "--data", str(tmp_path / "data")) as (base, log):
        for burst in range(3):
            contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in links]
            pages = [context.new_page() for context in contexts]
            said = {id(page): [] for page in pages}  # what each page's console said, for a page that never renders
            for page, url in zip(pages, links):
                page.on("console", lambda message, page=page: said[id(page)].append(message.text))
                page.goto(base + url, wait_until="commit", timeout=RENDER)
            for number, (page, name) in enumerate(zip(pages, names), 1):
                try:
                    page.wait_for_selector(".qkit-total-value", timeout=RENDER)
                except PlaywrightTimeout:
                    kernel = KERNEL_ID.search(page.content())
                    raise AssertionError(
                        f"burst {burst + 1}, page {number} (kernel {kernel and kernel.group(1)}) never showed its "
                        f"form; its console: {said[id(page)][-15:]}; its text: {page.inner_text('body')[:300]!r}; "
                        f"the server's log: {log.read_text(errors='replace')[-3000:]}") from None
                assert page.get_by_text("model not found").count() == 0, burst
                assert name in page.locator(".qkit-form").first.inner_text(), burst  # each sees their own
            for page in pages:
                page.close(run_before_unload=True)
            for context in contexts:
                context.close()


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
def test_closing_a_tab_frees_its_kernel_and_keeps_the_last_edit(tmp_path, browser):
    store = Store(tmp_path / "data")
    applicant, key = store.add_applicant("关页即释放单位", RUBRIC)
    with serving(tmp_path, "--data", str(tmp_path / "data"), "--pool", "0") as (base, _):
        server = server_process(base)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.goto(base + access_path(applicant, key))
        page.wait_for_selector(".qkit-total-value", timeout=RENDER)
        assert "_xsrf" in {cookie["name"] for cookie in context.cookies()}  # what the closing page's request needs
        (opened,) = kernels(server)
        page.get_by_role("tab", name="5.2 领导作用").click()
        select = page.locator(".qkit-card .qkit-score select").first
        select.wait_for(timeout=RENDER)
        select.select_option(label="70%")
        page.wait_for_function("() => document.querySelector('.qkit-total-value').innerText.includes('35 / 1000')",
                               timeout=RENDER)
        page.close(run_before_unload=True)  # as a person closing the tab, before the autosave's pause is over
        assert wait_until(lambda: opened not in kernels(server), 60), "the closed tab's kernel is still running"
        context.close()
    scores = [rating.get("score") for rating in store.latest(applicant.id).data["clauses"].values()]
    assert scores.count(70) == 1  # saved as the kernel ended


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
def test_warm_kernels_wait_for_the_standards_in_use_and_serve_their_pages(tmp_path, browser):
    store = Store(tmp_path / "data")
    applicant, key = store.add_applicant("预热单位", RUBRIC)
    other, other_key = store.add_applicant("另一标准单位", "wuhan-service")
    with serving(tmp_path, "--data", str(tmp_path / "data"), "--pool", "4") as (base, log):
        server = server_process(base)
        assert wait_until(lambda: len(kernels(server)) == 4, 120)  # 2 + 2: both standards in use, before any page
        assert fetch(f"{base}/voila/render/{RUBRIC}.ipynb?key=wrong")[0] == 403
        warm = kernels(server)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(base + access_path(applicant, key))
        page.wait_for_selector(".qkit-total-value", timeout=RENDER)
        assert "预热单位" in page.locator(".qkit-form").first.inner_text()
        assert "Using pre-heated kernel" in log.read_text(encoding="utf-8", errors="replace")
        page_kernel = KERNEL_ID.search(page.content()).group(1)
        assert page_kernel in warm  # a warm kernel serves the page; a new one refills the pool
        assert wait_until(lambda: len(kernels(server)) == 5, 120)
        page.close(run_before_unload=True)
        assert wait_until(lambda: page_kernel not in kernels(server), 60)
        context.close()
        assert kernels(server) - warm and len(kernels(server)) == 4  # the pool is full again


# --- over HTTP and the kernel's websocket -----------------------------------------------------


@pytest.mark.slow
def test_beyond_the_kernel_limit_a_visitor_is_asked_to_come_back(tmp_path):
    store = Store(tmp_path / "data")
    first, second = (access_path(*store.add_applicant(name, RUBRIC)) for name in ("先到单位", "后到单位"))
    with serving(tmp_path, "--data", str(tmp_path / "data"), "--pool", "0", "--max-kernels", "1") as (base, log):
        kernel, cookies = open_page(base, first)
        status, headers, page = fetch(base + second)
        assert status == 503 and headers.get("Retry-After") == str(BUSY_RETRY)
        assert "自评表暂时繁忙" in page and f"{BUSY_RETRY} 秒后" in page and "后到单位" not in page
        status, _, page = fetch(base + second + "&lang=en")
        assert status == 503 and "The workbooks are busy" in page and "reload this page" in page
        server = server_process(base)
        assert kernels(server) == {kernel}  # the busy answers started none
        assert close_page(base, kernel, {}) == 403  # without the page's _xsrf cookie: refused
        assert close_page(base, kernel, cookies) == 204
        assert wait_until(lambda: not kernels(server), 30)
        kernel, _ = open_page(base, second)  # a place is free again
        assert kernels(server) == {kernel}
        assert "--max-kernels" in log.read_text(encoding="utf-8", errors="replace")


@pytest.mark.slow
def test_a_message_over_the_limit_is_refused_before_it_is_read(tmp_path):
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    store = Store(tmp_path / "data")
    url = access_path(*store.add_applicant("大文件单位", RUBRIC))
    with serving(tmp_path, "--data", str(tmp_path / "data"), "--pool", "0") as (base, _):
        kernel, cookies = open_page(base, url)

        async def send(size: int) -> bool:
            """Whether the kernel answered a message of about ``size`` bytes (else the server closed the socket)."""
            ws_url = base.replace("http", "ws") + f"/api/kernels/{kernel}/channels?session_id={uuid.uuid4().hex}"
            socket = await websocket_connect(HTTPRequest(ws_url, headers=cookie_header(cookies)))
            header = {"msg_id": uuid.uuid4().hex, "username": "", "session": "s", "msg_type": "comm_info_request",
                      "version": "5.3", "date": ""}
            socket.write_message(json.dumps({"header": header, "parent_header": {}, "channel": "shell",
                                             "metadata": {}, "content": {"padding": "x" * size}, "buffers": []}))
            while True:
                reply = await socket.read_message()
                if reply is None or "comm_info_reply" in reply:
                    socket.close()
                    return reply is not None

        assert run_apart(send(1024))  # an ordinary message is answered
        assert not run_apart(send(MAX_MESSAGE + 1024))  # closed as its header arrived, unread
        assert run_apart(send(1024))  # the page reconnects; its kernel is still there


# --- the pieces --------------------------------------------------------------------------------


def test_voila_is_told_to_wait_for_outputs_and_to_preheat_only_with_a_pool():
    plain = voila_config(8866, False)
    assert plain.VoilaExecutor.iopub_timeout == IOPUB_TIMEOUT and IOPUB_TIMEOUT >= 60
    assert "preheat_kernel" not in plain.VoilaConfiguration
    assert voila_config(8866, False, pool=4).VoilaConfiguration.preheat_kernel is True


def test_warm_kernels_are_shared_among_the_standards_in_use():
    assert [pool_share(8, n) for n in (0, 1, 2, 3, 8, 20)] == [8, 8, 4, 2, 1, 1]


def test_a_preheated_kernel_reaches_the_server_where_it_listens():
    assert kernel_address("127.0.0.1") == "127.0.0.1"
    assert kernel_address("0.0.0.0") == "127.0.0.1"  # every address: the local one works
    assert kernel_address("192.168.1.20") == "192.168.1.20"  # only that address listens
    assert kernel_address("::1") == "[::1]" and kernel_address("::") == "[::1]"


class Kernels:
    """A kernel manager as KernelLimit sees it: kernel ids and pools of started kernels."""

    def __init__(self, running: list[str], pooled: list[str]):
        from concurrent.futures import Future

        self.running = running
        self._pools = {"a.ipynb": [Future() for _ in pooled]}
        for future, kid in zip(self._pools["a.ipynb"], pooled):
            future.set_result({"kernel_id": kid})

    def list_kernel_ids(self):
        return list(self.running)


def test_the_limit_counts_pages_and_not_the_warm_pool():
    import contextvars

    limit = KernelLimit(3)
    kernels_ = Kernels(["k1", "p1", "p2"], ["p1", "p2"])
    assert limit.in_use(kernels_) == 1  # two of the three wait in the pool
    admitted = [contextvars.copy_context().run(limit.admit, kernels_) for _ in range(3)]
    assert admitted == [True, True, False]  # the pages admitted and not yet started count
    assert limit.waiting == 2

    roomy = KernelLimit(5)

    async def page_gets_its_kernel():
        assert roomy.admit(kernels_) and roomy.waiting == 1
        started = roomy.track(lambda: asyncio.sleep(0, "k9"))
        assert await started() == "k9"
        assert roomy.waiting == 0  # its kernel counts from now on, the ticket no longer
        roomy.release()  # the request ending afterwards gives nothing back twice
        assert roomy.waiting == 0

    run_apart(page_gets_its_kernel())
    assert KernelLimit(0).admit(Kernels(["k"] * 100, []))  # 0: no limit


class PoolManager:
    """Voila's kernel manager as ``Pools`` sees it: pools of kernels' tasks filled to their configured size."""

    def __init__(self, config: dict):
        self.kernel_pools_config, self._pools, self.started, self.stopped, self.envs = config, {}, 0, [], []
        self.running: list[str] = []
        self.all_tasks: list = []

    def fill_if_needed(self, delay=None, notebook_name=None, extra_kernel_env_variables=None, **kwargs):
        self.envs.append(extra_kernel_env_variables)
        pool = self._pools.setdefault(notebook_name, [])
        loop = asyncio.get_running_loop()
        for _ in range(self.kernel_pools_config[notebook_name]["pool_size"] - len(pool)):
            self.started += 1
            task, rendering = loop.create_future(), loop.create_future()
            task.set_result({"kernel_id": f"w{self.started}", "task": rendering})
            pool.append(task)
            self.all_tasks.append(task)
            self.running.append(f"w{self.started}")

    def get_pool_size(self, notebook_name):
        return len(self._pools.get(notebook_name, []))

    def take(self, notebook_name):
        """A page takes a warm kernel, and Voila asks for a refill as it does (with the page's request)."""
        kernel = self._pools[notebook_name].pop(0).result()["kernel_id"]
        self.fill_if_needed(delay=None, notebook_name=notebook_name, extra_kernel_env_variables={"URL": "?key=k"})
        return kernel

    def list_kernel_ids(self):
        return list(self.running)

    async def shutdown_kernel(self, kernel_id):
        self.stopped.append(kernel_id)
        self.running.remove(kernel_id)
        for pool in self._pools.values():
            pool[:] = [task for task in pool if task.result()["kernel_id"] != kernel_id]


def test_a_pool_refills_once_the_pages_in_flight_are_rendered_and_grows_while_a_burst_lasts(monkeypatch):
    from qkit.web.voila import Pools

    monkeypatch.setattr(Pools, "LOOK", 0.01)
    monkeypatch.setattr(Pools, "QUIET", 2.0)
    monkeypatch.setattr(Pools, "SETTLE", 0.3)

    async def burst():
        pools = Pools(2, KernelLimit(0))
        kernels_ = PoolManager(pools.config(["a.ipynb"], {}))
        pools.take_over(kernels_)
        pools._fill(delay=0, notebook_name="a.ipynb")
        assert kernels_.get_pool_size("a.ipynb") == 2
        with pools.page("a.ipynb"):  # a page takes a warm kernel
            kernels_.take("a.ipynb")
            await asyncio.sleep(0.1)
            assert kernels_.get_pool_size("a.ipynb") == 1  # no refill while the page renders
        await asyncio.sleep(0.05)
        assert kernels_.get_pool_size("a.ipynb") == 1  # nor just after it was sent (it fetches its widgets)
        await asyncio.sleep(0.5)
        assert kernels_.get_pool_size("a.ipynb") == 2 and kernels_.envs[-1] is None  # the page's URL not passed on
        for _ in range(2):
            kernels_.take("a.ipynb")
        pages = [pools.page("a.ipynb") for _ in range(3)]  # three more find the pool empty: it grows by three
        for page in pages:
            page.__enter__()
        await asyncio.sleep(0.1)
        assert kernels_.kernel_pools_config["a.ipynb"]["pool_size"] == 5 and kernels_.get_pool_size("a.ipynb") == 0
        for page in pages:
            page.__exit__(None, None, None)
        await asyncio.sleep(0.5)
        assert kernels_.get_pool_size("a.ipynb") == 5
        for _ in range(5):
            kernels_.take("a.ipynb")
        for _ in range(9):  # never beyond four times its share
            with pools.page("a.ipynb"):
                pass
        assert kernels_.kernel_pools_config["a.ipynb"]["pool_size"] == 8
        await asyncio.sleep(2.2)  # a quiet spell: back to its share, the surplus shut down
        assert kernels_.kernel_pools_config["a.ipynb"]["pool_size"] == 2
        assert kernels_.get_pool_size("a.ipynb") == 2 and len(kernels_.stopped) == 6
        assert all(task.result()["task"].cancelled() == (task.result()["kernel_id"] in kernels_.stopped)
                   for task in kernels_.all_tasks)  # a surplus kernel's rendering stopped, no other

        limited = Pools(2, KernelLimit(6))  # 4 pages served, 2 waiting: no room to grow
        kernels_ = PoolManager(limited.config(["a.ipynb"], {}))
        limited.take_over(kernels_)
        limited._fill(delay=0, notebook_name="a.ipynb")
        for _ in range(2):
            kernels_.take("a.ipynb")
        await asyncio.sleep(0.05)
        kernels_.running += ["p1", "p2"]
        with limited.page("a.ipynb"):
            pass
        assert kernels_.kernel_pools_config["a.ipynb"]["pool_size"] == 2

    run_apart(burst())


def test_a_warm_kernel_waits_for_a_server_too_busy_to_answer_at_first(monkeypatch):
    """A server starting its pool answers late; a kernel that gave up at once would refuse its visitor later."""
    import threading

    from websockets.sync.server import serve as websocket_server

    port = free_port()
    preheat = warm_kernel(monkeypatch, port, "k-2")

    def late_server():
        time.sleep(3)  # longer than one attempt's refusal, as a server that is not listening yet
        with websocket_server(lambda c: c.send(json.dumps({"QUERY_STRING": "key=late"})), "127.0.0.1", port) as server:
            threading.Thread(target=server.serve_forever, daemon=True).start()
            done.wait(30)
            server.shutdown()

    done = threading.Event()
    threading.Thread(target=late_server, daemon=True).start()
    try:
        assert preheat.query_string() == "key=late"
    finally:
        done.set()


def test_a_preheated_kernel_gets_its_pages_query_from_the_server(monkeypatch, capfd):
    """qkit.web.preheat does what Voila's helper does, without importing Voila's server side into the kernel."""
    import subprocess
    import sys
    import threading

    from websockets.sync.server import serve as websocket_server

    asked = []

    def answer(connection):
        asked.append((connection.request.path, connection.request.headers.get(preheat.PROOF_HEADER)))
        connection.send(json.dumps({"QUERY_STRING": "key=abc&lang=en", "SERVER_NAME": "127.0.0.1"}))

    with websocket_server(answer, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        preheat = warm_kernel(monkeypatch, server.socket.getsockname()[1], "k-1")
        monkeypatch.setattr(preheat, "session_key", lambda: b"session key of k-1")
        monkeypatch.setenv("VOILA_SERVER_URL", "/qkit/")
        monkeypatch.setenv("QUERY_STRING", "key=inherited")  # in the server's environment: not this page's
        assert preheat.query_string() == "key=abc&lang=en"
        assert preheat.query_string() == "key=abc&lang=en"  # asked once: the kernel's environment has it now
        server.shutdown()
    assert asked == [("/qkit/voila/query/k-1", preheat.proof("k-1", b"session key of k-1"))]  # it shows who it is
    assert os.environ["SERVER_NAME"] == "127.0.0.1"
    warm_kernel(monkeypatch, free_port(), "k-3")
    monkeypatch.setattr(preheat, "PATIENCE", 2)  # nothing listens: after trying a while, the page is refused
    began = time.monotonic()
    assert preheat.query_string() == ""
    assert 2 <= time.monotonic() - began < 30
    assert "no request details" in capfd.readouterr().err  # in the server's log: the kernel's own stderr
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    monkeypatch.setenv("QUERY_STRING", "key=xyz")
    assert preheat.query_string() == "key=xyz"  # a kernel started for its page has it at once
    code = ("import sys; from qkit.web import preheat; preheat.PATIENCE = 0; preheat.query_string()\n"
            "print(sorted(m for m in sys.modules if m.startswith(('voila', 'jupyter_server', 'tornado'))))")
    env = {**{k: v for k, v in os.environ.items() if k != "QUERY_STRING"}, "VOILA_PREHEAT": "True",
           "VOILA_APP_PORT": str(free_port())}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.stdout.strip() == "[]" and "no request details" in done.stderr, done.stderr
