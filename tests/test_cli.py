from pathlib import Path

import pytest
from click.testing import CliRunner

from scheduler.cli import cli


def _commands() -> list[str]:
    return sorted(cli.commands)


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_a_broken_config_is_a_usage_error_with_exit_code_2(tmp_path: Path) -> None:
    config = tmp_path / "peacewatch.toml"
    config.write_text("[crawl]\nbogus = 1\n")
    result = CliRunner().invoke(cli, ["--config", str(config), "run"])
    assert result.exit_code == 2
    assert "unknown setting 'bogus'" in result.output


def test_run_refuses_an_unknown_source_id(tmp_path: Path) -> None:
    config = tmp_path / "peacewatch.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "x.db"}"\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "run", "--source", "nope"])
    assert result.exit_code == 2
    assert "unknown source(s): nope" in result.output
