"""Tuning the analysis: ``analyze FILE`` (the statements of one page) and ``eval`` (scores on
the labelled dev set)."""

from __future__ import annotations

from pathlib import Path

import click

from scheduler.cli.app import Context, analyzer_for
from scheduler.cli.render import analysis_table
from scheduler.output import json_line


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per report.")
@click.option("--language", type=click.Choice(["ru", "uk", "en"]), help="Default: detected.")
@click.option(
    "--date",
    "when",
    help="Publication date (YYYY-MM-DD) for roles; default: found "
    "in the page, else a leading 'date YYYY-MM-DD' line, else today.",
)
@click.pass_obj
def analyze(
    obj: Context, file: Path, as_json: bool, language: str | None, when: str | None
) -> None:
    """Print the attributed statements of one HTML or text FILE (for tuning)."""
    from scheduler.evaluation.analyze_file import read_article

    analyzer = analyzer_for(obj.config())
    try:
        article = read_article(file, language=language, when=when)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
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
