"""The shipped Gia Lai example, loaded once: the roster tests read it as an operator would."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitewatch.config.loader import load_config
from sitewatch.config.schema import Config

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "gialai"


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config(EXAMPLE)
