"""A workbook's query string, in a kernel Voila started before its page was asked for (a preheated kernel).

Such a kernel runs the workbook up to the point where it needs the page's
link, then waits: the server sends the request's details (the query string
among them) over a websocket once a visitor takes the kernel. Voila's own
helper for this, ``voila.utils.get_query_string``, imports Voila's server
side (jupyter_server, jupyterlab_server, tornado): 1.4 CPU-seconds and some
25 MB in every warm kernel. This does the same with the websockets client
alone, reading the same variables Voila sets for the kernel, and sets the
request's variables in ``os.environ`` as Voila's helper does.

The page's key is in that request, so the server hands it to the kernel
alone: the kernel proves itself with its id signed by the key of its
connection file (``proof``), which only the kernel and its server know.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import time
from contextlib import suppress

PREHEAT = "VOILA_PREHEAT"
PROOF_HEADER = "X-Qkit-Kernel-Proof"  # a header, not the URL: request lines are logged
RECEIVED = "received"  # what a kernel answers once it has its request: the server keeps it until then
CONNECT_TIMEOUT = 5  # seconds one attempt to reach the server may take, as Voila's helper allows
PATIENCE = 120  # seconds a warm kernel keeps trying: a server starting a pool of kernels may be slow to answer
_asked = False  # this kernel has its request from the server (a kernel serves one page)


def query_url() -> str:
    """Where the server hands a preheated kernel its request (Voila's RequestInfoSocketHandler)."""
    protocol = os.environ.get("VOILA_WS_PROTOCOL", "ws")
    host = os.environ.get("VOILA_APP_IP", "127.0.0.1")
    port = os.environ.get("VOILA_APP_PORT", "8866")
    base = os.environ.get("VOILA_WS_BASE_URL", os.environ.get("VOILA_SERVER_URL", "/"))
    return f"{protocol}://{host}:{port}{base}voila/query/{os.environ.get('VOILA_KERNEL_ID', '')}"


def proof(kernel_id: str, key: bytes) -> str:
    """What a kernel shows the server to be given its page's request: its id signed with its session key."""
    return hmac.new(key, kernel_id.encode(), hashlib.sha256).hexdigest()


def running_kernel():
    """The kernel this code runs in (ipykernel's), or None outside a kernel."""
    ipython = sys.modules.get("IPython")  # loaded in every kernel; not imported anywhere else for this
    return getattr(ipython.get_ipython(), "kernel", None) if ipython else None


def session_key() -> bytes:
    """This kernel's session key (from its connection file, the key its messages are signed with); empty outside
    a kernel."""
    kernel = running_kernel()
    return kernel.session.key if kernel is not None else b""


def query_string() -> str:
    """The page's query string: at once in a kernel started for its page, after the wait in a preheated one.

    A server that does not answer, or a connection cut off, is tried again
    for ``PATIENCE`` seconds from the last time the server was reached (a
    kernel that gave up at once would refuse whoever takes it later); after
    that, or when the answer is not a request, the query is empty and the
    workbook shows its refusal, as for a link without a key. Why is written
    to the kernel process's own stderr, which is the server's log. A warm
    kernel takes its query from the server alone, never from a
    ``QUERY_STRING`` its server happened to have in its own environment.
    """
    global _asked
    if os.environ.get(PREHEAT) == "True" and not _asked:
        from websockets.exceptions import ConnectionClosed, WebSocketException
        from websockets.sync.client import connect

        deadline = time.monotonic() + PATIENCE
        shown = {PROOF_HEADER: proof(os.environ.get("VOILA_KERNEL_ID", ""), session_key())}
        while True:
            try:
                with connect(query_url(), open_timeout=CONNECT_TIMEOUT, max_size=2**20,
                             additional_headers=shown) as socket:
                    deadline = time.monotonic() + PATIENCE  # counted again from each time it was reached
                    request = json.loads(socket.recv())
                    with suppress(OSError, WebSocketException):  # unsaid, the server keeps it until the kernel ends
                        socket.send(RECEIVED)
                break
            except (OSError, TimeoutError, ConnectionClosed) as exc:  # not reached (a busy server), or cut off
                if time.monotonic() < deadline:
                    time.sleep(1)
                    continue
                failure = exc
            except (ValueError, WebSocketException) as exc:
                failure = exc
            print(f"qkit: no request details from the server ({type(failure).__name__}: {failure})",
                  file=sys.__stderr__, flush=True)
            return ""
        os.environ["QUERY_STRING"] = ""  # what the request leaves out is not taken from the server's environment
        os.environ.update({str(k): str(v) for k, v in request.items()})
        _asked = True
    return os.environ.get("QUERY_STRING", "")
