"""Running the real ``newsflow`` command as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

NEWSFLOW = [sys.executable, "-m", "newsflow_cli"]


def last_json_line(stdout: str) -> dict:
    """The ``--json`` summary: the last line of stdout."""
    return json.loads(stdout.strip().splitlines()[-1])


@pytest.fixture
def newsflow(tmp_path: Path):
    """Run ``newsflow ARGS`` to completion; returns the completed process (stdout, stderr, returncode)."""

    def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*NEWSFLOW, *args], capture_output=True, text=True, timeout=timeout, check=False)

    return run


def wait_for_progress(run: subprocess.Popen[str], stderr_path: Path, text: str, timeout_s: float = 120) -> None:
    """Block until ``newsflow run``'s live progress (on stderr) shows ``text``."""
    deadline = time.monotonic() + timeout_s
    while text not in stderr_path.read_text() and time.monotonic() < deadline:
        assert run.poll() is None, stderr_path.read_text()[-2000:]
        time.sleep(0.2)
