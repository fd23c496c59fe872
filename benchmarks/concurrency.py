"""Many people opening their links at once, against as many one-button pages served by plain Voila, same run.

For each burst size N (8, 20, 50 by default) it opens N workbook links at the
same moment on ``qkit serve`` (its warm-kernel pool as configured, the kernel
limit off unless ``--max-kernels`` is given), then N pages of a notebook
holding one button on plain Voila (the same safe settings, no pool, no key
check). Each "person" is a light client doing what the page does, so the
browser's own drawing does not take the server's CPU: it loads the page
(Voila runs the notebook while streaming it), asks for its kernel, opens the
kernel's websocket, says hello (kernel_info) and asks for every widget's
state over the widget control channel, as the page's widget manager does
before drawing the form. A page counts as rendered when the states arrive.

Printed per burst and server: the time until all pages were rendered, the
median and 95th percentile of the single pages, the server's CPU seconds per
page (server and kernels, including the pool refilling itself; the server
process's own share apart, as it runs on one core), memory per
open page (the kernels' proportional set size, plus the server's growth,
divided by N), pages refused as busy; then every page is closed as a closing
tab does (the shutdown request with its _xsrf token) and the time until its
kernel is gone.

Then ``--typists`` people (20) type at once, each in the page of their own
link: a change every 2 s to the form's first text area, sent as the page's
widget does; printed is the time from each change until the header's save
indicator says saved on their screen (the page saves by itself a second
after the last change), and the CPU the server and its kernels used.

    .venv/bin/python benchmarks/concurrency.py [--bursts 8 20 50] [--pool 2] [--max-kernels 0] [--typists 20]

The targets: every page of every burst renders; a burst of 8 no slower than
8 one-button pages on plain Voila; at most 80 MB per open page; closed pages'
kernels gone within a minute. Other work on the machine shows in the numbers:
compare the two servers within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from tornado.httpclient import AsyncHTTPClient, HTTPRequest  # noqa: E402
from tornado.websocket import websocket_connect  # noqa: E402

from qkit.web.session import AUTOSAVE_DELAY  # noqa: E402
from qkit.web.voila import voila_config  # noqa: E402
from qkit.web.store import Store, access_path  # noqa: E402

RUBRIC = "hubei-manufacturing"
BASELINE = """import ipywidgets as w

