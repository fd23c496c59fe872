"""docs/deploy.md, for real: the nginx snippet in front of qkit serve, and two servers sharing PostgreSQL.

The nginx configuration is taken from docs/deploy.md itself, with only its
addresses, ports and file paths replaced, so the page cannot drift from what
is tested. Both tests drive the form in Debian's Chromium: it renders only
when its kernel's websocket gets through.
"""

from __future__ import annotations

import os
import re
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from support.chromium import FIRST_RENDER, needs_chromium, UPDATE, wait_for_text
from support.documents import ROOT
from support.servers import free_port, serving
from qkit.web.store import Store, access_path

RUBRIC = "hubei-manufacturing"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
needs_nginx = pytest.mark.skipif(NGINX is None or shutil.which("openssl") is None,
                                 reason="needs Debian's nginx and openssl (scripts/setup installs nginx)")


def deploy_snippet() -> str:
    """The first ```nginx block of docs/deploy.md."""
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    return re.search(r"```nginx\n(.*?)```", text, re.S).group(1)


def replaced(text: str, changes: dict[str, str]) -> str:
    for old, new in changes.items():
        assert old in text, f"docs/deploy.md no longer has {old!r}; update this test with it"
        text = text.replace(old, new)
    return text


def nginx_config(root: Path, upstream: int, https: int, http: int) -> Path:
    """nginx.conf for a private nginx in ``root`` around the snippet, with a certificate made by openssl."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(root / "key.pem"),
                    "-out", str(root / "cert.pem")], check=True, capture_output=True, timeout=60)
    site = replaced(deploy_snippet(), {
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen 443 ssl;": f"listen 127.0.0.1:{https} ssl;",
        "/etc/ssl/qkit/fullchain.pem": str(root / "cert.pem"),
        "/etc/ssl/qkit/privkey.pem": str(root / "key.pem"),
        "/var/log/nginx/qkit.access.log": str(root / "access.log"),
        "proxy_pass http://127.0.0.1:8866;": f"proxy_pass http://127.0.0.1:{upstream};",
    })
    (root / "qkit.conf").write_text(site, encoding="utf-8")
    temp = "\n".join(f"    {kind}_temp_path {root / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = root / "nginx.conf"
    conf.write_text(f"""{'user root;' if os.geteuid() == 0 else ''}  # as root, workers too (they write in root)
worker_processes 1;
pid {root / 'nginx.pid'};
error_log {root / 'error.log'};
events {{ worker_connections 256; }}
http {{
{temp}
    include {root / 'qkit.conf'};
}}
""", encoding="utf-8")
    return conf


@needs_nginx
def test_the_nginx_snippet_is_valid(tmp_path):
    conf = nginx_config(tmp_path, free_port(), free_port(), free_port())
    done = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


def fetch(url: str, context: ssl.SSLContext, headers: dict[str, str] | None = None) -> tuple[int, str, dict]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context),
                                         NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=120) as response:
            return response.status, response.read().decode("utf-8", "replace"), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace"), dict(exc.headers)


def open_form(page, url: str):
    page.goto(url)
    page.wait_for_selector(".qkit-total-value", timeout=FIRST_RENDER)
    page.get_by_role("tab", name="5.2 领导作用").click()
    card = page.locator(".qkit-card").first
    card.locator(".qkit-score select").wait_for(timeout=UPDATE)
    return card


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
@needs_nginx
def test_a_workbook_through_nginx_with_tls(tmp_path, browser):
    data = tmp_path / "data"
    applicant, key = Store(data).add_applicant("长江精工有限公司", RUBRIC)
    upstream, https, http = free_port(), free_port(), free_port()
    conf = nginx_config(tmp_path, upstream, https, http)
    nginx = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                              "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    trusted = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
    site = f"https://127.0.0.1:{https}"
    try:
        with serving(tmp_path, "--data", str(data), "--base-url", "/qkit/", "--behind-proxy", path="/qkit/",
                     port=upstream) as (_, log):
            url = site + "/qkit" + access_path(applicant, key)
            status, page, _ = fetch(url, trusted)
            assert status == 200 and "/qkit/voila/static/voila.js" in page  # the workbook page, over TLS
            status, page, _ = fetch(url.replace(key, "not-the-key"), trusted, {"X-Real-IP": "203.0.113.9"})
            assert status == 403 and "链接无效" in page
            status, _, headers = fetch(f"http://127.0.0.1:{http}/qkit/voila/render/x.ipynb", trusted)
            assert status == 301 and headers["Location"].startswith("https://")
            status, _, headers = fetch(site + "/qkit/voila/api/contents/", trusted)
            assert headers.get("Referrer-Policy") == "no-referrer" and "max-age" in headers["Strict-Transport-Security"]

            context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN",
                                          ignore_https_errors=True)
            try:
                form = context.new_page()
                card = open_form(form, url)  # the widgets render: the kernel's websocket goes through nginx
                assert "长江精工有限公司" in form.inner_text("body")
                card.locator(".qkit-score select").select_option(label="70%")
                wait_for_text(form, ".qkit-total-value", "35 / 1000")
                wait_for_text(form, ".qkit-save-status", "第 2 版")
            finally:
                context.close()
            time.sleep(1)
            served = log.read_text(encoding="utf-8", errors="replace")
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)
    assert Store(data).latest(applicant.id).number == 2
    assert "wrong or missing access key from 127.0.0.1" in served and "203.0.113.9" not in served  # nginx names the client
    access = (tmp_path / "access.log").read_text(encoding="utf-8")
    assert "/qkit/voila/render/hubei-manufacturing.ipynb" in access and key not in access  # no key in nginx's log


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
def test_two_servers_share_a_postgres_store(tmp_path, postgres_url, new_page):
    store = Store(postgres_url)
    applicant, key = store.add_applicant("汉江两服务器测试单位", RUBRIC)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with serving(tmp_path / "a", "--data", postgres_url) as (one, _), \
            serving(tmp_path / "b", "--data", postgres_url) as (other, _):
        page_a, page_b = new_page(), new_page()
        card_a = open_form(page_a, one + access_path(applicant, key))
        card_b = open_form(page_b, other + access_path(applicant, key))
        card_a.locator(".qkit-score select").select_option(label="70%")
        wait_for_text(page_a, ".qkit-save-status", "第 2 版")
        page_b.reload()  # through the other server: A's save is there
        card_b = open_form(page_b, other + access_path(applicant, key))
        assert "35 / 1000" in page_b.locator(".qkit-total-value").inner_text()
        assert card_b.locator(".qkit-score select").evaluate("s => s.options[s.selectedIndex].text") == "70%"

        card_a.locator(".qkit-score select").select_option(label="80%")
        wait_for_text(page_a, ".qkit-save-status", "第 3 版")
        other_clause = page_b.locator(".qkit-card").nth(1)  # B, still on revision 2, scores another clause
        other_clause.locator(".qkit-score select").select_option(label="30%")
        wait_for_text(page_b, ".qkit-save-status", "第 4 版")  # merged on top of A's revision 3, nothing lost
    history = store.history(applicant.id)
    assert [r.number for r in history] == [4, 3, 2, 1]
    clauses = history[0].data["clauses"]
    assert clauses["5.2.2"]["score"] == 80 and [c["score"] for c in clauses.values()].count(30) == 1
