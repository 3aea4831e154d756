"""`run --json`: the cycle as one JSON object, for scripts (docs/VOCABULARY.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scheduler.cli import cli

pytestmark = pytest.mark.e2e


def test_run_json_is_one_object_with_sources_diff_and_alerts(
    archive_config, tmp_path: Path
) -> None:
    config = tmp_path / "demo" / "peacewatch.toml"
    result = CliRunner().invoke(cli, ["--config", str(config), "run", "--all", "--json"])
    assert result.exit_code == 0, result.output
    [record] = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert record["status"] == "ok" and record["articles_new"] > 0
    assert {s["source_id"] for s in record["sources"]} == {s.id for s in archive_config.sources}
    assert record["diff"]["statements_new"] > 0
    assert record["alerts"] and "statement" in record["alerts"][0]
