"""Tuning the analysis: ``analyze FILE`` (the statements of one page) and ``eval`` (scores on
the labelled dev set)."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import click

from scheduler.cli.app import Context, InputError, analyzer_for
from scheduler.cli.render import analysis_table
from scheduler.output import json_line


def _iso_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def _check_input_file(file: Path, limit: int) -> None:
    """A regular file no larger than a crawled page may be ([crawl] max_page_bytes): never a
    device or a pipe read without bound."""
    try:
        info = file.stat()
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{file} is not a regular file")
    if info.st_size > limit:
        raise InputError(
            f"{file} is larger than [crawl] max_page_bytes ({info.st_size} > {limit} bytes)"
        )


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per report.")
@click.option("--language", type=click.Choice(["ru", "uk", "en"]), help="Default: detected.")
@click.option(
    "--date",
    "when",
    callback=_iso_date,
    help="Publication date (YYYY-MM-DD) for roles; default: found "
    "in the page, else a leading 'date YYYY-MM-DD' line, else today.",
)
@click.pass_obj
def analyze(
    obj: Context, file: Path, as_json: bool, language: str | None, when: str | None
) -> None:
    """Print the attributed statements of one HTML or text FILE (for tuning)."""
    from scheduler.evaluation.analyze_file import read_article

    config = obj.config()
    _check_input_file(file, config.crawl.max_page_bytes)
    analyzer = analyzer_for(config)
    try:
        article = read_article(file, language=language, when=when)
    except (ValueError, OSError) as exc:  # not HTML, not readable: the input, not a bug
        raise InputError(str(exc)) from exc
    reports = analyzer.analyze(article.text, language=article.language, published=article.date)
    if as_json:
        for report in reports:
            click.echo(json_line(report.to_json()))
        return
    click.echo(f"{file.name}: {article.language}, {article.date}, {len(reports)} reports")
    click.echo(analysis_table(reports))


@click.command(name="eval")
@click.option("--json", "as_json", is_flag=True, help="Scores as one JSON object.")
@click.option("--errors", is_flag=True, help="Also list every disagreement with the labels.")
@click.option(
    "--devset",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Labelled articles (default: seeds/devset).",
)
@click.pass_obj
def evaluate_command(obj: Context, as_json: bool, errors: bool, devset: Path | None) -> None:
    """Score statement, speaker and topic analysis on the labelled dev set."""
    from scheduler.evaluation.run import evaluate_everything, summary_text

    config = obj.config()
    analyzer = analyzer_for(config)
    try:
        summary, disagreements = evaluate_everything(analyzer, config, devset)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if as_json:
        if errors:
            summary["errors"] = disagreements
        click.echo(json_line(summary))
        return
    click.echo(summary_text(summary))
    if errors:
        for error in disagreements:
            click.echo(json_line(error))


COMMANDS = (analyze, evaluate_command)
