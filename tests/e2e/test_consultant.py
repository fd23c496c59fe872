"""The consultant's example notebook: under nbval, and in a real JupyterLab driven in Debian's Chromium."""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from support.chromium import needs_chromium
from support.documents import ROOT, SAMPLES
from support.servers import free_port, get, stop

EXAMPLE = ROOT / "docs" / "consultant-example.ipynb"
SAMPLE = SAMPLES / "hubei-service-jiangcheng.yaml"
THIS_YEAR = "江城智运-2026.yaml"  # the file the notebook opens, beside it
LAST_YEAR = "江城智运-2025.yaml"  # the file it compares with
NEXT_YEAR = "江城智运-2027.yaml"  # written by its last cell
CELLS = 9  # code cells of the notebook
LAB_START = 120  # s for jupyter lab to answer on a busy two-core machine
RENDER = 120_000  # ms for the page, the kernel and the first cells
RUN_ALL = 300  # s for every cell, the report among them
UPDATE = 20_000  # ms for the kernel to answer an edit


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def beside_the_files(folder: Path) -> Path:
    """The example copied, as a consultant copies it, into a folder with this year's and last year's files (here
    both the shipped sample); returns the copy."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in (THIS_YEAR, LAST_YEAR):
        shutil.copy(SAMPLE, folder / name)
    return Path(shutil.copy(EXAMPLE, folder / EXAMPLE.name))


@pytest.mark.slow
def test_the_example_notebook_passes_nbval_beside_an_applicants_files_and_leaves_no_temporary_folder(tmp_path):
    """Copied beside the files, as a consultant runs it: every cell runs, the checked outputs match (the totals, the
    comparison, the report's files, the next cycle), what it writes is beside the files, nothing in $TMPDIR."""
    tmp, folder = tmp_path / "tmp", tmp_path / "江城智运"
    tmp.mkdir()
    notebook = beside_the_files(folder)
    before = digest(SAMPLE)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                          "--nbval-current-env", "--rootdir", str(folder), notebook.name],
                         cwd=folder, env={**os.environ, "TMPDIR": str(tmp)}, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert re.search(rf"\b{CELLS} passed", run.stdout), run.stdout[-2000:]
    assert digest(SAMPLE) == before and digest(folder / LAST_YEAR) == before
    # no temporary folder left behind (qkit's compiled templates are one cache per user, kept on purpose)
    assert [p.name for p in tmp.iterdir() if not p.name.startswith("_jinja2-cache")] == []
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [".qkit-history", EXAMPLE.name, LAST_YEAR, NEXT_YEAR, THIS_YEAR, "报告"])
    saved = folder / THIS_YEAR
    assert yaml.safe_load(saved.read_text(encoding="utf-8"))["clauses"]["5.3.2"]["score"] == 60
    html = (saved.parent / "报告" / "江城智运-2026.html").read_text(encoding="utf-8")
    assert "与上期比较" in html and "湖北江城智运供应链管理有限公司" in html
    assert not list((saved.parent / "报告").glob("*.pdf"))
    assert list((saved.parent / ".qkit-history").glob("江城智运-2026.*.yaml"))
    carried = yaml.safe_load((saved.parent / NEXT_YEAR).read_text(encoding="utf-8"))
    assert carried["clauses"]["5.3.2"]["previous_score"] == 60 and "score" not in carried["clauses"]["5.3.2"]


def test_the_example_notebook_is_kept_without_run_outputs():
    """Only the outputs nbval checks are kept; the rest (the form, the frames) would go stale."""
    nb = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code) == CELLS and nb["metadata"]["kernelspec"]["name"] == "python3"
    for cell in code:
        checked = "".join(cell["source"]).startswith("# NBVAL_CHECK_OUTPUT")
        assert bool(cell["outputs"]) == checked, cell["source"]
        assert all(o["output_type"] == "stream" for o in cell["outputs"])
    assert "qkit.open(" in "".join(code[0]["source"]) and "session.form()" in "".join(code[1]["source"])


# --- a real JupyterLab ---------------------------------------------------------------------


def lab_environment(home: Path) -> dict[str, str]:
    """Jupyter's folders in ``home``: the venv's Python as the python3 kernel, no news, no update check, no
    extension manager asking PyPI, no workspace or settings of the machine's user."""
    config, data = home / "config", home / "data"
    kernel = data / "kernels" / "python3"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python"}), encoding="utf-8")
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": {
        "@jupyterlab/apputils-extension:announcements": True,
        "@jupyterlab/extensionmanager-extension": True}}), encoding="utf-8")
    notification = home / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")
    folders = {"JUPYTER_CONFIG_DIR": config, "JUPYTER_DATA_DIR": data, "JUPYTER_RUNTIME_DIR": home / "runtime",
               "JUPYTERLAB_SETTINGS_DIR": home / "settings", "JUPYTERLAB_WORKSPACES_DIR": home / "workspaces",
               "IPYTHONDIR": home / "ipython", "TMPDIR": home / "tmp"}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "QKIT_"))}
    return {**env, **{k: str(v) for k, v in folders.items()}}


