"""``qkit serve``: the web workbooks, served by Voila with settings safe for applicants.

Applicants see rendered workbooks only: the code is stripped from the pages,
errors never send tracebacks to the browser, the template cannot be switched
from the URL, only the notebooks of the workbooks folder are served (Voila's
file handler gives out images from that folder and nothing else), and a
kernel whose page was closed is shut down after a while. Each page finds its
applicant from the ``?key=`` of its link (``qkit.web.store.open_for_token``);
the data directory (or PostgreSQL URL) reaches the kernels through
``$QKIT_DATA``. The landing page at the base URL (the standards served) is
the server's own, with no kernel. Logs hide the key and every kernel id
(``HideKeys``).

The server listens on 127.0.0.1 unless ``--host`` names another address; an
address other machines can reach needs ``--allow-remote`` and is served with
a warning, since the key travels in the URL: on a network, qkit belongs behind
an HTTPS proxy (docs/deploy.md). ``--base-url`` serves under a path prefix
(Voila's ``base_url``); ``--behind-proxy`` trusts the client address and
scheme the proxy forwards (tornado's ``xheaders``), so the KeyGuard slows
down the real sender of wrong keys rather than the proxy, and the pages'
cookies are sent over HTTPS only. Several servers can share one PostgreSQL
store.

No kernel without a valid key: a link's key is checked by the server before
a kernel is started for it, and a missing, wrong or revoked key gets a short
refusal page (403). Key checks take turns (``KeyGuard``): an address that
keeps sending wrong keys has its checks made one at a time, more and more
slowly, a right key among them too, and when many wrong keys arrive from
anywhere, addresses without a recent right key share one slot. Links up to
``MAX_URL`` long get an answer; the key itself is compared through its
SHA-256 digest, as the store keeps it.

A kernel belongs to its page, and its id is no credential: the page is
given an HttpOnly, SameSite=Strict cookie named after its kernel, whose
secret the server keeps as a digest (``PageKernels``); the kernel's
websocket, its model and its shutdown refuse any request without it, before
any upgrade or action.

Many people at once: ``--pool`` kernels are kept warm (Voila's preheated
kernels), shared out among the workbooks of the standards in use: they have
started, imported the form's code and loaded the standard, and wait for a
page's key, so the page only builds its form (``qkit.web.preheat`` hands the
kernel the key). A warm kernel waits for its page's request on a socket
only that kernel can take, proving itself with its session key
(``kernel_query``). A pool is refilled once no page is being rendered, and
grows while a burst lasts (``qkit.web.voila.Pools``).

A closed tab's kernel is shut down at once: Voila's page asks for it as the
tab closes, and the server now gives the page the ``_xsrf`` cookie that
request must carry (without it every such request was refused, and kernels
lived until culled). Beyond ``--max-kernels`` kernels serving pages, a new
visitor gets a short "busy, retry in a minute" page instead of a slower
server for everyone. Messages from a page are refused above
``MAX_MESSAGE`` (the KPI upload's own limit is far below), request bodies
above ``MAX_BODY``.

This module is the command: its options (``ServeOptions``), the checks made
before anything starts, and ``serve``. The protections are ``qkit.web.guard``;
everything that reaches into Voila is ``qkit.web.voila``.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import re
import socket
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import Problem, QkitError
from ..i18n import tr
from ..resources import WORKBOOKS
from . import store

WORKBOOKS_DIR = WORKBOOKS
HOST = "127.0.0.1"
DEFAULT_PORT = 8866
PUBLIC_URL_ENV = "QKIT_PUBLIC_URL"  # where printed links point when no --public-url is given
POOL = 8  # warm kernels kept in all (--pool), shared among the workbooks in use; each takes about 55 MB
MAX_KERNELS = 40  # kernels serving pages at most (--max-kernels); each takes about 60-80 MB


def base_url(port: int = DEFAULT_PORT, host: str = HOST) -> str:
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def public_base(public_url: str | None, port: int = DEFAULT_PORT) -> str:
    """What printed links start with: ``--public-url``, else ``$QKIT_PUBLIC_URL``, else this machine's own address.

    Behind a proxy the public URL is the proxy's, including any path prefix
    (``https://qkit.example.com/qkit/``); links then read
    ``https://qkit.example.com/qkit/voila/render/…?key=…``.
    """
    field, chosen = ("--public-url", public_url) if public_url else (PUBLIC_URL_ENV, os.environ.get(PUBLIC_URL_ENV))
    if not chosen:
        return base_url(port)
    parts = urlsplit(chosen)
    try:
        parts.port  # noqa: B018 (a port that is not a number raises)
    except ValueError:
        parts = parts._replace(scheme="")
    if parts.scheme not in ("http", "https") or not parts.hostname or "?" in chosen or "#" in chosen \
            or any(c.isspace() for c in chosen):
        raise QkitError(Problem(field, "bad_public_url", chosen))
    return chosen.rstrip("/")


def base_path(text: str | None) -> str:
    """The ``--base-url`` path, with its slashes at both ends (``qkit`` → ``/qkit/``)."""
    path = "/" + (text or "").strip("/") + "/" if (text or "").strip("/") else "/"
    if not re.fullmatch(r"/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*/)*", path):
        raise QkitError(Problem("--base-url", "bad_base_url", text))
    return path


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach ``host`` (127.0.0.1, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_setup(workbooks: Path, data: Path | str, port: int, host: str = HOST, allow_remote: bool = False) -> None:
    """Refuse to start when nothing can be served, the data would be reachable, an address open to the
    network is given without ``allow_remote``, or the port is taken."""
    if not any(workbooks.glob("*.ipynb")):
        raise QkitError(Problem(str(workbooks), "no_workbooks"))
    if isinstance(data, Path) and (data == workbooks or workbooks in data.parents):
        raise QkitError(Problem("--data", "data_in_workbooks", str(data)))
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError, ValueError):
        raise QkitError(Problem("--host", "bad_host", host)) from None
    if not is_loopback(host) and not allow_remote:
        raise QkitError(Problem("--host", "remote_needs_flag", host))
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        if os.name != "nt":  # as tornado binds: closed connections left in TIME-WAIT (a server just killed) are no
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # obstacle, a listening server still is
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise QkitError(Problem("--port", "port_in_use", port)) from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise QkitError(Problem("--host", "bad_host", host)) from None
            raise QkitError(Problem("--port", "port_unusable", port, {"detail": exc.strerror})) from None


@dataclass(frozen=True)
class ServeOptions:
    """How ``qkit serve`` serves: on which address and port, from which folders and store, for how many at once.

    ``data`` is the store (a folder or a ``postgresql://`` URL; default
    ``$QKIT_DATA`` or ./qkit-data), ``workbooks`` the folder of workbooks
    (default the shipped ones), ``base_url`` the path prefix as typed,
    ``pool`` the warm kernels kept in all (0: none), ``max_kernels`` the most
    kernels serving pages (0: no limit).
    """

    port: int = DEFAULT_PORT
    data: str | Path | None = None
    open_browser: bool = True
    workbooks: str | Path | None = None
    lang: str = "zh"
    host: str = HOST
    allow_remote: bool = False
    base_url: str | None = None
    behind_proxy: bool = False
    pool: int = POOL
    max_kernels: int = MAX_KERNELS


def serve(options: ServeOptions = ServeOptions()) -> None:
    """Serve the workbooks until Ctrl+C (or SIGTERM)."""
    from .voila import make_app

    data = store.data_dir(options.data)
    root = Path(options.workbooks or WORKBOOKS_DIR).resolve()
    host, lang, path = options.host, options.lang, base_path(options.base_url)  # every option checked before work
    check_setup(root, data, options.port, host, options.allow_remote)
    keys_from = store.Store(data)  # created or checked before the first page needs it
    os.environ[store.DATA_ENV] = str(data)  # the kernels inherit the server's environment
    resolved = replace(options, data=data, workbooks=root, base_url=path,
                       open_browser=options.open_browser and is_loopback(host))
    app = make_app(resolved, keys_from)
    print(tr("serving", lang, url=base_url(options.port, host) + resolved.base_url))
    print(tr("data_at", lang, dir=store.redact(data)))
    if not is_loopback(host):
        print(tr("remote_warning", lang, host=host), file=sys.stderr)
    if options.behind_proxy:
        print(tr("proxy_trusted", lang))
    print(tr("serve_hint", lang), flush=True)
    app.start()
