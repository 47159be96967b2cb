"""The real processes ``make bench`` measures: its own Redis, a Celery worker, gunicorn; their peak memory."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a process this bench started (by its own handle, never by name)."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def children(pid: int) -> list[int]:
    import psutil

    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def peak_rss_mib(pid: int) -> float:
    """Peak resident memory (VmHWM) of the largest process in the tree: one worker or web process, in MiB."""
    return max(_status_kib(p, "VmHWM") for p in [pid, *children(pid)]) / 1024


def current_rss_mib(pid: int) -> float:
    return max(_status_kib(p, "VmRSS") for p in [pid, *children(pid)]) / 1024


def start_redis(log_dir: Path) -> tuple[subprocess.Popen, str]:
    """A private redis-server on a free loopback port (no persistence)."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=(log_dir / "redis.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return process, url
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"redis-server did not start: {(log_dir / 'redis.log').read_text()}")
        time.sleep(0.1)


def service_env(database: str) -> dict[str, str]:
    """Environment of the worker and the web server: bench settings, this run's database, Redis and queue."""
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_DATABASE_NAME": database,
        "PYTHONPATH": str(ROOT),
    }


def start_worker(database: str, queue: str, log_dir: Path) -> subprocess.Popen:
    """A real Celery worker as the Procfile runs it (prefork, concurrency 2) on this run's queue."""
    log = log_dir / "worker.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cmo_portal",
            "worker",
            "-Q",
            queue,
            "--concurrency=2",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
            "--hostname",
            f"bench-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=service_env(database),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while "ready." not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"Celery worker did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    return process


def start_gunicorn(database: str, log_dir: Path, name: str) -> tuple[subprocess.Popen, str]:
    """gunicorn as the image runs it (sync workers, default timeout), with 2 workers on a loopback port."""
    port = free_port()
    log = log_dir / f"gunicorn-{name}.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "cmo_portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],
        cwd=ROOT,
        env=service_env(database),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while len(children(process.pid)) < 2 or not _answers(base + "/healthz"):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    return process, base


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 -- loopback, our own server
            return response.status == 200
    except OSError:
        return False
