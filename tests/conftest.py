from __future__ import annotations

import contextlib
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
RUBRICS = ROOT / "rubrics"
SAMPLES = ROOT / "parameterized" / "applicants"
RUBRIC_IDS = [
    "hubei-manufacturing", "hubei-service", "hubei-education", "hubei-medical",
    "wuhan-manufacturing", "wuhan-service", "wuhan-individual",
]


@pytest.fixture(autouse=True)
def environment_kept():
    """Every test leaves the environment as it found it: the servers and kernels later tests start inherit it
    (a page's query left behind once made every later warm kernel refuse its page)."""
    before = dict(os.environ)
    yield
    changed = sorted(k for k in set(before) | set(os.environ)
                     if before.get(k) != os.environ.get(k) and k != "PYTEST_CURRENT_TEST")  # pytest's own
    for name in changed:
        if name in before:
            os.environ[name] = before[name]
        else:
            del os.environ[name]
    assert not changed, f"the test left environment variables changed: {changed}"


@pytest.fixture
def cli(capsys):
    """Run the qkit command in-process; returns (exit code, stdout, stderr)."""
    from qkit.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def run_qkit(*args) -> tuple[int, str, str]:
    """The qkit command in-process with its own capture, for module-wide fixtures (capsys is per test)."""
    from qkit.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main([str(a) for a in args])
    return code, stdout.getvalue(), stderr.getvalue()


# --- documents ---------------------------------------------------------------------


def sample_paths() -> list[Path]:
    return sorted(SAMPLES.glob("*.yaml"))


def sample_path(rubric_id: str) -> Path:
    """The sample applicant of one standard (there is one per standard)."""
    (path,) = [p for p in sample_paths() if p.stem.startswith(f"{rubric_id}-")]
    return path


def card_of(path: Path):
    """An assessment document read, checked and scored against its own rubric."""
    from qkit import load, load_rubric, score

    doc = load(path)
    return score(doc, load_rubric(doc.rubric))


@cache
def sample_cards() -> dict:
    """The scorecard of every sample applicant, by file stem (read once; do not change them)."""
    return {p.stem: card_of(p) for p in sample_paths()}


def full_document(rubric, score: int = 100) -> dict:
    """Raw document data with every clause scored at `score`."""
    return {
        "format_version": 1,
        "rubric": rubric.id,
        "applicant": {"name": "测试单位"},
        "clauses": {c.id: {"score": score} for c in rubric.clauses},
    }


def write_yaml(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


HOSTILE = "<script>alert('qkit')</script>"
FORMULA = '=HYPERLINK("https://example.com","点此")'
MARKUP_SAMPLE = SAMPLES / "hubei-manufacturing-huake.yaml"


def markup_data() -> dict:
    """A sample with markup where users type: name, strength, OFI, evidence, KPI name; and a formula OFI."""
    data = yaml.safe_load(MARKUP_SAMPLE.read_text(encoding="utf-8"))
    data["applicant"]["name"] = "华科 <b>精密</b> & Co"
    data["clauses"]["5.2.2"]["strengths"][0] = f"强项 {HOSTILE}"
    data["clauses"]["5.2.2"]["ofis"].append('<img src=x onerror="alert(1)">')
    data["clauses"]["5.2.2"]["evidence"].append("<iframe src='https://example.com'></iframe>")
    data["clauses"]["5.2.3"]["ofis"].append(FORMULA)
    data["results"][0]["name"] = "营业收入 <script>x()</script>"
    data["profile"].pop("narrative", None)  # it cites the KPI by its old name
    return data


def markup_document(path: Path) -> Path:
    """``markup_data`` written to ``path``."""
    return write_yaml(path, markup_data())


def write_notebook(path: Path, *sources: str, parameters: str | None = None) -> Path:
    """A notebook of code cells for the python3 kernel; ``parameters`` is a first cell tagged for papermill."""
    import nbformat

    cells = [nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]})] if parameters is not None else []
    nb = nbformat.v4.new_notebook(cells=cells + [nbformat.v4.new_code_cell(source) for source in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def store(tmp_path):
    """An empty web-form store in a data folder of its own."""
    from qkit.web.store import Store

    return Store(tmp_path / "data")


# --- PostgreSQL, started from Debian's packages --------------------------------------

def postgres_bin() -> Path | None:
    """The folder of the newest PostgreSQL server binaries (Debian keeps them in /usr/lib/postgresql/<version>/bin)."""
    def version(initdb: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in initdb.parent.parent.name.split(".") if n.isdigit())

    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=version)
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path and shutil.which("pg_ctl") else None


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder, reached only through a Unix socket in that folder (no TCP)."""

    def __init__(self, root: Path, bindir: Path):
        self.root, self.bindir = root, bindir
        self.data, self.log = root / "data", root / "server.log"
        self.as_owner: list[str] = []  # PostgreSQL refuses to run as root: then it runs as the postgres user
        self.databases = 0

    def run(self, tool: str, *args: str, owner: bool = False, **kwargs) -> subprocess.CompletedProcess:
        """A PostgreSQL program (pg_dump, psql …) of the same version, as its owner when ``owner``."""
        command = [*(self.as_owner if owner else []), str(self.bindir / tool), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True, **kwargs)

    def start(self) -> None:
        if os.geteuid() == 0:
            import pwd

            owner = pwd.getpwnam("postgres")  # the Debian package creates this user
            shutil.chown(self.root, owner.pw_uid, owner.pw_gid)
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale",
                 owner=True)
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o",
                 f"-k {self.root} -c listen_addresses= -c max_connections=300 -F", "start", owner=True)

    def stop(self) -> None:
        subprocess.run([*self.as_owner, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                        "stop"], capture_output=True, timeout=60)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.root}"

    def new_database(self) -> str:
        """A new, empty database; returns its URL."""
        import psycopg

        self.databases += 1
        name = f"qkit_test_{self.databases}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return self.url(name)


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server of this test session (initdb and pg_ctl from Debian's packages), stopped at the end."""
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("needs the PostgreSQL server binaries initdb and pg_ctl (Debian package postgresql; "
                    "scripts/setup installs it)")
    root = Path(tempfile.mkdtemp(prefix="qkit-pg-"))  # short: a Unix socket's path has at most 107 bytes
    server = PostgresServer(root, bindir)
    try:
        try:
            server.start()
        except subprocess.CalledProcessError as exc:
            log = server.log.read_text(errors="replace") if server.log.exists() else ""
            pytest.fail(f"PostgreSQL did not start: {exc.stderr}{exc.stdout}{log}")
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres) -> str:
    """The URL of a fresh, empty database for this test."""
    return postgres.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, tmp_path):
    """An empty store on each backend in turn: SQLite in a data folder, then a fresh PostgreSQL database."""
    from qkit.web.store import Store

    if request.param == "sqlite":
        return Store(tmp_path / "data")
    return Store(request.getfixturevalue("postgres_url"))


