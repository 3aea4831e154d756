"""Credentials written into a URL (``scheme://user:password@host``) never reach a log or the store.

A feed or a redirect can carry a URL with a user and password in it. Error texts quote URLs, so
every error stored (page failures, feed state, a run's per-source rows) and every line the crawl
logs passes through ``redact_credentials``. Here, at the bottom of the import graph, so the
store and the crawl's log use one definition.
"""

from __future__ import annotations

import re

#: The user-information part of any URL in a text: after ``//``, up to the last ``@`` before
#: the host (a password may itself hold an ``@``), never across ``/ ? #`` or white space.
_USERINFO = re.compile(r"(?<=//)[^/?#\s]*@")


def redact_credentials(text: str) -> str:
    """``text`` with the ``user:password@`` of every URL in it removed."""
    return _USERINFO.sub("", text) if "@" in text else text


def redact_optional(text: str | None) -> str | None:
    return None if text is None else redact_credentials(text)
