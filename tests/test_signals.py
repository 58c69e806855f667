"""Ctrl-C and SIGTERM end a parallel `evaluate` at once, workers included, with the conventional exit code
and no traceback."""
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import CLI, REPO, interruptible


@pytest.fixture(scope="module")
def big_snapshot(tmp_path_factory):
    """Large enough to be evaluated in several processes for a few seconds."""
    path = tmp_path_factory.mktemp("big") / "snap.json"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen_snapshot.py"), "--customers", "40000",
                    "--invoices", "600000", "--seed", "3", "-o", str(path)], check=True, capture_output=True,
                   timeout=300)
    return path


def children(pid) -> set[int]:
    found = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found |= {int(c) for c in handle.read().split()}
        except FileNotFoundError:
            pass
    return found


def alive(pid) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_parallel_evaluate_stops_promptly_with_its_workers(big_snapshot, signum, code):
    proc = subprocess.Popen([*CLI, "evaluate", "--snapshot", str(big_snapshot),
                             "--jobs", "2", "--format", "json"], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, preexec_fn=interruptible)
    try:
        deadline = time.monotonic() + 60
        workers = set()
        while time.monotonic() < deadline and len(workers) < 2 and proc.poll() is None:
            workers = children(proc.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, "evaluate never ran in parallel: make the snapshot larger"
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == code
    assert "Traceback" not in stderr and "interrupted" in stderr or "terminated" in stderr
    time.sleep(0.5)
    assert not [w for w in workers if alive(w)], "workers outlived the command"
