"""How fast the served workbook feels, against a one-button Voila notebook on the same machine.

Measures, in Debian's Chromium driven by Playwright:

1. time to first render of a workbook (the form with its live total shown)
   against a notebook holding one button, both served by ``qkit serve
   --pool 0`` with a fresh kernel per page (cold); target: ratio 1.3 or less;
2. the same with ``qkit serve``'s warm kernels (its default ``--pool``: a
   kernel has already run the workbook up to the point where it waits for the
   page's key; the one-button notebook has no pool and starts cold);
3. the latency from changing a score in the browser to the updated total,
   timed inside the page, against a button that updates a label in the
   baseline notebook (one widget round trip); target: median under 200 ms.

Run: ``.venv/bin/python benchmarks/serve.py [--runs 5] [--samples 20]``. It
prints the figures and ratios; it is not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qkit.web.store import Store, access_path  # noqa: E402

RUBRIC = "hubei-manufacturing"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
BASELINE = """import ipywidgets as w

button, label = w.Button(description="OK"), w.Label("0")
button.on_click(lambda _: setattr(label, "value", str(int(label.value) + 1)))
label.add_class("baseline-label")
w.HBox([button, label])"""
SCORE_TOTAL_JS = """async (label) => {
  const total = document.querySelector('.qkit-total-value');
  const select = document.querySelector('.qkit-card .qkit-score select');
  const option = [...select.options].find(o => o.text === label);
  const before = total.innerText;
  return await new Promise(resolve => {
    const start = performance.now();
    const watch = new MutationObserver(() => {
      if (total.innerText !== before) { watch.disconnect(); resolve(performance.now() - start); }
    });
    watch.observe(total, {subtree: true, childList: true, characterData: true});
    select.value = option.value;
    select.dispatchEvent(new Event('change', {bubbles: true}));
  });
}"""
BUTTON_LABEL_JS = """async () => {
  const label = document.querySelector('.baseline-label');
  const before = label.innerText;
  return await new Promise(resolve => {
    const start = performance.now();
    const watch = new MutationObserver(() => {
      if (label.innerText !== before) { watch.disconnect(); resolve(performance.now() - start); }
    });
    watch.observe(label, {subtree: true, childList: true, characterData: true});
    document.querySelector('.widget-button').click();
  });
}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], env: dict, port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.3)
    process.kill()
    sys.exit(f"the server did not start; see {log}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def first_render(browser, url: str, selector: str) -> float:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        began = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=120_000)
        page.wait_for_selector(selector, timeout=120_000)
        return time.perf_counter() - began
    finally:
        page.close()


def render_times(browser, urls: dict[str, tuple[str, str]], runs: int, pause: float) -> dict[str, list[float]]:
    """Alternate the pages so both meet the same machine load; ``pause`` lets a kernel pool refill."""
    times: dict[str, list[float]] = {name: [] for name in urls}
    for name, (url, selector) in urls.items():  # one unmeasured load each: the server's own warm-up
        first_render(browser, url, selector)
        time.sleep(pause)
    for _ in range(runs):
        for name, (url, selector) in urls.items():
            times[name].append(first_render(browser, url, selector))
            time.sleep(pause)
    return times


def latencies(browser, url: str, samples: int, workbook: bool) -> list[float]:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto(url, timeout=120_000)
        if workbook:
            page.wait_for_selector(".qkit-total-value", timeout=120_000)
            page.get_by_role("tab", name="5.2 领导作用").click()
            page.wait_for_selector(".qkit-card .qkit-score select", timeout=30_000)
            page.wait_for_timeout(500)
            return [page.evaluate(SCORE_TOTAL_JS, f"{5 * (i % 20 + 1)}%") for i in range(samples)]
        page.wait_for_selector(".baseline-label", timeout=120_000)
        page.wait_for_timeout(500)
        return [page.evaluate(BUTTON_LABEL_JS) for _ in range(samples)]
    finally:
        page.close()


def median(values: list[float]) -> float:
    return statistics.median(values)


def report_render(title: str, times: dict[str, list[float]]) -> float:
    ours, base = median(times["workbook"]), median(times["baseline"])
    print(f"\n{title}")
    print(f"  one-button notebook  median {base:6.2f} s   runs {', '.join(f'{t:.2f}' for t in times['baseline'])}")
    print(f"  workbook             median {ours:6.2f} s   runs {', '.join(f'{t:.2f}' for t in times['workbook'])}")
    print(f"  ratio workbook / one-button: {ours / base:.2f}")
    return ours / base


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measured page loads per notebook and mode")
    parser.add_argument("--samples", type=int, default=20, help="score changes timed for the latency")
    parser.add_argument("--pause", type=float, default=8.0, help="seconds between preheated loads (pool refill)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="qkit-bench-"))
    folder, data = work / "workbooks", work / "data"
    folder.mkdir()
    shutil.copy(ROOT / "workbooks" / f"{RUBRIC}.ipynb", folder)
    import nbformat

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(BASELINE)]
    nbformat.write(nb, folder / "baseline.ipynb")
    applicant, token = Store(data).add_applicant("基准测试单位", RUBRIC)
    env = {**os.environ, "QKIT_DATA": str(data)}
    python = sys.executable
    results = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for mode, extra, pause in (("cold", ["--pool", "0"], 1.0), ("preheated", [], args.pause)):
                port = free_port()
                command = [python, "-m", "qkit", "serve", "--no-browser", "--port", str(port), "--data", str(data),
                           "--workbooks", str(folder), *extra]
                server = start(command, env, port, work / f"{mode}.log")
                base = f"http://127.0.0.1:{port}"
                # qkit serve starts no kernel without a valid key, whatever the notebook
                urls = {"baseline": (f"{base}/voila/render/baseline.ipynb?key={token}", ".widget-button"),
                        "workbook": (base + access_path(applicant, token), ".qkit-total-value")}
                try:
                    if mode == "preheated":
                        time.sleep(args.pause)  # the pools fill after start
                    results[mode] = report_render(f"First render, {mode} ({args.runs} runs each)",
                                                  render_times(browser, urls, args.runs, pause))
                    if mode == "cold":
                        ours = latencies(browser, urls["workbook"][0], args.samples, workbook=True)
                        base_rt = latencies(browser, urls["baseline"][0], args.samples, workbook=False)
                finally:
                    stop(server)
            browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\nScore change to updated total ({args.samples} changes, timed in the page)")
    print(f"  button → label round trip (baseline)  median {median(base_rt):6.1f} ms")
    print(f"  score → total (workbook)              median {median(ours):6.1f} ms   "
          f"p90 {statistics.quantiles(ours, n=10)[-1]:6.1f} ms   max {max(ours):6.1f} ms")
    print(f"  ratio workbook / baseline round trip: {median(ours) / median(base_rt):.2f}")
    print("\nTargets")
    print(f"  cold first-render ratio ≤ 1.3:   {results['cold']:.2f}  {'met' if results['cold'] <= 1.3 else 'NOT met'}")
    print(f"  preheated first-render ratio:    {results['preheated']:.2f}")
    print(f"  median score → total < 200 ms:   {median(ours):.0f} ms  {'met' if median(ours) < 200 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