def stop(proc: subprocess.Popen) -> None:
    """End a server the tests started: asked first, then killed."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=120) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def qkit_env() -> dict[str, str]:
    """The environment without $QKIT_DATA, so only what qkit serve passes on reaches the kernels."""
    return {k: v for k, v in os.environ.items() if k != "QKIT_DATA"}


@contextmanager
def serving(tmp_path: Path, *args: str, qkit: list[str] | None = None, path: str = "/", port: int | None = None):
    """``qkit serve`` on a free port; yields (base URL, log file); stopped at the end.

    ``qkit`` is the command to run (default: this Python's ``-m qkit``); ``path`` the
    ``--base-url`` it serves under, if any (the base URL yielded does not include it).
    """
    port = port or free_port()
    log = tmp_path / "serve.log"
    command = qkit or [sys.executable, "-m", "qkit"]
    with open(log, "wb") as sink:
        proc = subprocess.Popen([*command, "serve", "--port", str(port), "--no-browser", *args],
                                cwd=tmp_path, env=qkit_env(), stdout=sink, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                assert proc.poll() is None, log.read_text(encoding="utf-8", errors="replace")
                assert time.monotonic() < deadline, "qkit serve did not answer in time"
                try:
                    if get(base + path + "voila/api/contents/")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.3)
            yield base, log
        finally:
            stop(proc)


# --- Chromium, driven by Playwright ------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (scripts/setup installs it)")


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium (Playwright cannot download its own browser here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """A page in a context of its own (Chinese locale, a desktop window); closed at the end."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


# --- a stand-in for Chromium ---------------------------------------------------------------

FAKE_CHROMIUM = """#!{python}
# Chromium's DevTools pipe (commands on descriptor 3, answers on 4), just enough for qkit.pdf;
# each start is a line in $QKIT_TEST_STARTS, each print touches $QKIT_TEST_MARKER
import base64, json, os, pathlib, time

if os.environ.get("QKIT_TEST_STARTS"):
    with open(os.environ["QKIT_TEST_STARTS"], "a") as starts:
        starts.write("started\\n")

def send(message):
    os.write(4, json.dumps(message).encode() + b"\\0")

buffer = b""
while chunk := os.read(3, 65536):
    buffer += chunk
    while b"\\0" in buffer:
        line, buffer = buffer.split(b"\\0", 1)
        command = json.loads(line)
        method, session, result = command["method"], command.get("sessionId"), {{}}
        if method == "Target.createTarget":
            result = {{"targetId": "tab"}}
        elif method == "Target.attachToTarget":
            result = {{"sessionId": "tab"}}
        elif method == "Page.printToPDF":
            if os.environ.get("QKIT_TEST_MARKER"):
                pathlib.Path(os.environ["QKIT_TEST_MARKER"]).touch()
            if os.environ.get("QKIT_TEST_SLOW"):
                time.sleep(300)
            result = {{"data": base64.b64encode(b"%PDF-1.4 test").decode()}}
        send({{"id": command["id"], "result": result, **({{"sessionId": session}} if session else {{}})}})
        if method == "Page.navigate":
            send({{"method": "Page.loadEventFired", "params": {{}}, "sessionId": session}})
        if method == "Browser.close":
            raise SystemExit
"""


def fake_chromium(folder: Path) -> Path:
    """An executable ``chromium`` in ``folder`` that answers qkit.pdf like the real one and prints a tiny PDF."""
    fake = folder / "chromium"
    fake.write_text(FAKE_CHROMIUM.format(python=sys.executable), encoding="utf-8")
    fake.chmod(0o755)
    return fake
