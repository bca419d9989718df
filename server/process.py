"""Run the server as a child process on a free port: for crash tests and benchmarks,
which must exercise the real deployment (uvicorn, workers, signals), not an in-process app."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


class ServerStartError(RuntimeError):
    """The child server did not answer /health in time; the message carries its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(database_url: str, extra: dict[str, str] | None) -> dict[str, str]:
    return {**os.environ, **(extra or {}), "DATABASE_URL": database_url}


def run_cli(database_url: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run one `leastmeans` command against `database_url` and return its output."""
    result = subprocess.run(
        [sys.executable, "-m", "server", *args],
        env=_environment(database_url, env),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"leastmeans {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


@dataclass
class ServerProcess:
    """A running `leastmeans serve` child."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def kill(self) -> None:
        """SIGKILL the whole process group: no chance to flush or clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM and wait: the graceful shutdown path."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace")


def start_server(
    database_url: str,
    log_path: Path,
    workers: int = 1,
    port: int | None = None,
    env: dict[str, str] | None = None,
    migrate: bool = False,
) -> ServerProcess:
    """Start `leastmeans serve` and wait until /health answers (`env` adds variables;
    `migrate` passes --migrate)."""
    port = port or free_port()
    log = log_path.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--port", str(port), "--workers", str(workers), *(["--migrate"] if migrate else [])],
        env=_environment(database_url, env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so a kill reaches every worker
    )
    log.close()
    server = ServerProcess(process=process, base_url=f"http://127.0.0.1:{port}", log_path=log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartError(f"server exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.base_url}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.kill()
    raise ServerStartError(f"server did not answer /health within 60 s:\n{server.log()}")


@contextmanager
def serving(database_url: str, log_path: Path, workers: int = 1) -> Iterator[ServerProcess]:
    """A server for the duration of a `with` block, stopped gracefully afterwards."""
    server = start_server(database_url, log_path, workers=workers)
    try:
        yield server
    finally:
        server.stop()
