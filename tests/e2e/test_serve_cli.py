"""The web-workbook commands: applicants add/list, export, history, restore, and qkit serve running Voila."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.documents import write_notebook
from support.servers import fetch, free_port, get, qkit_env, serving, set_cookies
from qkit.web.serve import WORKBOOKS_DIR
from qkit.web.voila import CULL_IDLE_TIMEOUT
from qkit.web.store import Store

LINK = re.compile(r"http://127\.0\.0\.1:(\d+)(/voila/render/([\w-]+)\.ipynb)\?key=([\w-]+)")


def add(cli, data: Path, name: str, rubric: str, *extra: str) -> tuple[str, str]:
    """Add an applicant through the CLI; returns (printed output, key from the printed link)."""
    code, out, err = cli("applicants", "add", "--data", data, "--name", name, "--rubric", rubric, *extra)
    assert code == 0, err
    return out, LINK.search(out).group(4)


# --- applicants, export, history, restore ----------------------------------------------


def test_add_prints_a_link_whose_key_opens_only_that_applicant(cli, tmp_path):
    out, key = add(cli, tmp_path, "光谷制造", "wuhan-manufacturing")
    match = LINK.search(out)
    assert match.group(1) == "8866" and match.group(3) == "wuhan-manufacturing"
    assert "只显示这一次" in out and "编号 1" in out
    store = Store(tmp_path)
    assert store.applicant_for_token(key).name == "光谷制造"
    out, other = add(cli, tmp_path, "汉江服务", "wuhan-service", "--port", "9123", "--lang", "en")
    assert LINK.search(out).group(1) == "9123" and "shown only this once" in out
    assert store.applicant_for_token(other).name == "汉江服务" and other != key


def test_relink_prints_a_new_link_and_retires_the_old_one(cli, tmp_path):
    _, old = add(cli, tmp_path, "光谷制造", "wuhan-manufacturing")
    code, out, _ = cli("applicants", "relink", "--data", tmp_path, "1")
    new = LINK.search(out).group(4)
    assert code == 0 and "原链接已失效" in out and "只显示这一次" in out and new != old
    store = Store(tmp_path)
    assert store.applicant_for_token(new).id == 1 and store.applicant_for_token(old) is None
    code, _, err = cli("applicants", "relink", "--data", tmp_path, "5")
    assert code == 1 and "没有此编号的申报单位" in err


def test_add_with_bad_input_names_the_problem(cli, tmp_path):
    code, _, err = cli("applicants", "add", "--data", tmp_path, "--name", "某单位", "--rubric", "hubei-mining")
    assert code == 1 and "未知的评定标准" in err and "hubei-service" in err and "Traceback" not in err
    code, _, err = cli("applicants", "add", "--data", tmp_path, "--name", " ", "--rubric", "hubei-service")
    assert code == 1 and "name：缺少必填字段" in err
    assert Store(tmp_path).applicants() == []


def test_applicants_list(cli, tmp_path):
    code, out, _ = cli("applicants", "list", "--data", tmp_path)
    assert code == 0 and "尚无申报单位" in out
    add(cli, tmp_path, "光谷制造", "wuhan-manufacturing")
    add(cli, tmp_path, "陈明", "wuhan-individual")
    store = Store(tmp_path)
    store.save(2, {**store.latest(2).data, "assessment": {"stage": "自评"}}, base=1)
    code, out, _ = cli("applicants", "list", "--data", tmp_path)
    today = dt.date.today()
    assert code == 0 and "光谷制造" in out and "wuhan-individual" in out
    assert f"{today.year}年{today.month}月{today.day}日" in out
    code, out, _ = cli("applicants", "list", "--data", tmp_path, "--json")
    listed = json.loads(out)
    assert [(a["id"], a["name"], a["rubric"], a["latest"]) for a in listed] == [
        (1, "光谷制造", "wuhan-manufacturing", 1), (2, "陈明", "wuhan-individual", 2)]
    assert dt.datetime.fromisoformat(listed[1]["saved_at"]).date() == today
    code, out, _ = cli("applicants", "list", "--data", tmp_path, "--lang", "en")
    assert today.isoformat() in out and "last saved" in out


def test_history_and_restore(cli, tmp_path):
    add(cli, tmp_path, "陈明", "wuhan-individual")
    store = Store(tmp_path)
    data = store.latest(1).data
    data["clauses"]["1.1"]["score"] = 85
    store.save(1, data, base=1, note="第一轮评分")
    code, out, _ = cli("history", "--data", tmp_path, "1")
    assert code == 0 and "陈明" in out and "第一轮评分" in out
    code, out, _ = cli("restore", "--data", tmp_path, "1", "1")
    assert code == 0 and "已将第 1 版恢复为第 3 版" in out
    assert store.latest(1).data["clauses"]["1.1"]["score"] is None
    assert store.history(1)[1].data["clauses"]["1.1"]["score"] == 85
    code, out, _ = cli("history", "--data", tmp_path, "1")
    assert "恢复自第 1 版" in out
    code, _, err = cli("restore", "--data", tmp_path, "1", "9")
    assert code == 1 and "没有此版本" in err and "Traceback" not in err
    code, _, err = cli("history", "--data", tmp_path, "7")
    assert code == 1 and "没有此编号的申报单位" in err


def test_export_writes_documents_that_score_accepts(cli, tmp_path):
    data_dir, folder = tmp_path / "data", tmp_path / "exported"
    add(cli, data_dir, "陈明", "wuhan-individual")
    add(cli, data_dir, "光谷制造", "wuhan-manufacturing")
    store = Store(data_dir)
    scored = store.latest(1).data
    for rating in scored["clauses"].values():
        rating["score"] = 80
    store.save(1, scored, base=1)
    broken = store.latest(2).data
    broken["clauses"]["5.2.2"]["score"] = "三十三"
    store.save(2, broken, base=1)
    code, out, err = cli("export", "--data", data_dir, "-o", folder)
    assert code == 0 and "已导出 2 份自评文档" in out
    assert "001-陈明.yaml：格式正确" in out
    assert "002-光谷制造.yaml：发现 1 个问题" in err and "clauses/5.2.2/score" in err
    assert "三十三" in (folder / "002-光谷制造.yaml").read_text(encoding="utf-8")  # kept as typed
    code, out, _ = cli("score", folder / "001-陈明.yaml", "--json")
    card = json.loads(out)
    assert code == 0 and card["percent"] == 80 and card["missing"] == []


# --- qkit serve ---------------------------------------------------------------------

PROBE = """import os
from qkit.web.store import open_for_token
opened = open_for_token(None, os.environ.get("QUERY_STRING"))
print("NAME:" + opened[0].name if opened else "DENIED")"""


@pytest.mark.slow
def test_serve_opens_only_the_keyed_applicant_and_nothing_outside_the_workbooks(cli, tmp_path):
    workbooks, data = tmp_path / "workbooks", tmp_path / "data"
    workbooks.mkdir()
    write_notebook(workbooks / "probe.ipynb", PROBE)
    write_notebook(workbooks / "boom.ipynb", 'raise ValueError("TRACE-" + "MARK")')
    (workbooks / "notes.txt").write_text("private notes", encoding="utf-8")
    _, key = add(cli, data, "光谷<b>制造</b>", "wuhan-manufacturing")
    add(cli, data, "汉江服务", "wuhan-service")
    with serving(tmp_path, "--data", str(data), "--workbooks", str(workbooks)) as (base, log):
        status, page = get(f"{base}/voila/render/probe.ipynb?key={key}")
        assert status == 200 and "NAME:光谷&lt;b&gt;制造&lt;/b&gt;" in page
        assert "open_for_token" not in page  # sources stripped
        for query in ["", "?key=", "?key=wrong", f"?key={key[:-2]}", "?key=" + "x" * 100_000, "?key=%27%20OR%201=1--"]:
            status, page = get(f"{base}/voila/render/probe.ipynb{query}")  # refused by the server, no kernel
            assert status == 403 and "链接无效" in page and "NAME:" not in page and "DENIED" not in page, query[:20]
        status, page = get(f"{base}/voila/render/boom.ipynb?key={key}")
        assert "TRACE-MARK" not in page and "ValueError" not in page  # no tracebacks to the browser
        status, listing = get(f"{base}/voila/api/contents/")
        assert sorted(entry["name"] for entry in json.loads(listing)["content"]) == ["boom.ipynb", "probe.ipynb"]
        for path in ["/voila/files/notes.txt", "/voila/files/probe.ipynb", "/voila/files/../data/qkit.sqlite3",
                     "/voila/render/../data/qkit.sqlite3", "/voila/render/..%2Fdata%2Fqkit.sqlite3",
                     "/voila/api/contents/..", "/voila/tree/.."]:
            status, body = get(base + path)
            assert status in (403, 404), path
            assert "SQLite format" not in body and "private notes" not in body
        status, _ = get(f"{base}/voila/render/missing.ipynb?lang=zh&key={key}")
        assert status == 404
        status, _, _ = fetch(f"{base}/voila/render/probe.ipynb?key=wrong", headers={"X-Real-IP": "203.0.113.9"})
        assert status == 403  # not behind a proxy: a client cannot pass itself off as another address
        time.sleep(1)
        text = log.read_text(encoding="utf-8", errors="replace")
    assert "http://127.0.0.1:" in text and "qkit applicants add" in text
    assert key not in text and "key=[secret]" in text  # the 404 above is logged without the key
    assert "wrong or missing access key from 127.0.0.1 (5 in the last 15 minutes)" in text
    assert "203.0.113.9" not in text
    assert f"Culling kernels with idle durations > {CULL_IDLE_TIMEOUT} seconds" in text


@pytest.mark.slow
def test_serve_defaults_to_the_shipped_workbooks_and_a_local_data_dir(tmp_path):
    shipped = sorted(p.name for p in WORKBOOKS_DIR.glob("*.ipynb"))
    with serving(tmp_path) as (base, _):
        status, listing = get(f"{base}/voila/api/contents/")
        assert status == 200 and shipped
        assert sorted(entry["name"] for entry in json.loads(listing)["content"]) == shipped
    assert (tmp_path / "qkit-data" / "qkit.sqlite3").is_file()


def run_serve(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qkit", "serve", "--no-browser", *args], cwd=tmp_path,
                          env=qkit_env(), capture_output=True, text=True, timeout=120)


def test_serve_refuses_unsafe_or_impossible_setups(tmp_path):
    workbooks = tmp_path / "workbooks"
    workbooks.mkdir()
    done = run_serve(tmp_path, "--workbooks", str(workbooks), "--port", str(free_port()))
    assert done.returncode == 1 and "没有自评表" in done.stderr and "Traceback" not in done.stderr
    write_notebook(workbooks / "probe.ipynb", PROBE)
    done = run_serve(tmp_path, "--workbooks", str(workbooks), "--data", str(workbooks / "data"),
                     "--port", str(free_port()))
    assert done.returncode == 1 and "数据目录不能放在自评表目录内" in done.stderr
    assert not (workbooks / "data").exists()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_serve(tmp_path, "--workbooks", str(workbooks), "--port", str(port), "--lang", "en")
    assert done.returncode == 1 and "the port is in use" in done.stderr and "Traceback" not in done.stderr


LINGER = """import socket, sys
with socket.socket() as server:
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tornado listens
    server.bind(("127.0.0.1", 0))
    server.listen()
    print(server.getsockname()[1], flush=True)
    connection, _ = server.accept()
    connection.close()  # the server's side closes first: its end of the connection stays in TIME-WAIT
    sys.stdin.read()
