"""Benchmarks of the crawl pipeline against a loopback replay of the offline archive.

``python -m benchmarks.crawl --articles 2000 --outlets 10 --write BENCHMARKS.md`` (``make bench``).
Everything runs on loopback addresses; nothing but BENCHMARKS.md is written to the repository.
"""