@contextmanager
def jupyter_lab(root: Path, home: Path):
    """``jupyter lab`` serving ``root`` on a free local port with a random token; yields (base URL, token)."""
    port, token = free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--port={port}",
               "--ServerApp.port_retries=0", f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
               "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.extension_manager=readonly"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    env, log = lab_environment(home), home / "lab.log"
    with open(log, "wb") as sink:
        proc = subprocess.Popen(command, cwd=root, env=env, stdout=sink, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + LAB_START
            while True:
                assert proc.poll() is None, log.read_text(encoding="utf-8", errors="replace")
                assert time.monotonic() < deadline, "jupyter lab did not answer in time"
                try:
                    if get(f"{base}/api/status?token={token}")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.5)
            yield base, token, log
        finally:
            stop(proc)


def dismiss_dialogs(page) -> None:
    """Accept whatever JupyterLab asks; it asks for the kernel when the notebook opens before it knows the kernels."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        dialog.locator(".jp-mod-accept").first.click()


def until(page, done, seconds: float, what) -> None:
    """Wait for ``done()``, accepting JupyterLab's dialogs meanwhile; ``what()`` says what did not happen."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, what()
        dismiss_dialogs(page)
        time.sleep(0.5)


def lab_log(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-3000:]


def score_on_disk(path: Path, clause: str) -> int | None:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["clauses"][clause].get("score")


def wait_for_score(path: Path, clause: str, score: int, seconds: float = UPDATE / 1000) -> None:
    deadline = time.monotonic() + seconds
    while score_on_disk(path, clause) != score:
        assert time.monotonic() < deadline, f"{clause} is {score_on_disk(path, clause)} in the file, not {score}"
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
def test_the_example_notebook_in_jupyterlab_edits_and_saves_the_file(tmp_path, new_page):
    """A consultant opens the example in JupyterLab and runs every cell; the form appears, a score chosen in it
    changes the total, and 保存 (and the autosave) write it into the YAML file on disk."""
    root, home = tmp_path / "root", tmp_path / "home"
    beside_the_files(root)
    with jupyter_lab(root, home) as (base, token, log):
        page = new_page()
        page.goto(f"{base}/lab/tree/{EXAMPLE.name}?token={token}")
        kernel_idle = page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle"))  # the status bar
        until(page, lambda: kernel_idle.count() > 0, RENDER / 1000,
              lambda: "the notebook's kernel did not start: " + lab_log(log))
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
        until(page, lambda: (root / NEXT_YEAR).exists(), RUN_ALL, lambda: "the cells did not all run: " + lab_log(log))
        total = page.locator(".qkit-total-value")  # the form, in the output of the second cell
        total.scroll_into_view_if_needed(timeout=UPDATE)
        document = root / THIS_YEAR
        assert score_on_disk(document, "5.3.2") == 60  # set and saved in code by the notebook
        page.wait_for_function("el => el.innerText.includes('476 / 1000')", arg=total.element_handle(),
                               timeout=UPDATE)  # the form shows the change made in code

        page.get_by_role("tab", name="5.2 领导作用").click()
        scores = page.locator(".qkit-score select")
        scores.first.wait_for(timeout=UPDATE)
        scores.first.select_option(label="90%")  # 5.2.2 引领发展, 50 points: 55% → 90%, +17.5
        page.wait_for_function("el => el.innerText.includes('493.5 / 1000')", arg=total.element_handle(),
                               timeout=UPDATE)
        page.get_by_role("button", name="保存").click()
        wait_for_score(document, "5.2.2", 90)
        status = page.locator(".qkit-save-status")
        page.wait_for_function("el => el.innerText.includes('已保存')", arg=status.element_handle(), timeout=UPDATE)

        scores.nth(1).select_option(label="60%")  # 5.2.3 有效治理: saved about a second later without a click
        wait_for_score(document, "5.2.3", 60)
        assert score_on_disk(document, "5.2.2") == 90
        assert document.read_text(encoding="utf-8") != SAMPLE.read_text(encoding="utf-8")
        assert list((document.parent / ".qkit-history").glob("江城智运-2026.*.yaml"))
