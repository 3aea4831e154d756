import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scheduler.cli import cli
from storage.db import open_db


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


def test_init_writes_a_starter_config_where_config_path_then_finds_it(
    tmp_path: Path, monkeypatch, user_directories: dict[str, Path]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    written = user_directories["config"] / "peacewatch" / "peacewatch.toml"
    assert f"wrote {written}" in result.output
    shown = CliRunner().invoke(cli, ["config", "path", "--json"])
    assert shown.exit_code == 0, shown.output
    found = json.loads(shown.output)
    assert found["config"] == str(written)
    assert found["database"] == str(user_directories["data"] / "peacewatch" / "peacewatch.db")


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    target = tmp_path / "mine.toml"
    target.write_text("# my settings\n")
    result = CliRunner().invoke(cli, ["init", "--path", str(target)])
    assert result.exit_code == 2
    assert "exists" in result.output
    assert target.read_text() == "# my settings\n"
    assert CliRunner().invoke(cli, ["init", "--path", str(target), "--force"]).exit_code == 0
    assert "[storage]" in target.read_text()


def test_version_is_the_package_version() -> None:
    from importlib.metadata import version

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert version("peacewatch") in result.output


def test_init_and_backup_answer_in_json_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "my.toml"
    result = CliRunner().invoke(cli, ["init", "--path", str(target), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"config": str(target)}
    config = tmp_path / "c.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "pw.db"}"\n', encoding="utf-8")
    open_db(tmp_path / "pw.db").close()
    copy = tmp_path / "copy.db"
    result = CliRunner().invoke(cli, ["--config", str(config), "backup", str(copy), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["backup"] == str(copy) and copy.exists()
