"""The command line: exit codes, options, real pipes, cron-like environments, golden output."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsdedup.cli import app

from .conftest import ROOT, SAMPLES, newsdedup_exe, run_cli

GOLDEN = Path(__file__).parent / "golden"
runner = CliRunner()
SUMMARY = "newsdedup: 15 articles, 8 stories, 5 with more than one article, 1 passed over\n"


def test_version() -> None:
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("newsdedup ")


def test_usage_errors_exit_2() -> None:
    assert run_cli("clusters", "--bogus", "samples").returncode == 2
    assert run_cli("clusters").returncode == 2  # no paths
    r = run_cli("inspect", "-f", "csv", "samples")  # not offered, so refused as a usage error
    assert r.returncode == 2 and "'csv' is not one of 'text', 'json', 'jsonl'" in r.stderr


def test_option_values_are_checked() -> None:
    res = runner.invoke(app, ["clusters", "--num-perm", "4", "samples"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["clusters", "--source-from-path", "(", "samples"])
    assert res.exit_code != 0


def test_skipped_input_exit_1_and_run_completes(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    r = run_cli("clusters", "-f", "json", "--glob", "*.txt", str(SAMPLES), str(tmp_path))
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["schema_version"] == 2
    assert doc["skipped"] == [{"path": str(tmp_path / "empty.txt"), "reason": "empty file"}]
    assert len(doc["articles"]) == 15
    assert f"newsdedup: {tmp_path / 'empty.txt'}: skipped: empty file" in r.stderr


def test_pipe_to_head_ends_quietly() -> None:
    cmd = f"'{newsdedup_exe()}' clusters samples | head -1"
    r = subprocess.run(
        ["bash", "-o", "pipefail", "-c", cmd], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("path\tstory")
    assert "Traceback" not in r.stderr and r.stderr in ("", SUMMARY)


def test_pipe_to_head_with_big_output_ends_quietly(data: Path) -> None:
    cmd = f"'{newsdedup_exe()}' inspect '{data / 'meter-dev/pa'}' | head -1"
    r = subprocess.run(
        ["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, check=False
    )
    assert r.returncode == 0 and r.stderr == ""  # the summary line is not written to a closed pipe


def test_jsonl_through_jq() -> None:
    if subprocess.run(["which", "jq"], capture_output=True, check=False).returncode != 0:
        pytest.fail("jq is needed for the pipe tests (Debian package jq)")
    cmd = f"'{newsdedup_exe()}' clusters -f jsonl samples | jq -r 'select(.story_size > 1) | .path' | sort"
    r = subprocess.run(
        ["bash", "-o", "pipefail", "-c", cmd], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert r.returncode == 0, r.stderr
    paths = r.stdout.split()
    assert (
        "samples/000_a0dfa486038019e8.txt" in paths and "samples/002_a201a40dc613b11f.txt" in paths
    )
    assert "samples/reuters-00001.txt" not in paths


def test_cron_like_environment_prints_non_ascii() -> None:
    env = {"PATH": os.environ["PATH"], "LANG": "C", "HOME": str(ROOT)}
    r = subprocess.run([newsdedup_exe(), "clusters", "-f", "text", "samples"], cwd=ROOT, env=env,
                       capture_output=True, check=False)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "China’s top diplomat".encode() in r.stdout


def test_output_file_is_written_atomically(tmp_path: Path) -> None:
    out = tmp_path / "stories.tsv"
    r = run_cli("clusters", "samples", "-o", str(out))
    assert r.returncode == 0 and r.stdout == ""
    assert out.read_text().startswith("path\tstory")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_fail_on_duplicates_exit_code() -> None:
    assert run_cli("clusters", "--fail-on-duplicates", "samples").returncode == 3
    assert run_cli("clusters", "--fail-on-duplicates", "samples/reuters-00001.txt").returncode == 0


def test_same_input_same_output() -> None:
    a = run_cli("clusters", "-f", "json", "samples").stdout
    b = run_cli("clusters", "-f", "json", "samples").stdout
    assert a == b


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("NEWSDEDUP_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), (
        f"rendering changed; review and rerun with NEWSDEDUP_UPDATE_GOLDEN=1 ({name})"
    )


@pytest.mark.parametrize(("args", "name"), [
    (["clusters", "-f", "tsv", "-g", "!README.md", "samples"], "clusters.tsv"),
    (["clusters", "-f", "text", "-g", "!README.md", "samples"], "clusters.txt"),
    (["clusters", "-f", "csv", "-g", "!README.md", "samples"], "clusters.csv"),
    (["pairs", "-f", "jsonl", "-g", "!README.md", "samples"], "pairs.jsonl"),
    (["inspect", "-f", "text", "samples/000_a0dfa486038019e8.txt", "samples/pa/2b32148f50.txt"], "inspect.txt"),
])  # fmt: skip
def test_golden_renderings(args: list[str], name: str) -> None:
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr
    _golden(name, r.stdout)


def test_every_command_maps_options_to_settings_the_same_way() -> None:
    from newsdedup.cli import settings_from
    from newsdedup.settings import Settings

    got = settings_from({"window": 3, "follow": True, "glob": ["*.txt", "!x*"], "threshold": 0.3,
                         "fmt": "json", "quiet": True, "paths": ["a"]})  # fmt: skip
    assert got == Settings(
        window_days=3, follow_symlinks=True, globs=("*.txt", "!x*"), threshold=0.3
    )


def test_output_to_a_fifo_or_device_writes_it_and_leaves_it_in_place(tmp_path: Path) -> None:
    """Regression: atomic --output once renamed its temporary file over /dev/null (as root)."""
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    r = run_cli("clusters", "-o", str(fifo), "samples/reuters-00001.txt")
    reader.join(timeout=60)
    assert r.returncode == 0, r.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got and got[0].startswith("path\tstory")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert run_cli("clusters", "-o", "/dev/null", "samples/reuters-00001.txt").returncode == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_output_through_a_symlink_replaces_the_target_not_the_link(tmp_path: Path) -> None:
    target = tmp_path / "real.tsv"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "link.tsv"
    link.symlink_to(target)
    assert run_cli("clusters", "-o", str(link), "samples/reuters-00001.txt").returncode == 0
    assert link.is_symlink() and target.read_text().startswith("path\tstory")
    assert (target.stat().st_mode & 0o777) == 0o640


def test_jobs_do_not_change_output(data: Path) -> None:
    """Reading and sketching spread over processes give byte-identical output."""
    root = str(data / "meter-dev")
    one = run_cli("timeline", "-f", "jsonl", "--jobs", "1", root)
    two = run_cli("timeline", "-f", "jsonl", "--jobs", "2", root)
    many = run_cli("timeline", "-f", "jsonl", "-j", "3", root)
    assert one.returncode == 0 and one.stdout
    assert one.stdout == two.stdout == many.stdout
    assert run_cli("clusters", "--jobs", "-1", root).returncode == 2