button, label = w.Button(description="OK"), w.Label("0")
button.on_click(lambda _: setattr(label, "value", str(int(label.value) + 1)))
w.HBox([button, label])"""
KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]{36})"')
TIMEOUT = 600
SAVED = "class='qkit-ok'"  # the header's save indicator once the page's edits are saved


def as_argv(config) -> list[str]:
    """A traitlets Config as the command line that says the same (for plain Voila run as a program)."""
    return [f"--{section}.{name}={value}" for section, traits in config.items() for name, value in traits.items()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- one person -----------------------------------------------------------------------------


@dataclass
class Page:
    url: str
    seconds: float = 0.0
    kernel: str = ""
    status: int = 0
    closed: int = 0  # the answer to the shutdown request
    cookies: dict = field(default_factory=dict)
    socket: object = None
    session: str = ""
    states: dict = field(default_factory=dict)  # the page's widgets' states, by model id


def message(msg_type: str, content: dict, session: str, channel: str = "shell", metadata: dict | None = None) -> str:
    header = {"msg_id": uuid.uuid4().hex, "username": "", "session": session, "msg_type": msg_type,
              "version": "5.3", "date": ""}
    return json.dumps({"header": header, "parent_header": {}, "metadata": metadata or {}, "content": content,
                       "channel": channel, "buffers": []})


def decode(frame) -> dict:
    """A message from the kernel's websocket: JSON text, or binary with buffers (Jupyter's offsets format)."""
    if isinstance(frame, str):
        return json.loads(frame)
    count = struct.unpack("!I", frame[:4])[0]
    offsets = struct.unpack(f"!{count}I", frame[4:4 + 4 * count])
    return json.loads(frame[offsets[0]:offsets[1] if count > 1 else None])


async def open_page(base: str, page: Page) -> Page:
    """Load the page, then fetch the widgets' states as the page's widget manager does."""
    client = AsyncHTTPClient()
    began = time.perf_counter()
    response = await client.fetch(HTTPRequest(base + page.url, request_timeout=TIMEOUT), raise_error=False)
    page.status = response.code
    if response.code != 200:
        page.seconds = time.perf_counter() - began
        return page
    for header in response.headers.get_list("Set-Cookie"):
        name, _, rest = header.partition("=")
        page.cookies[name] = rest.split(";")[0]
    found = KERNEL_ID.search(response.body.decode())
    if found is None:  # a page without its kernel: what the server sent instead
        raise RuntimeError(f"no kernel in the page ({len(response.body)} bytes): {response.body.decode()[-400:]!r}")
    page.kernel = found.group(1)
    cookie = "; ".join(f"{k}={v}" for k, v in page.cookies.items())
    await client.fetch(HTTPRequest(f"{base}/api/kernels/{page.kernel}", headers={"Cookie": cookie}))
    session = uuid.uuid4().hex
    ws_url = base.replace("http", "ws") + f"/api/kernels/{page.kernel}/channels?session_id={session}"
    page.socket = ws = await websocket_connect(HTTPRequest(ws_url, headers={"Cookie": cookie}),
                                               max_message_size=64 * 1024 * 1024)
    ws.write_message(message("kernel_info_request", {}, session))
    comm = uuid.uuid4().hex
    ws.write_message(message("comm_open", {"comm_id": comm, "target_name": "jupyter.widget.control", "data": {}},
                             session, metadata={"version": "1.0.0"}))
    ws.write_message(message("comm_msg", {"comm_id": comm, "data": {"method": "request_states"}}, session))
    while True:
        frame = await asyncio.wait_for(ws.read_message(), TIMEOUT)
        if frame is None:
            raise RuntimeError(f"the kernel's websocket closed: {page.url}")
        msg = decode(frame)
        content = msg.get("content", {})
        if msg.get("msg_type", msg.get("header", {}).get("msg_type")) == "comm_msg" and content.get("comm_id") == comm \
                and content.get("data", {}).get("method") == "update_states":
            page.states = content["data"]["states"]
            break
    page.session, page.seconds = session, time.perf_counter() - began
    return page


async def type_along(page: Page, seconds: float, every: float = 2.0) -> list[float]:
    """A person typing in the page's first text area: a change every ``every`` seconds, each followed by the
    header's save indicator turning to saved (the page saves by itself a second after the last change). Returns
    the seconds from each change to its "saved" on screen."""
    area = next(model for model, state in page.states.items() if state["state"]["_model_name"] == "TextareaModel")
    waits, typed, deadline = [], "", time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        typed += "公司按季度评审关键指标。"
        page.socket.write_message(message("comm_msg", {"comm_id": area, "data": {
            "method": "update", "state": {"value": typed}, "buffer_paths": []}}, page.session))
        sent = time.perf_counter()
        while True:
            msg = decode(await asyncio.wait_for(page.socket.read_message(), TIMEOUT))
            data = msg.get("content", {}).get("data", {})
            if data.get("method") == "update" and SAVED in str(data.get("state", {}).get("value", "")):
                break
        waits.append(time.perf_counter() - sent)
        await asyncio.sleep(max(0.0, every - waits[-1]))
    return waits


async def close_page(base: str, page: Page) -> None:
    """What a closing tab does: the shutdown request with the _xsrf token, then the websocket goes."""
    xsrf = page.cookies.get("_xsrf", "")
    cookie = "; ".join(f"{k}={v}" for k, v in page.cookies.items())
    request = HTTPRequest(f"{base}/voila/api/shutdown/{page.kernel}", method="POST", body=f"_xsrf={xsrf}",
                          headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    page.closed = (await AsyncHTTPClient().fetch(request, raise_error=False)).code
    page.socket.close()


# --- the server -----------------------------------------------------------------------------


class Server:
    def __init__(self, command: list[str], env: dict, port: int, log: Path):
        self.port, self.base = port, f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        self.ps = psutil.Process(self.process.pid)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/voila/api/contents/", timeout=2)
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.3)
        sys.exit(f"the server did not start; see {log}")

    def kernels(self) -> list[psutil.Process]:
        return [p for p in self.ps.children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]

    def server_cpu(self) -> float:
        """CPU seconds of the server process alone: rendering pages, passing messages (one process, one core)."""
        times = self.ps.cpu_times()
        return times.user + times.system

    def cpu(self) -> float:
        """CPU seconds of the server, its live kernels and those already gone."""
        total = 0.0
        for proc in [self.ps, *self.ps.children(recursive=True)]:
            try:
                times = proc.cpu_times()
                total += times.user + times.system + (times.children_user + times.children_system
                                                      if proc is self.ps else 0)
            except psutil.Error:
                pass
        return total

    def settle(self, quiet: float = 0.3, most: float = 90) -> None:
        """Wait until the server and its kernels are idle (a pool refilled, kernels gone): two quiet looks in a
        row, 4 s, longer than qkit waits after a burst before it refills its pool."""
        deadline, last, calm = time.monotonic() + most, self.cpu(), 0
        while time.monotonic() < deadline and calm < 2:
            time.sleep(2)
            now = self.cpu()
            calm = calm + 1 if now - last < quiet else 0
            last = now

    def running(self, kernel_ids: set[str]) -> set[str]:
        """Which of these kernels still run."""
        found = set()
        for proc in self.kernels():
            try:
                found |= {i for i in kernel_ids if i in " ".join(proc.cmdline())}
            except psutil.Error:
                pass
        return found

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def memory(processes: list[psutil.Process]) -> tuple[float, float, float]:
    """Proportional, resident and unique set sizes in MB, summed."""
    pss = rss = uss = 0.0
    for proc in processes:
        try:
            info = proc.memory_full_info()
        except psutil.Error:
            continue
        pss, rss, uss = pss + info.pss / 2**20, rss + info.rss / 2**20, uss + info.uss / 2**20
    return pss, rss, uss


@dataclass
class Burst:
    server: str
    n: int
    total: float
    p50: float
    p95: float
    rendered: int
    busy: int
    cpu: float
    server_cpu: float
    pss: float
    rss: float
    uss: float
    server_growth: float
    freed: float
    left: int


def burst(server: Server, urls: list[str], name: str) -> Burst:
    server.settle()
    server_before = server.ps.memory_info().rss / 2**20
    cpu_before, server_before_cpu = server.cpu(), server.server_cpu()

    async def everyone():
        AsyncHTTPClient.configure(None, max_clients=len(urls) + 10)
        return await asyncio.gather(*(open_page(server.base, Page(url)) for url in urls), return_exceptions=True)

    loop = asyncio.new_event_loop()
    began = time.perf_counter()
    pages = loop.run_until_complete(everyone())
    total = time.perf_counter() - began
    failed = [p for p in pages if isinstance(p, BaseException)]
    pages = [p for p in pages if isinstance(p, Page)]
    done = [p for p in pages if p.kernel]
    busy = sum(p.status == 503 for p in pages)
    server.settle()
    cpu, server_cpu = server.cpu() - cpu_before, server.server_cpu() - server_before_cpu
    ids = {p.kernel for p in done}
    page_kernels = [p for p in server.kernels() if any(i in " ".join(p.cmdline()) for i in ids)]
    pss, rss, uss = memory(page_kernels)
    growth = server.ps.memory_info().rss / 2**20 - server_before

    start = time.perf_counter()

    async def closing():
        await asyncio.gather(*(close_page(server.base, p) for p in done))

    loop.run_until_complete(closing())
    while server.running(ids) and time.perf_counter() - start < 60:
        time.sleep(0.2)
    freed = time.perf_counter() - start
    left = len(server.running(ids))
    loop.close()
    times = sorted(p.seconds for p in done) or [0.0]
    n = len(done) or 1
    for exc in failed[:3]:
        print(f"    a page failed: {type(exc).__name__}: {exc}")
    return Burst(name, len(urls), total, statistics.median(times), times[max(0, round(0.95 * len(times)) - 1)],
                 len(done), busy, cpu / len(urls), server_cpu / len(urls), pss / n + max(growth, 0) / n, rss / n, uss / n, growth, freed, left)


def typing(server: Server, urls: list[str], seconds: float) -> None:
    """``len(urls)`` people typing at once, each in the page of their own link, a change every 2 s; printed:
    the time from a change to "saved" on the person's screen, and the CPU the server and kernels took."""
    server.settle()

    async def opening():
        AsyncHTTPClient.configure(None, max_clients=len(urls) + 10)
        return await asyncio.gather(*(open_page(server.base, Page(url)) for url in urls))

    async def typing_along(pages):
        cpu, began = server.cpu(), time.perf_counter()
        waits = await asyncio.gather(*(type_along(page, seconds) for page in pages))
        used = (server.cpu() - cpu) / (time.perf_counter() - began)
        await asyncio.gather(*(close_page(server.base, page) for page in pages))
        return [wait for person in waits for wait in person], used

    loop = asyncio.new_event_loop()
    try:
        pages = loop.run_until_complete(opening())
        server.settle()  # the pages open and the pool refilled: the typing is timed on its own
        waits, used = loop.run_until_complete(typing_along(pages))
    finally:
        loop.close()
    waits.sort()
    print(f"  {len(waits)} changes saved: on screen {statistics.median(waits):.2f} s after the change (median), "
          f"p95 {waits[max(0, round(0.95 * len(waits)) - 1)]:.2f} s, the most {waits[-1]:.2f} s "
          f"(a page saves {AUTOSAVE_DELAY:.0f} s after the last change); server and kernels used "
          f"{100 * used / (os.cpu_count() or 1):.0f} % of the machine's CPU")


