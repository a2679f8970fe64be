"""``lsq view`` as a user runs it: the URL is the first line of standard output, the port
listens on 127.0.0.1 only, raw ``../`` requests never reach a file, a busy port is a
one-line error (exit 2), and Ctrl-C stops it cleanly."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from tests.conftest import run_lsq


def start_view(*args: str) -> tuple[subprocess.Popen, str]:
    """``lsq view`` in the background; its URL. What it prints after the URL is read in
    threads into ``process.output`` (an undrained pipe would block the server once its
    buffer fills)."""
    import threading

    process = subprocess.Popen(
        [sys.executable, "-m", "lsquared", "view", "--no-browser", *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = process.stdout.readline().strip()
    if not url:
        process.kill()
        raise AssertionError(process.stderr.read())
    process.output = []
    for stream in (process.stdout, process.stderr):
        threading.Thread(target=lambda s=stream: process.output.extend(s), daemon=True).start()
    for _ in range(100):  # the socket is bound before the URL is printed; wait for uvicorn
        try:
            urllib.request.urlopen(url + "api/files", timeout=5).read()
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    return process, url


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from lsquared.simulate import simulate

    folder = tmp_path_factory.mktemp("served")
    simulate(folder / "chart.dng", width=120, height=80)
    process, url = start_view(folder, "--export-dir", tmp_path_factory.mktemp("out"))
    yield process, url
    if process.poll() is None:
        process.kill()
        process.wait()


def raw_get(port: int, target: str) -> bytes:
    """An HTTP request with the target sent byte for byte (no client normalises ``..``)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def test_url_first_line_and_token(server):
    _, url = server
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.hostname == "127.0.0.1"
    token = parts.path.strip("/")
    assert len(token) >= 24
    files = raw_get(parts.port, f"/{token}/api/files")
    assert files.startswith(b"HTTP/1.1 200") and b"chart.dng" in files


@pytest.mark.parametrize("target", [
    "/../../../../etc/passwd", "/{token}/../../../../etc/passwd", "/{token}/static/../../engine.py",
    "/{token}/static/%2e%2e/%2e%2e/engine.py", "/{token}/api/render/../../../etc/passwd",
    "//etc/passwd", "/{token}//etc/passwd", "/etc/passwd", "/{token}/api/render/%2Fetc%2Fpasswd",
])  # fmt: skip
def test_raw_traversal_never_returns_a_file(server, target):
    _, url = server
    parts = urlsplit(url)
    answer = raw_get(parts.port, target.format(token=parts.path.strip("/")))
    status = answer.split(b" ", 2)[1]
    assert status in (b"400", b"403", b"404"), answer[:200]
    assert b"root:" not in answer and b"import" not in answer


@pytest.mark.skipif(shutil.which("ss") is None, reason="ss (iproute2) not installed")
def test_listens_on_loopback_only(server):
    _, url = server
    port = urlsplit(url).port
    lines = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=True).stdout
    local = [line.split()[3] for line in lines.splitlines() if line.split()[3].endswith(f":{port}")]
    assert local == [f"127.0.0.1:{port}"]


def test_busy_port_is_one_line_and_exit_2(server, tmp_path):
    _, url = server
    port = urlsplit(url).port
    (tmp_path / "a.png").write_bytes(b"")
    result = run_lsq("view", tmp_path / "a.png", "--no-browser", "--port", str(port), timeout=120)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("lsq: 127.0.0.1:")
    assert "in use" in result.stderr and "Traceback" not in result.stderr


def test_bad_input_is_one_line(tmp_path):
    result = run_lsq("view", tmp_path / "missing.dng", "--no-browser", timeout=120)
    assert result.returncode == 2 and result.stderr.startswith("lsq: ")
    assert result.stderr.count("\n") == 1


def test_ctrl_c_stops_cleanly(tmp_path):
    from lsquared.simulate import simulate

    simulate(tmp_path / "c.dng", width=60, height=40)
    process, _ = start_view(tmp_path / "c.dng")
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)
    time.sleep(0.5)  # the reader threads take the last lines
    assert process.returncode == 0
    assert "Traceback" not in "".join(process.output)


def test_connections_turn_nagle_off():
    """Each connection accepted on the viewer's socket by asyncio's loop (uvicorn's) has
    TCP_NODELAY: with Nagle's algorithm on, an answer written as headers then body waits
    for the client's delayed acknowledgement, ~40 ms on every request."""
    import asyncio

    from lsquared.viewer.server import bind

    async def accepted_nodelay() -> int:
        seen = asyncio.get_running_loop().create_future()

        def accepted(_reader, writer) -> None:
            sock = writer.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=bind(0))
        port = server.sockets[0].getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        nodelay = await asyncio.wait_for(seen, 10)
        writer.close()
        server.close()
        await server.wait_closed()
        return nodelay

    assert asyncio.run(accepted_nodelay()) != 0
