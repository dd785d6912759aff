"""The run on a Dask cluster (--scheduler): a real ``dask scheduler`` and two ``dask worker``
processes (each under its nanny, one thread) on loopback ports, started by these tests and torn
down after; every run is a subprocess of the installed ``newsdedup``, compared byte for byte
with a local run of the same files and options."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import Client

from .conftest import SAMPLES, newsdedup_exe, run_cli

#: reuters-dev files of the slice: four reading partitions and eight feature ranges, so both
#: stages spread over the two workers, in a few seconds
REUTERS_SLICE = 2_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DaskCluster:
    """A scheduler and two workers, as an operator starts them (``dask`` of this environment)."""

    def __init__(self, folder: Path) -> None:
        self.dask = str(Path(sys.executable).parent / "dask")
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        logs = [open(folder / name, "wb") for name in ("scheduler.log", "w1.log", "w2.log")]  # noqa: SIM115
        self.logs = logs
        host = ["--host", "127.0.0.1", "--no-dashboard"]
        scheduler = [self.dask, "scheduler", "--port", str(self.port), *host]
        self.procs = [subprocess.Popen(scheduler, stdout=logs[0], stderr=subprocess.STDOUT)]
        for n, log in enumerate(logs[1:], 1):
            worker = [
                self.dask,
                "worker",
                self.address,
                "--nthreads",
                "1",
                "--name",
                f"w{n}",
                *host,
            ]
            self.procs.append(subprocess.Popen(worker, stdout=log, stderr=subprocess.STDOUT))
        # the scheduler may take a few seconds to listen on a loaded machine
        self.client = Client(self.address, timeout=60)
        self.client.wait_for_workers(2, timeout=120)

    def worker_pids(self) -> dict[str, int]:
        pids: dict[str, int] = self.client.run(os.getpid)
        return pids

    def stop(self) -> None:
        self.client.close()
        for proc in reversed(self.procs):  # workers (their nannies stop them) first
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self.logs:
            log.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskCluster]:
    c = DaskCluster(tmp_path_factory.mktemp("dask"))
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def reuters_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from .conftest import need_shared

    files = sorted((need_shared() / "reuters-dev").iterdir())[:REUTERS_SLICE]
    listing = tmp_path_factory.mktemp("slice") / "files.txt"
    listing.write_text("".join(f"{p}\n" for p in files), encoding="utf-8")
    return listing


def _same_as_local(
    *args: str, via: str, here: subprocess.CompletedProcess[str] | None = None
) -> str:
    """The output of ``args`` run locally (or ``here``, that run), checked equal to the run on
    the cluster at ``via``."""
    here = here or run_cli(*args)
    assert here.returncode == 0, here.stderr
    there = run_cli(*args, "--scheduler", via)
    assert there.returncode == 0, there.stderr
    assert there.stdout == here.stdout
    assert there.stderr == here.stderr  # the same summary line, and nothing of Dask's
    return here.stdout


def _pairs(listing: Path) -> list[str]:
    return ["pairs", "-f", "jsonl", "--level", "storyline", "--files-from", str(listing)]


@pytest.fixture(scope="module")
def reuters_local(reuters_slice: Path) -> subprocess.CompletedProcess[str]:
    """The local run of the slice's storyline pairs."""
    return run_cli(*_pairs(reuters_slice))


def test_meter_dev_on_the_cluster_is_the_local_run(cluster: DaskCluster, data: Path) -> None:
    out = _same_as_local("clusters", "-f", "jsonl", str(data / "meter-dev"), via=cluster.address)
    assert out.count("\n") == 663


def test_reuters_dev_on_the_cluster_is_the_local_run(
    cluster: DaskCluster, reuters_slice: Path, reuters_local: subprocess.CompletedProcess[str]
) -> None:
    out = _same_as_local(*_pairs(reuters_slice), via=cluster.address, here=reuters_local)
    assert out.count("\n") > 500  # re-sends, corrections, follow-ups: the slice has many links


