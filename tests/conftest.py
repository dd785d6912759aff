from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NEWSDEDUP_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "data"
SAMPLES = ROOT / "samples"


def need_shared() -> Path:
    if not DATA.is_dir():
        pytest.skip(f"the shared dev corpora are not at {DATA} (set NEWSDEDUP_SHARED)")
    return DATA


@pytest.fixture(autouse=True)
def own_state_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test its own $XDG_STATE_HOME (inherited by the commands it runs): what a machine
    remembers of the Redis indexes it used stays within the test."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state-home")))


@pytest.fixture
def data() -> Path:
    return need_shared()


def newsdedup_exe() -> str:
    """The installed console script of the environment running the tests."""
    exe = Path(sys.executable).parent / "newsdedup"
    if exe.exists():
        return str(exe)
    found = shutil.which("newsdedup")
    if not found:
        pytest.fail("the newsdedup command is not installed in this environment")
    return found


def run_cli(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [newsdedup_exe(), *args], cwd=cwd, env=env, input=stdin, capture_output=True,
        text=True, encoding="utf-8", timeout=300, check=False,
    )  # fmt: skip
