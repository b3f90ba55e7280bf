"""The app's version: read from pyproject.toml beside the package, so it needs no install; else from the installed
package's metadata."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version as installed_version
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


@lru_cache(maxsize=1)
def version() -> str:
    """The version in pyproject.toml's [project] table (the one place it is written)."""
    if PYPROJECT.is_file():
        return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    try:
        return installed_version("lora-viz")
    except PackageNotFoundError:
        return "unknown"
