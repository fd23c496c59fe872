"""``qkit serve``: the web workbooks, served by Voila with settings safe for applicants.

Applicants see rendered workbooks only: the code is stripped from the pages,
errors never send tracebacks to the browser, the template cannot be switched
from the URL, only the notebooks of the workbooks folder are served (Voila's
file handler gives out images from that folder and nothing else), and a
kernel whose page was closed is shut down after a while. The server listens
on 127.0.0.1 only. Each page finds its applicant from the ``?key=`` of its
link (see ``qkit.store.open_for_token``); the data directory reaches the
kernels through ``$QKIT_DATA``. Request logs hide the key.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import socket
from pathlib import Path

from . import store
from ..errors import Problem, QkitError
from ..i18n import tr
from ..resources import WORKBOOKS

WORKBOOKS_DIR = WORKBOOKS
HOST = "127.0.0.1"
DEFAULT_PORT = 8866
CULL_IDLE_TIMEOUT = 900  # seconds a kernel lives after its page was closed
CULL_INTERVAL = 60  # seconds between checks for such kernels


def base_url(port: int = DEFAULT_PORT) -> str:
    return f"http://{HOST}:{port}"


def voila_argv(workbooks: Path, port: int, open_browser: bool) -> list[str]:
    """Voila's command line for serving ``workbooks`` (option names as in ``voila --help-all``)."""
    return [
        str(workbooks),
        f"--port={port}",
        f"--Voila.ip={HOST}",
        "--Voila.port_retries=0",  # another port would make every printed link wrong
        f"--Voila.open_browser={open_browser}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--VoilaConfiguration.allow_template_override=NO",
        f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_TIMEOUT}",
        f"--MappingKernelManager.cull_interval={CULL_INTERVAL}",
        "--MappingKernelManager.cull_connected=False",  # an open page keeps its kernel, however long the user reads
    ]


def check_setup(workbooks: Path, data: Path, port: int) -> None:
    """Refuse to start when nothing can be served, the data would be reachable, or the port is taken."""
    if not any(workbooks.glob("*.ipynb")):
        raise QkitError(Problem(str(workbooks), "no_workbooks"))
    if data == workbooks or workbooks in data.parents:
        raise QkitError(Problem("--data", "data_in_workbooks", str(data)))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise QkitError(Problem("--port", "port_in_use", port)) from None
            raise QkitError(Problem("--port", "port_in_use", port, {"detail": exc.strerror})) from None


class HideKeys(logging.Filter):
    """Replaces the value of every ``key=`` in a log line by [secret], so access keys never reach a log."""

    VALUE = re.compile(rf"(\b{store.LINK_PARAM}=)[^&\s'\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if f"{store.LINK_PARAM}=" in text:
            record.msg, record.args = self.VALUE.sub(r"\1[secret]", text), ()
        return True


def make_app(workbooks: Path, port: int, open_browser: bool):
    """The configured Voila application, not yet listening, its request logs without keys."""
    from voila.app import Voila

    app = Voila()
    app.initialize(voila_argv(workbooks, port, open_browser))
    root = logging.getLogger()  # tornado's request and error lines end up here
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    hide = HideKeys()
    for handler in [*root.handlers, *app.log.handlers]:
        handler.addFilter(hide)
    return app


def serve(port: int = DEFAULT_PORT, data_dir: str | Path | None = None, open_browser: bool = True,
          workbooks: str | Path | None = None, lang: str = "zh") -> None:
    """Serve the workbooks until Ctrl+C (or SIGTERM), with the store in ``data_dir``."""
    data = store.data_dir(data_dir)
    root = Path(workbooks or WORKBOOKS_DIR).resolve()
    check_setup(root, data, port)
    store.Store(data)  # create or check the database before the first page needs it
    os.environ[store.DATA_ENV] = str(data)  # the kernels inherit the server's environment
    app = make_app(root, port, open_browser)
    print(tr("serving", lang, url=base_url(port) + "/"))
    print(tr("data_at", lang, dir=data))
    print(tr("serve_hint", lang), flush=True)
    app.start()
