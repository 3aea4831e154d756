"""peacewatch's pages inside Datasette: a plugin object registered by ``scheduler.ui.server``.

Each page reads the store through its own read-only connection (``open_db_readonly``) in a
worker thread, with the same queries as the command line, and renders a Jinja2 template that
extends Datasette's own layout. Every page also answers as JSON with ``.json`` at the end of its
path, in the field names of ``statements --json`` and ``show --json``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response

from scheduler.ui import data
from storage.db import open_db_readonly

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
STATIC_MOUNT = "peacewatch-static"


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


class Pages:
    """The plugin: routes for the reader's pages, and the stylesheet they share."""

    #: Datasette names its plugins by module; this one is an object (it holds the store's path)
    __name__ = "peacewatch_pages"

    def __init__(self, db_path: Path, database_name: str) -> None:
        self.db_path = db_path
        self.database_name = database_name

    async def _read(self, fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            db = open_db_readonly(self.db_path)
            try:
                return fn(db, *args)
            finally:
                db.close()

        return await asyncio.to_thread(run)

    async def _page(
        self, datasette: Any, request: Any, template: str, context: dict[str, Any]
    ) -> Response:
        if request.url_vars.get("format") == ".json":
            return Response(
                json.dumps(context, ensure_ascii=False, default=_jsonable),
                content_type="application/json; charset=utf-8",
            )
        context = {**context, "database_name": self.database_name}
        return Response.html(await datasette.render_template(template, context, request=request))

    async def front(self, datasette: Any, request: Any) -> Response:
        query = request.args.get("q", "").strip()
        context = await self._read(data.front_page, query)
        return await self._page(datasette, request, "pw_front.html", context)

    async def statement(self, datasette: Any, request: Any) -> Response:
        statement_id = int(request.url_vars["id"])
        context = await self._read(lambda db: {"statement": data.statement_card(db, statement_id)})
        if context["statement"] is None:
            raise NotFound(f"no statement {statement_id}")
        return await self._page(datasette, request, "pw_statement.html", context)

    async def speaker(self, datasette: Any, request: Any) -> Response:
        name = unquote(request.url_vars["name"])
        context = await self._read(data.speaker_page, name)
        return await self._page(datasette, request, "pw_speaker.html", context)

    async def day(self, datasette: Any, request: Any) -> Response:
        context = await self._read(data.day_page, request.url_vars["day"])
        return await self._page(datasette, request, "pw_day.html", context)

    async def sources(self, datasette: Any, request: Any) -> Response:
        context = await self._read(data.health_page)
        return await self._page(datasette, request, "pw_sources.html", context)

    @hookimpl
    def register_routes(self) -> list[tuple[str, Callable[..., Any]]]:
        json_suffix = r"(?P<format>\.json)?$"
        return [
            (r"^/(?:index(?P<format>\.json))?$", self.front),
            (r"^/statement/(?P<id>\d+)" + json_suffix, self.statement),
            (r"^/speaker/(?P<name>[^/]+?)" + json_suffix, self.speaker),
            (r"^/day/(?P<day>\d{4}-\d{2}-\d{2})" + json_suffix, self.day),
            (r"^/sources" + json_suffix, self.sources),
        ]

    @hookimpl
    def extra_css_urls(self) -> list[str]:
        return [f"/{STATIC_MOUNT}/peacewatch.css"]
