"""Fixtures shared by every test layer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsflow_lab.corpus import dev_set_dir

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"


@pytest.fixture(scope="session")
def seed_paths() -> list[Path]:
    """The five sample pages shipped in seeds/."""
    return sorted(SEEDS.glob("*.txt"))


@pytest.fixture(scope="session")
def seed_gold() -> dict:
    """seeds/gold.json: line-level labels of the sample pages."""
    return json.loads((SEEDS / "gold.json").read_text())


@pytest.fixture(scope="session")
def dev_set() -> Path:
    """The article-benchmark dev set next to the project; skipped where it is absent."""
    root = dev_set_dir()
    if root is None:
        pytest.skip("dev set not found beside the project (or at NEWSFLOW_DEV_SET)")
    return root
