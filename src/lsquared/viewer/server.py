"""Serving the viewer: uvicorn on a socket bound to 127.0.0.1 only (never another
interface), opened before the server starts so that a busy port is a one-line error."""

from __future__ import annotations

import errno
import socket
import sys
import threading
import webbrowser
from pathlib import Path

from lsquared.errors import InputError, OutputError
from lsquared.pipeline import recipe as rc
from lsquared.viewer.app import create_app
from lsquared.viewer.files import collect
from lsquared.viewer.session import Session

HOST = "127.0.0.1"


def bind(port: int) -> socket.socket:
    """A listening TCP socket on 127.0.0.1:``port`` (0: a free port). Its protocol is
    named (IPPROTO_TCP): asyncio turns Nagle's algorithm off only on sockets that say so,
    and with it on, every answer sent as headers then body waited ~40 ms for the
    client's delayed acknowledgement (RFC 1122 4.2.3.2, RFC 896)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.bind((HOST, port))
    except OSError as e:
        sock.close()
        problem = "is in use" if e.errno == errno.EADDRINUSE else f"cannot be opened ({e})"
        raise OutputError(f"{HOST}:{port}", f"port {problem}; choose another with --port") from None
    sock.listen(64)
    return sock


def serve(
    paths: list[Path],
    recipe: rc.Recipe,
    port: int = 0,
    export_dir: Path = Path("."),
    open_browser: bool = True,
    out=sys.stdout,
) -> None:
    """Serve the page for ``paths`` until interrupted; the URL is the first line on ``out``."""
    import uvicorn

    entries = collect(paths)
    if not any(e.kind != "lut" for e in entries):
        raise InputError(" ".join(map(str, paths)), "no photo, image or clip to show")
    session = Session(entries, export_dir, recipe)
    app = create_app(session)
    sock = bind(port)
    url = f"http://{HOST}:{sock.getsockname()[1]}/{app.token}/"
    print(url, file=out, flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, (url,)).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
