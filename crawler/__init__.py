"""The Scrapy project and the pure analysis modules it calls (no Scrapy inside those)."""
