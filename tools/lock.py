"""Refresh the locked requirements: python tools/lock.py (needs `pip install uv`).

Each short input (requirements*.in) is compiled into a lock (requirements*.txt) that pins every package, direct and
indirect, for Linux, macOS and Windows at once (`uv pip compile --universal`), for Python 3.11 and newer. The dev and
tools locks are constrained by the app's lock, so all three agree on every package they share.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCKS = (("requirements.in", "requirements.txt", ()), ("requirements-dev.in", "requirements-dev.txt", ("-c", "requirements.txt")),
         ("requirements-tools.in", "requirements-tools.txt", ("-c", "requirements.txt")))


def main() -> int:
    for source, lock, extra in LOCKS:
        command = ["uv", "pip", "compile", "--universal", "--python-version", "3.11", "--quiet",
                   "--custom-compile-command", "python tools/lock.py", *extra, source, "-o", lock]
        print(" ".join(command), flush=True)
        if subprocess.run(command, cwd=ROOT).returncode:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
