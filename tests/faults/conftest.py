"""Fixtures of the fault tests: one mock server per module, serving a directory of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.mockserver import MockServer


@pytest.fixture(scope="module")
def static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's mock server serves this directory at /static/ (see ``harness.put``)."""
    return tmp_path_factory.mktemp("static")


@pytest.fixture(scope="module")
def server(static: Path) -> Iterator[MockServer]:
    with MockServer(static) as mock:
        yield mock
