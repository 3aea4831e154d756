"""Configuration, cycles, the demo and the command line; imports crawler and storage."""