"""


def test_serve_starts_again_on_a_port_whose_closed_connections_linger(tmp_path):
    """Right after a server was killed, its port's closed connections wait in TIME-WAIT for a minute; tornado
    listens over them, and the check before starting took them for another server."""
    from qkit.web.serve import check_setup

    workbooks = tmp_path / "workbooks"
    workbooks.mkdir()
    write_notebook(workbooks / "probe.ipynb", PROBE)
    server = subprocess.Popen([sys.executable, "-c", LINGER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline())
    with socket.create_connection(("127.0.0.1", port)) as client:
        assert client.recv(1) == b""  # closed by the server
    server.communicate("", timeout=30)
    assert server.returncode == 0
    states = subprocess.run(["ss", "-tan", f"sport = :{port}"], capture_output=True, text=True).stdout
    assert "TIME-WAIT" in states  # what the port holds now: no server, one closed connection
    check_setup(workbooks, tmp_path / "data", port)


# --- serving a team on a network ----------------------------------------------------------


def test_links_point_to_the_public_url_when_one_is_given(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("QKIT_PUBLIC_URL", raising=False)
    code, out, _ = cli("applicants", "add", "--data", tmp_path, "--name", "光谷制造", "--rubric", "wuhan-manufacturing",
                       "--public-url", "https://qkit.example.com/qkit/")
    assert code == 0 and "https://qkit.example.com/qkit/voila/render/wuhan-manufacturing.ipynb?key=" in out
    monkeypatch.setenv("QKIT_PUBLIC_URL", "https://qkit.example.com")
    code, out, _ = cli("members", "add", "1", "--name", "王强", "--data", tmp_path)
    assert code == 0 and "https://qkit.example.com/voila/render/wuhan-manufacturing.ipynb?key=" in out
    code, out, _ = cli("applicants", "relink", "1", "--data", tmp_path, "--public-url", "https://10.0.0.5:8443/")
    assert code == 0 and "https://10.0.0.5:8443/voila/render/wuhan-manufacturing.ipynb?key=" in out
    for bad in ["qkit.example.com", "ftp://qkit.example.com/", "https://qkit.example.com/?x=1", "https://"]:
        code, _, err = cli("applicants", "add", "--data", tmp_path, "--name", "汉江服务", "--rubric", "wuhan-service",
                           "--public-url", bad)
        assert code == 1 and "--public-url" in err and "https://" in err and "Traceback" not in err, bad
    monkeypatch.setenv("QKIT_PUBLIC_URL", "qkit.example.com")
    code, _, err = cli("members", "add", "1", "--name", "李娜", "--data", tmp_path)
    assert code == 1 and "QKIT_PUBLIC_URL" in err
    assert [a.name for a in Store(tmp_path).applicants()] == ["光谷制造"]  # no key made and lost
    assert [m.name for m in Store(tmp_path).members(1)] == ["负责人", "王强"]


def test_serve_refuses_a_network_address_unless_allowed_and_names_bad_options(tmp_path):
    workbooks = tmp_path / "workbooks"
    workbooks.mkdir()
    write_notebook(workbooks / "probe.ipynb", PROBE)
    common = ["--workbooks", str(workbooks), "--port", str(free_port())]
    done = run_serve(tmp_path, *common, "--host", "0.0.0.0")
    assert done.returncode == 1 and "--host" in done.stderr and "--allow-remote" in done.stderr
    assert "HTTPS" in done.stderr and "Traceback" not in done.stderr
    done = run_serve(tmp_path, *common, "--host", "no such host!", "--lang", "en")
    assert done.returncode == 1 and "--host" in done.stderr and "IP address" in done.stderr
    done = run_serve(tmp_path, *common, "--base-url", "/qkit/../data/")
    assert done.returncode == 1 and "--base-url" in done.stderr and "/qkit/" in done.stderr
    done = run_serve(tmp_path, *common, "--data", "mysql://qkit@db/qkit")
    assert done.returncode == 1 and "--data" in done.stderr and "postgresql://" in done.stderr
    assert not (tmp_path / "qkit-data").exists()


@pytest.mark.slow
def test_serve_on_the_network_under_a_path_behind_a_proxy(cli, tmp_path):
    workbooks, data = tmp_path / "workbooks", tmp_path / "data"
    workbooks.mkdir()
    write_notebook(workbooks / "probe.ipynb", PROBE)
    _, key = add(cli, data, "光谷制造", "wuhan-manufacturing")
    with serving(tmp_path, "--data", str(data), "--workbooks", str(workbooks), "--host", "0.0.0.0", "--allow-remote",
                 "--base-url", "qkit", "--behind-proxy", path="/qkit/") as (base, log):
        status, headers, page = fetch(f"{base}/qkit/voila/render/probe.ipynb?key={key}",
                                      headers={"X-Forwarded-Proto": "https"})  # as the proxy says
        assert status == 200 and "NAME:光谷制造" in page
        (page_cookie,) = [line for name, line in set_cookies(headers).items() if name.startswith("qkit-page-")]
        attributes = {part.strip().lower() for part in page_cookie.split(";")[1:]}
        assert {"path=/qkit/", "secure", "httponly", "samesite=strict"} <= attributes  # sent over HTTPS alone
        assert get(f"{base}/voila/render/probe.ipynb?key={key}")[0] == 404  # only under the path
        status, _, page = fetch(f"{base}/qkit/voila/render/probe.ipynb?key=wrong",
                                 headers={"X-Real-IP": "203.0.113.9"})
        assert status == 403 and "链接无效" in page
        time.sleep(1)
        text = log.read_text(encoding="utf-8", errors="replace")
    assert "wrong or missing access key from 203.0.113.9" in text  # the client the proxy names, not the proxy
    assert "0.0.0.0" in text and "HTTPS" in text and "docs/deploy.md" in text  # the warning about keys in URLs
    assert "X-Real-IP" in text and key not in text
