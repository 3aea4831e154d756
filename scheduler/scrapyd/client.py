"""scrapyd's JSON API, with timeouts and credentials, and errors a person can act on.

Why not scrapyd-client's ``ScrapydClient``: its requests have no timeout, so a server that
accepts a connection and never answers would hang a cycle for ever; the API is six JSON
endpoints, each one call of requests here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from storage.redact import redact_credentials


class ScrapydError(Exception):
    """A server could not be reached, refused, or answered with an error."""


@dataclass(frozen=True)
class Server:
    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0

    def _auth(self) -> tuple[str, str] | None:
        return (self.username, self.password or "") if self.username else None

    def _call(self, method: str, endpoint: str, **kwargs: Any) -> requests.Response:
        url = f"{self.url.rstrip('/')}/{endpoint}"
        try:
            response = requests.request(
                method, url, auth=self._auth(), timeout=self.timeout, **kwargs
            )
        except requests.Timeout as exc:
            raise ScrapydError(f"{self.url}: no answer within {self.timeout:g} s") from exc
        except requests.ConnectionError as exc:
            raise ScrapydError(f"{self.url}: cannot connect ({_reason(exc)})") from exc
        except requests.RequestException as exc:
            raise ScrapydError(f"{self.url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 401:
            raise ScrapydError(
                f"{self.url}: refused our credentials (HTTP 401): check "
                "$PEACEWATCH_SCRAPYD_USERNAME / $PEACEWATCH_SCRAPYD_PASSWORD"
            )
        return response

    def api(self, endpoint: str, *, data: Any = None, params: Any = None, files: Any = None):
        method = "POST" if data is not None or files is not None else "GET"
        response = self._call(method, endpoint, data=data, params=params, files=files)
        try:
            payload = response.json()
        except ValueError as exc:
            raise ScrapydError(
                f"{self.url}/{endpoint}: HTTP {response.status_code}, not a scrapyd answer: "
                f"{response.text[:200]!r}"
            ) from exc
        if payload.get("status") != "ok":
            message = payload.get("message", payload)
            raise ScrapydError(f"{self.url}/{endpoint}: {str(message).strip()[:300]}")
        return payload

    def daemon_status(self) -> dict[str, Any]:
        return self.api("daemonstatus.json")

    def versions(self, project: str) -> list[str]:
        return list(self.api("listversions.json", params={"project": project})["versions"])

    def versions_or_none(self, project: str) -> list[str]:
        """The project's versions; none when the server has never had the project."""
        try:
            return self.versions(project)
        except ScrapydError as exc:
            if "not found" in str(exc):
                return []
            raise

    def add_version(self, project: str, version: str, egg: bytes) -> dict[str, Any]:
        return self.api(
            "addversion.json",
            data={"project": project, "version": version},
            files={"egg": ("peacewatch.egg", egg)},
        )

    def schedule(
        self,
        project: str,
        spider: str,
        *,
        version: str,
        job_id: str,
        args: dict[str, str],
        settings: dict[str, Any],
    ) -> str:
        data: list[tuple[str, str]] = [
            ("project", project),
            ("spider", spider),
            ("_version", version),
            ("jobid", job_id),
        ]
        data += [("setting", f"{name}={value}") for name, value in settings.items()]
        data += list(args.items())
        return str(self.api("schedule.json", data=data)["jobid"])

    def jobs(self, project: str) -> dict[str, str]:
        """Each job's state on this server: pending, running or finished."""
        payload = self.api("listjobs.json", params={"project": project})
        return {
            job["id"]: state
            for state in ("pending", "running", "finished")
            for job in payload.get(state, [])
        }

    def cancel(self, project: str, job_id: str) -> None:
        self.api("cancel.json", data={"project": project, "job": job_id})

    def items(self, project: str, spider: str, job_id: str) -> bytes | None:
        """The job's feed export, as scrapyd serves it from its ``items_dir``; None: no such
        file (the job exported nothing yet, or the server keeps no items)."""
        response = self._call("GET", f"items/{project}/{spider}/{job_id}.jl")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ScrapydError(f"{self.url}: HTTP {response.status_code} for the job's items")
        return response.content


def _reason(exc: Exception) -> str:
    text = str(exc)
    for known in ("Connection refused", "Name or service not known", "timed out"):
        if known in text:
            return known.lower()
    return redact_credentials(text)[:200]
