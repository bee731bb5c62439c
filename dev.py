#!/usr/bin/env python3
"""Set everything up, then run the demo or the whole test suite: `python3 dev.py demo|test|setup`.

Needs only Python 3.11+ and access to the package index. Creates .venv/ beside this file, installs the
project with its development tools (again only when pyproject.toml changes), then runs the command.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".gcc1111-installed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["setup", "demo", "test"], help="what to do after setting up")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="passed on to `gcc1111 demo` or to pytest")
    options = parser.parse_args()
    if sys.version_info < (3, 11):
        sys.stderr.write(f"dev.py: Python 3.11 or newer is needed, this is {sys.version.split()[0]}\n")
        return 2
    setup()
    env = {**os.environ, "PYTHAINLP_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    if options.command == "demo":
        return run([str(BIN / "gcc1111"), "demo", *options.args], env)
    if options.command == "test":
        return test(options.args, env)
    return 0


def setup() -> None:
    """Create the virtual environment and install the project into it when anything changed."""
    if not (BIN / "python").exists():
        print("dev.py: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("dev.py: installing the project and its tools into .venv (first run takes a few minutes)", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    check([*pip, "install", "--upgrade", "pip"])
    check([*pip, "install", "-e", f"{ROOT}[dev,browser]"])
    STAMP.write_text(wanted)


def test(pytest_args: list[str], env: dict[str, str]) -> int:
    """Static checks, then every test (store tests on SQLite and PostgreSQL, browser tests when possible)."""
    steps = [
        ("lint", [str(BIN / "ruff"), "check", "."]),
        ("import contracts", [str(BIN / "lint-imports")]),
        ("types (core)", [str(BIN / "mypy")]),
        ("tests", [str(BIN / "python"), "-m", "pytest", *pytest_args]),
    ]
    for name, command in steps:
        print(f"dev.py: {name}: {' '.join(Path(command[0]).name if i == 0 else c for i, c in enumerate(command))}",
              flush=True)
        code = run(command, env)
        if code != 0:
            print(f"dev.py: {name} failed (exit {code})", flush=True)
            return code
    return 0


def run(command: list[str], env: dict[str, str]) -> int:
    return subprocess.call(command, cwd=ROOT, env=env)


def check(command: list[str]) -> None:
    code = subprocess.call(command, cwd=ROOT)
    if code != 0:
        sys.stderr.write(f"dev.py: command failed ({code}): {' '.join(command)}\n")
        raise SystemExit(code)


if __name__ == "__main__":
    raise SystemExit(main())
