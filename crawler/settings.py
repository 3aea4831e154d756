"""Scrapy settings: polite by default (robots.txt, AutoThrottle, one request at a time per site).

The scheduler overrides a few of these per crawl (timeouts, delays) through the job it hands
the crawl subprocess; nothing here reads the environment.
"""

BOT_NAME = "peacewatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "peacewatch/0.1 (news monitoring; +https://github.com/peacewatch/peacewatch)"
ROBOTSTXT_OBEY = True

# Politeness: few parallel requests per site, AutoThrottle adapts the delay to the server.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Bounded work per request: a hanging server costs at most the timeout, a huge body is cut.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
DNS_TIMEOUT = 15

# Retries with backoff; 429/503 honour Retry-After (see crawler.middlewares).
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 60.0
RETRY_AFTER_MAX_WAIT = 60.0
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.PoliteRetryMiddleware": 550,
    # before RobotsTxtMiddleware (100): a URL off the source's hosts (scheme, host, port) is
    # not contacted at all, not even for its robots.txt; redirects pass here again
    "crawler.middlewares.SourceScopeMiddleware": 50,
}
# Only http(s) can be fetched: no file://, s3://, ftp:// or data: from a feed, sitemap or
# redirect, and every download goes through the HTTP handler, which enforces DOWNLOAD_MAXSIZE
# (Scrapy's file handler reads a file, even /dev/zero, without any limit).
DOWNLOAD_HANDLERS = {"file": None, "s3": None, "ftp": None, "data": None}
# user:password@ in a URL never reaches the crawl's log (crawler/scope.py)
EXTENSIONS = {"crawler.scope.RedactCredentialsExtension": 0}

# Our pipelines are synchronous: more parallel item slots per response only add overhead.
CONCURRENT_ITEMS = 4
ITEM_PIPELINES = {
    "crawler.pipelines.ValidateArticlePipeline": 100,
    "crawler.pipelines.AnalyzeArticlePipeline": 500,
    "crawler.pipelines.StoreArticlePipeline": 800,
}

# Feeds are re-requested every cycle on purpose (conditional GET); articles are deduplicated
# by canonical URL against the store, not by Scrapy's in-memory fingerprint alone.
HTTPCACHE_ENABLED = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
