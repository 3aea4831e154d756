"""The real-news set joins labels (in the project) with texts (outside it) by article id."""

import json
from pathlib import Path

from scheduler.evaluation.realnews import load_realnews, split_of

TEXT = "Our own sentence for the test. The minister said the talks would resume next week."


def _write(
    labels: Path, texts: Path, article_id: str, url: str, start: int, end: int, text: str = TEXT
) -> None:
    (labels / "en").mkdir(parents=True, exist_ok=True)
    (labels / "en" / f"t01-{article_id}.toml").write_text(
        f'url = "{url}"\nid = "{article_id}"\noutlet = "Test Wire"\nlanguage = "en"\n'
        'published = "2026-02-11"\nquery = "q"\ngist = "a test"\nhard = ""\n\n'
        '[[statements]]\nspeaker = "Andrii Sybiha"\nas_written = "The minister"\n'
        'kind = "indirect"\nrecap = false\nabout_peace_talks = true\n'
        f'occasion = "sybiha-2026-02-11"\nstart = {start}\nend = {end}\n',
        encoding="utf-8",
    )
    texts.mkdir(parents=True, exist_ok=True)
    (texts / f"{article_id}.json").write_text(
        json.dumps({"url": url, "outlet": "Test Wire", "lang": "en", "text": text}),
        encoding="utf-8",
    )


def test_a_label_takes_its_statement_words_from_the_text_by_offsets(tmp_path: Path) -> None:
    start = TEXT.index("the talks")
    _write(tmp_path / "labels", tmp_path / "texts", "0000000000a1", "https://x.test/a", start, 81)
    found = load_realnews(tmp_path / "labels", tmp_path / "texts")
    (real,) = found.articles
    (gold,) = real.article.statements
    assert gold.evidence == "the talks would resume next week"
    assert gold.statement == "sybiha-2026-02-11"
    assert real.article.published is not None and real.article.published.tzinfo is not None


def test_a_label_without_its_text_is_listed_not_guessed(tmp_path: Path) -> None:
    _write(tmp_path / "labels", tmp_path / "texts", "0000000000a2", "https://x.test/b", 0, 5)
    (tmp_path / "texts" / "0000000000a2.json").unlink()
    found = load_realnews(tmp_path / "labels", tmp_path / "texts")
    assert found.articles == []
    assert found.missing_texts == ["t01-0000000000a2.toml (https://x.test/b)"]


def test_offsets_outside_the_text_are_a_problem_not_a_crash(tmp_path: Path) -> None:
    _write(tmp_path / "labels", tmp_path / "texts", "0000000000a3", "https://x.test/c", 10, 9999)
    found = load_realnews(tmp_path / "labels", tmp_path / "texts")
    assert found.articles == []
    assert "outside the text" in found.problems[0]


def test_a_third_of_the_ids_make_the_test_split() -> None:
    assert split_of("000000000003") == "test"
    assert split_of("000000000004") == "dev"


def test_the_text_reaches_the_analysis_as_the_crawl_gives_it(tmp_path: Path) -> None:
    text = "A heading\n" + TEXT + "\n\n\n  Another   line.\n"
    start = text.index("the talks")
    _write(
        tmp_path / "labels",
        tmp_path / "texts",
        "0000000000a4",
        "https://x.test/d",
        start,
        start + 32,
        text,
    )
    (real,) = load_realnews(tmp_path / "labels", tmp_path / "texts").articles
    assert real.article.text == f"A heading\n\n{TEXT}\n\nAnother line."
    assert real.article.statements[0].evidence == "the talks would resume next week"


def test_a_line_hard_wrapped_inside_a_sentence_is_joined_again(tmp_path: Path) -> None:
    text = "Our own sentence for the test. The minister said\nthe talks would resume next week."
    start = text.index("the talks")
    _write(
        tmp_path / "labels",
        tmp_path / "texts",
        "0000000000a5",
        "https://x.test/e",
        start,
        start + 32,
        text,
    )
    (real,) = load_realnews(tmp_path / "labels", tmp_path / "texts").articles
    assert real.article.text == TEXT


def test_a_first_line_without_a_stop_is_the_headline(tmp_path: Path) -> None:
    text = "date 2026-02-11 Minister says talks will resume\n" + TEXT
    start = text.index("the talks")
    _write(
        tmp_path / "labels",
        tmp_path / "texts",
        "0000000000a6",
        "https://x.test/f",
        start,
        start + 32,
        text,
    )
    (real,) = load_realnews(tmp_path / "labels", tmp_path / "texts").articles
    assert real.article.title == "Minister says talks will resume"


def test_a_rule_by_rule_row_scores_a_checkout_on_these_labels(tmp_path: Path, capsys) -> None:
    from benchmarks.realnews_steps import main

    start = TEXT.index("the talks")
    _write(tmp_path / "labels", tmp_path / "texts", "0000000000a7", "https://x.test/g", start, 81)
    repo = Path(__file__).resolve().parent.parent
    args = ["--code", str(repo), "--labels", str(tmp_path / "labels"), str(tmp_path / "texts")]
    assert main(args) == 0
    cells = capsys.readouterr().out.strip().split(" | ")
    assert len(cells) == 10  # the table's columns after the commit
    assert cells[4].endswith("of 0")  # no hard negative among the labels
