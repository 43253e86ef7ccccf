"""Running the real ``newsflow`` command as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
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
