"""The demo: the offline news archive (written articles rendered as outlet-like pages and
feeds, served on loopback for the demo, the end-to-end tests and the benchmarks) and the demo's
steps."""
