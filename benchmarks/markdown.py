"""Writing the benchmark's section of BENCHMARKS.md between its markers, keeping the rest."""

from __future__ import annotations

from pathlib import Path

START = "<!-- crawl-bench:start -->"
END = "<!-- crawl-bench:end -->"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def replace_section(text: str, body: str) -> str:
    """``text`` with the part between the markers replaced (or appended when there is none)."""
    section = f"{START}\n{body.strip()}\n{END}"
    begin, end = text.find(START), text.find(END)
    if begin != -1 and end > begin:
        return text[:begin] + section + text[end + len(END) :]
    if not text.strip():
        return "# Benchmarks\n\n" + section + "\n"
    return text.rstrip("\n") + "\n\n" + section + "\n"


def write_section(path: Path, body: str) -> None:
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(replace_section(old, body), encoding="utf-8")
