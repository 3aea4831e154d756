"""From the analysis's findings to the reports the store keeps: each finding's fields and,
when the encoder runs, its sentence vector."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from crawler.analysis.encoder import SentenceEncoder
from crawler.analysis.finding import Finding
from storage.models import Report


def to_reports(findings: Sequence[Finding], encoder: SentenceEncoder | None = None) -> list[Report]:
    reports = [Report(**asdict(finding)) for finding in findings]
    if encoder is not None and reports:
        vectors = encoder.encode([report.text for report in reports])
        for report, vector in zip(reports, vectors, strict=True):
            report.embedding = vector
    return reports