def test_address_from_the_environment_and_relative_paths(cluster: DaskCluster, data: Path) -> None:
    """$DASK_SCHEDULER_ADDRESS gives the address; relative paths are read from the client's
    folder and shown as given."""
    args = ("pairs", "-f", "jsonl", "--level", "storyline", "meter-dev")
    here = run_cli(*args, cwd=data)
    env = {**os.environ, "DASK_SCHEDULER_ADDRESS": cluster.address}
    there = run_cli(*args, cwd=data, env=env)
    assert here.returncode == there.returncode == 0, there.stderr
    assert there.stdout == here.stdout and '"meter-dev/' in here.stdout
    assert there.stderr == here.stderr


def test_a_worker_killed_mid_run_changes_nothing(
    cluster: DaskCluster, reuters_slice: Path, reuters_local: subprocess.CompletedProcess[str]
) -> None:
    args, here = _pairs(reuters_slice), reuters_local
    assert here.returncode == 0, here.stderr
    pids = cluster.worker_pids()
    proc = subprocess.Popen(
        [newsdedup_exe(), *args, "--scheduler", cluster.address],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
    )  # fmt: skip
    out: dict[str, str] = {}
    reader = threading.Thread(
        target=lambda: out.update(zip(("out", "err"), proc.communicate(), strict=True))
    )
    reader.start()
    killed: tuple[str, str] | None = None  # (worker, the task it was running)
    deadline = time.monotonic() + 120
    while killed is None and proc.poll() is None and time.monotonic() < deadline:
        for worker, keys in cluster.client.processing().items():
            ours = [k for k in map(str, keys) if "_read_partition" in k or "range_features" in k]
            if ours and worker in pids:
                os.kill(pids[worker], signal.SIGKILL)
                killed = (worker, ours[0])
                break
        else:
            time.sleep(0.01)
    reader.join(timeout=300)
    assert killed is not None, "the run ended before a worker could be killed in a task"
    assert proc.returncode == 0, out["err"]
    assert out["out"] == here.stdout
    assert out["err"] == here.stderr
    # the nanny brings the worker back: the cluster is whole for the tests after this one
    cluster.client.wait_for_workers(2, timeout=120)


def test_local_cluster_of_one_worker(tmp_path: Path) -> None:
    args = ("clusters", "-f", "jsonl", str(SAMPLES))
    here = run_cli(*args)
    there = run_cli(*args, "--scheduler", "local:1")
    assert there.returncode == here.returncode == 0, there.stderr
    assert there.stdout == here.stdout and there.stderr == here.stderr


def test_unreachable_scheduler_is_one_clear_line() -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    start = time.monotonic()
    r = run_cli("timeline", "--scheduler", address, str(SAMPLES))
    took = time.monotonic() - start
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith(f"newsdedup: error: {address}: cannot connect to a Dask scheduler")
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert took < 60  # the connect timeout is a few seconds (the rest is starting Python)


def test_without_dask_the_option_is_a_usage_error(tmp_path: Path) -> None:
    hide = tmp_path / "hide" / "distributed"
    hide.mkdir(parents=True)
    (hide / "__init__.py").write_text("raise ImportError('No module named distributed')\n")
    env = {**os.environ, "PYTHONPATH": str(hide.parent)}
    r = run_cli("clusters", "--scheduler", "local:2", str(SAMPLES), env=env)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == (
        "newsdedup: error: --scheduler needs Dask's distributed scheduler:"
        " pip install 'newsdedup[dask]'\n"
    )
    r = run_cli("clusters", str(SAMPLES), env=env)  # without --scheduler Dask is never imported
    assert r.returncode == 0, r.stderr


def test_bad_scheduler_values_are_usage_errors(tmp_path: Path) -> None:
    r = run_cli("clusters", "--scheduler", "local:0", str(SAMPLES))
    assert r.returncode == 2
    assert r.stderr == "newsdedup: error: --scheduler local:N needs N, one worker process or more\n"
    state = tmp_path / "s.db"
    r = run_cli("clusters", "--scheduler", "tcp://127.0.0.1:1", "--state", str(state), str(SAMPLES))
    assert (
        r.returncode == 2
        and "Invalid value for --scheduler: is not used with --state or --index" in r.stderr
    )
    assert not state.exists()  # refused before anything is opened
