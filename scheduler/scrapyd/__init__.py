"""The scrapyd crawl backend (DESIGN §11): deploy the crawler as an egg, run it on scrapyd
servers, ingest what the jobs export."""
