"""Writing one benchmark's section of BENCHMARKS.md between its markers, keeping the rest."""

from __future__ import annotations

from pathlib import Path


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def replace_section(text: str, body: str, name: str = "crawl-bench") -> str:
    """``text`` with the part between ``name``'s markers replaced (appended when absent)."""
    start, end_marker = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = f"{start}\n{body.strip()}\n{end_marker}"
    begin, end = text.find(start), text.find(end_marker)
    if begin != -1 and end > begin:
        return text[:begin] + section + text[end + len(end_marker) :]
    if not text.strip():
        return "# Benchmarks\n\n" + section + "\n"
    return text.rstrip("\n") + "\n\n" + section + "\n"


def write_section(path: Path, body: str, name: str = "crawl-bench") -> None:
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(replace_section(old, body, name), encoding="utf-8")
