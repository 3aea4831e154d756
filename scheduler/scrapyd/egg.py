"""The crawler as a scrapyd project: an egg holding the ``crawler`` and ``storage`` packages.

An egg is a zip file with the packages and an ``EGG-INFO`` folder whose ``entry_points.txt``
names the Scrapy settings module; scrapyd activates it with ``pkg_resources`` and runs
``scrapy crawl`` inside it. scrapyd-deploy builds one by running ``setup.py bdist_egg`` in a
Scrapy project folder; peacewatch may be installed from a wheel with no such folder, so the
egg is written here from the installed packages' own files (importlib.resources), the same
files ``crawler.build.code_digest`` hashes: the egg's version names exactly the code inside.

The workers need peacewatch's dependencies (Scrapy, trafilatura, htmldate, w3lib …), not its
code: the README's "Crawl workers" says how to set one up.
"""

from __future__ import annotations

import io
import zipfile

from crawler.build import EGG_PACKAGES, egg_version, package_files, package_version

ENTRY_POINTS = "[scrapy]\nsettings = crawler.settings\n"


def build_egg() -> tuple[str, bytes]:
    """(version, the egg's bytes). Built in memory; deterministic for the same code."""
    version = egg_version()
    buffer = io.BytesIO()
    stamp = (2020, 1, 1, 0, 0, 0)  # fixed times: the same code gives the same bytes
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as egg:
        for package in EGG_PACKAGES:
            for name, entry in package_files(package):
                egg.writestr(zipfile.ZipInfo(name, stamp), entry.read_bytes(), zipfile.ZIP_DEFLATED)
        info = {
            "PKG-INFO": (
                f"Metadata-Version: 2.1\nName: peacewatch-crawler\nVersion: {package_version()}\n"
            ),
            "entry_points.txt": ENTRY_POINTS,
            "top_level.txt": "\n".join(EGG_PACKAGES) + "\n",
            "zip-safe": "",
        }
        for name, text in info.items():
            egg.writestr(zipfile.ZipInfo(f"EGG-INFO/{name}", stamp), text, zipfile.ZIP_DEFLATED)
    return version, buffer.getvalue()
