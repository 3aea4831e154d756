"""``peacewatch ui``: Datasette over the store, read-only, with peacewatch's pages in front.

Datasette is sqlite-utils' companion: its table browser, facets, canned queries and SQL page
come with it (under /DATABASE), and its plugin hooks carry our pages and stylesheet. Nothing is
fetched from elsewhere: templates, stylesheet and chart are served by this process.
Read-only: Datasette reads through read-only connections, our pages through
``open_db_readonly``, no write plugin is installed, and the server binds 127.0.0.1 unless told
otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasette.app import Datasette
from datasette.plugins import pm

from scheduler.ui.pages import STATIC, STATIC_MOUNT, TEMPLATES, Pages

PLUGIN_NAME = Pages.__name__


def build(db_path: Path) -> Datasette:
    """A Datasette app over ``db_path`` with peacewatch's pages registered (once a process)."""
    db_path = Path(db_path).resolve()
    name = db_path.stem
    previous = pm.get_plugin(PLUGIN_NAME)
    if previous is not None:
        pm.unregister(previous)
    pm.register(Pages(db_path, name), name=PLUGIN_NAME)
    metadata: dict[str, Any] = {
        "title": "peacewatch",
        "description": "Statements on talks to end the Russia–Ukraine war, by occasion.",
        "databases": {
            name: {
                "tables": {
                    "statements": {"sort_desc": "said_at", "facets": ["speaker", "language"]},
                    "articles": {"sort_desc": "published_at"},
                }
            }
        },
    }
    return Datasette(
        files=[str(db_path)],
        metadata=metadata,
        template_dir=str(TEMPLATES),
        static_mounts=[(STATIC_MOUNT, str(STATIC))],
        settings={"default_page_size": 50, "sql_time_limit_ms": 3000, "max_returned_rows": 2000},
    )


def serve(db_path: Path, host: str, port: int) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM end it cleanly, as uvicorn does)."""
    import uvicorn

    uvicorn.run(build(db_path).app(), host=host, port=port, log_level="warning")