def show(b: Burst) -> None:
    print(f"  {b.server:26s} {b.rendered:3d}/{b.n:<3d} rendered, {b.busy} busy   all in {b.total:6.1f} s   "
          f"p50 {b.p50:5.1f} s  p95 {b.p95:5.1f} s   CPU {b.cpu:4.2f} s/page (server {b.server_cpu:4.2f})   "
          f"memory {b.pss:5.1f} MB/page (kernel RSS {b.rss:4.1f}, USS {b.uss:4.1f}; server +{b.server_growth:.0f} MB)   "
          + (f"closed: kernels gone in {b.freed:4.1f} s" if not b.left else f"closed: {b.left} kernels still there after 60 s"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, nargs="+", default=[8, 20, 50])
    parser.add_argument("--pool", type=int, default=None, help="qkit serve --pool (default: its own default)")
    parser.add_argument("--max-kernels", type=int, default=0, help="qkit serve --max-kernels (default 0: no limit)")
    parser.add_argument("--typists", type=int, default=20, help="people typing at once, each in their own page")
    parser.add_argument("--typing-seconds", type=float, default=30)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="qkit-bench-"))
    folder, data = work / "workbooks", work / "data"
    folder.mkdir()
    import nbformat

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(BASELINE)]
    nbformat.write(nb, folder / "baseline.ipynb")
    store = Store(data)
    links = [access_path(*store.add_applicant(f"基准测试单位{i + 1}", RUBRIC))
             for i in range(max(*args.bursts, args.typists))]
    env = {**os.environ, "QKIT_DATA": str(data)}
    python = sys.executable
    qkit_cmd = [python, "-m", "qkit", "serve", "--no-browser", "--data", str(data),
                "--max-kernels", str(args.max_kernels), *(["--pool", str(args.pool)] if args.pool is not None else [])]
    print(f"{os.cpu_count()} CPUs; bursts of {', '.join(map(str, args.bursts))}; "
          f"qkit serve {' '.join(qkit_cmd[4:])}, plain Voila serving a one-button notebook")
    results = []
    try:
        port = free_port()
        qkit = Server([*qkit_cmd, "--port", str(port)], env, port, work / "qkit.log")
        port = free_port()
        plain = Server([python, "-m", "voila", str(folder), *as_argv(voila_config(port, False))], env, port,
                       work / "voila.log")
        try:
            for n in args.bursts:
                print(f"\nburst of {n}")
                for server, urls, name in ((plain, ["/voila/render/baseline.ipynb"] * n, "one-button, plain Voila"),
                                           (qkit, links[:n], "workbook, qkit serve")):
                    results.append(burst(server, urls, name))
                    show(results[-1])
                ours, base = results[-1], results[-2]
                print(f"  ratio workbook / one-button: all rendered {ours.total / base.total:.2f}, "
                      f"p50 {ours.p50 / base.p50:.2f}, CPU per page {ours.cpu / base.cpu:.2f}")
            if args.typists:
                print(f"\n{args.typists} people typing at once, each in their own application's page, "
                      f"a change every 2 s for {args.typing_seconds:.0f} s")
                typing(qkit, links[:args.typists], args.typing_seconds)
        finally:
            qkit.stop()
            plain.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\nTargets")
    print(f"  every page rendered:            {'met' if all(r.rendered == r.n for r in results) else 'NOT met'}")
    print(f"  memory per open page <= 80 MB:  {max(r.pss for r in results if r.server.startswith('workbook')):.0f} MB at most")
    ours = [r for r in results if r.server.startswith("workbook")]
    print(f"  closed pages' kernels gone:     {max(r.freed for r in ours):.1f} s at most"
          f"{'' if not any(r.left for r in ours) else ', some NOT'} (target: 60 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
