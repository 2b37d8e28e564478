"""Broken inputs: each fixture gets its French message with file, sheet, row and column, and the
database that was already published stays byte-for-byte the same."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from etl import pipeline
from etl.issues import ValidationError

BROKEN = Path(__file__).parent / "fixtures" / "broken"
CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def apply_case(sources: Path, case: str) -> tuple[str, str]:
    folder = BROKEN / case
    target = sources / "mini"
    removals = (folder / "_remove").read_text().split() if (folder / "_remove").exists() else []
    for name in removals:
        (target / name).unlink()
    for path in folder.iterdir():
        if path.name not in ("_remove", "expected.txt"):
            shutil.copy(path, target / path.name)
    message, location = (folder / "expected.txt").read_text(encoding="utf-8").splitlines()[:2]
    return message, location


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A warehouse already published from the valid fixture, that no broken build may touch."""
    output = tmp_path_factory.mktemp("published") / "warehouse.duckdb"
    pipeline.run_build(Path(__file__).parent / "fixtures" / "valid", pipeline.REFERENCE_DIR, output)
    return output


def test_there_are_at_least_fifteen_distinct_broken_inputs():
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES)
def test_broken_input_is_refused_and_published_database_untouched(case, mini_sources, published):
    message, location = apply_case(mini_sources, case)
    before = digest(published)
    with pytest.raises(ValidationError) as raised:
        pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, published)
    texts = [str(issue) for issue in raised.value.issues.errors]
    assert any(message in text and location in text for text in texts), texts
    assert digest(published) == before
    assert not list(published.parent.glob(".warehouse.duckdb.tmp-*"))


def test_cli_exits_non_zero_with_french_message_and_keeps_database(mini_sources, published):
    apply_case(mini_sources, "unknown_status")
    before = digest(published)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "etl",
            "build",
            "--sources",
            str(mini_sources),
            "--output",
            str(published),
        ],
        capture_output=True,
        text=True,
        cwd=pipeline.ROOT,
        check=False,
    )
    assert completed.returncode == 1
    assert "colonne « statut » : valeur non reconnue" in completed.stderr
    assert "la base existante n'a pas été modifiée" in completed.stderr
    assert digest(published) == before


def test_check_reports_without_writing(mini_sources, tmp_path):
    apply_case(mini_sources, "end_before_start")
    completed = subprocess.run(
        [sys.executable, "-m", "etl", "check", "--sources", str(mini_sources)],
        capture_output=True,
        text=True,
        cwd=pipeline.ROOT,
        check=False,
    )
    assert completed.returncode == 1
    assert "fin prévue antérieure au début prévu" in completed.stderr


def test_a_build_killed_midway_leaves_the_published_database_intact(published, tmp_path):
    """A real SIGKILL while the temporary file is being written: the published file is untouched,
    and the next build removes the leftover and publishes."""
    import os
    import signal
    import time

    before = digest(published)
    process = subprocess.Popen(
        [sys.executable, "-m", "etl", "build", "--output", str(published)],
        cwd=pipeline.ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    temp_files: list[Path] = []
    while time.monotonic() < deadline and not temp_files:
        temp_files = list(published.parent.glob(".warehouse.duckdb.tmp-*"))
        time.sleep(0.01)
    assert temp_files, "the build never started writing its temporary file"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    assert digest(published) == before
    pipeline.run_build(
        Path(__file__).parent / "fixtures" / "valid", pipeline.REFERENCE_DIR, published
    )
    assert not list(published.parent.glob(".warehouse.duckdb.tmp-*"))
