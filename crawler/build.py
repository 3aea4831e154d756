"""Which crawler code is running: a version string read from the code itself.

The node and every scrapyd worker compute it the same way, over the ``crawler`` and
``storage`` packages' Python files (read through importlib.resources, so it works inside a
zipped egg too). ``peacewatch deploy`` names the egg with it, and a worker's export carries
it, so a worker running other code (an old egg, or an installed copy that shadows the egg)
is detected and named instead of mixing its items in.
"""

from __future__ import annotations

import hashlib
from importlib import metadata, resources
from importlib.abc import Traversable

#: the packages a worker runs (and the egg holds)
EGG_PACKAGES = ("crawler", "storage")


def package_files(package: str) -> list[tuple[str, Traversable]]:
    """Every file of ``package`` (compiled files and caches left out), by path."""

    def walk(root: Traversable, prefix: str) -> list[tuple[str, Traversable]]:
        found: list[tuple[str, Traversable]] = []
        for entry in root.iterdir():
            name = f"{prefix}/{entry.name}"
            if entry.is_dir():
                if entry.name != "__pycache__":
                    found.extend(walk(entry, name))
            elif not entry.name.endswith((".pyc", ".pyo")):
                found.append((name, entry))
        return found

    return sorted(walk(resources.files(package), package), key=lambda item: item[0])


def code_digest() -> str:
    """A digest of every Python file of the egg's packages, in path order."""
    digest = hashlib.sha256()
    for package in EGG_PACKAGES:
        for name, entry in package_files(package):
            if name.endswith(".py"):
                digest.update(name.encode("utf-8") + b"\0" + entry.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def package_version() -> str:
    try:
        return metadata.version("peacewatch")
    except metadata.PackageNotFoundError:
        return "0"


def egg_version() -> str:
    """``0_1_0-1a2b3c4d5e6f``: the node's release and its code's digest, in the characters
    scrapyd keeps in an egg's version (it replaces anything else with ``_``). A worker is
    compared by the digest alone: inside an egg the release is not known to importlib."""
    return f"{package_version().replace('.', '_').replace('+', '_')}-{code_digest()}"
