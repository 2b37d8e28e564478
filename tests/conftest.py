"""Shared fixtures: the demo warehouse is built once per test run from the real demo sources and
reference (shared by the pytest-xdist workers), one Streamlit server per worker serves the
browser tests that only read it."""

from __future__ import annotations

import contextlib
import fcntl
import shutil
from pathlib import Path

import duckdb
import pytest

from dashboard.db import READ_ONLY_CONFIG
from etl import pipeline
from tests.browser_support import chromium, running_app

FIXTURES = Path(__file__).parent / "fixtures"
VALID_MINI = FIXTURES / "valid" / "mini"


def run_root(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The temporary folder every worker of this run sees (its own one without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@contextlib.contextmanager
def run_lock(path: Path):
    """An exclusive lock between the workers of a run (the kernel frees it if one dies)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """data/sources + data/reference built by the real ETL into a temporary file, once per run:
    the first worker builds it, the others wait for it. Tests only read it (a test that writes
    works on a copy)."""
    root = run_root(tmp_path_factory, worker_id)
    output = root / "demo" / "warehouse.duckdb"
    with run_lock(root / "demo.lock"):
        if not output.exists():
            output.parent.mkdir(exist_ok=True)
            pipeline.run_build(pipeline.SOURCES_DIR, pipeline.REFERENCE_DIR, output)
    return output


@pytest.fixture(scope="session", autouse=True)
def writable_state(tmp_path_factory: pytest.TempPathFactory):
    """What the app writes (journal, sign-ins, favourites, digest preferences, publications) goes
    to this worker's temporary folder, never to the repository's data/: parallel workers do not
    share it, and a test run leaves the checkout as it found it. Tests that need their own set
    it again with monkeypatch."""
    state = tmp_path_factory.mktemp("state")
    patcher = pytest.MonkeyPatch()
    for name, file in (
        ("JOURNAL", "journal.jsonl"),
        ("SESSIONS", "sessions.sqlite3"),
        ("SESSION_SECRET_FILE", "session_secret"),
        ("FAVORITES_DIR", "favorites"),
        ("DIGEST_PREFERENCES", "digest_preferences.json"),
        ("PUBLICATIONS", "publications"),
    ):
        patcher.setenv(f"PILOTAGE_{name}", str(state / file))
    yield state
    patcher.undo()


@pytest.fixture(scope="session")
def demo_db(demo_warehouse: Path):
    # Same configuration as the app's: DuckDB refuses two configurations for one file in a process.
    con = duckdb.connect(str(demo_warehouse), read_only=True, config=READ_ONLY_CONFIG)
    yield con
    con.close()


@pytest.fixture
def mini_sources(tmp_path: Path) -> Path:
    """A writable copy of the small valid territory, under a sources folder of its own."""
    sources = tmp_path / "sources"
    shutil.copytree(VALID_MINI, sources / "mini")
    return sources


@pytest.fixture(scope="session")
def app_env(demo_warehouse: Path):
    """Point the app at the demo warehouse for AppTest runs."""
    patcher = pytest.MonkeyPatch()
    patcher.setenv("PILOTAGE_WAREHOUSE", str(demo_warehouse))
    yield demo_warehouse
    patcher.undo()


HOSTILE_TITLE = "<img src=x onerror=alert('rapport')> Télémédecine <b>piégée</b> & Cie"
FORMULA_TITLE = '=HYPERLINK("http://exemple.invalid";"clic")'


@pytest.fixture(scope="session")
def tampered_warehouse(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo warehouse where Saint-Dizier actions carry hostile text: an HTML payload
    in a late action's title, a formula in another title and in a pilot service."""
    copy = tmp_path_factory.mktemp("tampered") / "warehouse.duckdb"
    shutil.copy(demo_warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        for column, value, code in (
            ("title", HOSTILE_TITLE, "P2.A2.O2.a2"),
            ("title", FORMULA_TITLE, "P1.A1.O1.a1"),
            ("pilot_service", "@SUM(A1)", "P1.A1.O1.a1"),
        ):
            con.execute(
                f"update actions set {column} = $value "  # column from the tuple above
                "where territory_id = 'saint-dizier' and code = $code",
                {"value": value, "code": code},
            )
    finally:
        con.close()
    return copy


@pytest.fixture(scope="session")
def tampered_db(tampered_warehouse: Path):
    con = duckdb.connect(str(tampered_warehouse), read_only=True, config=READ_ONLY_CONFIG)
    yield con
    con.close()


@pytest.fixture(scope="session")
def server_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The journal and favourites of `server`, this worker's own."""
    return tmp_path_factory.mktemp("server")


@pytest.fixture(scope="session")
def server(demo_warehouse: Path, server_files: Path):
    """The app served on loopback against the demo warehouse, one per worker for every browser
    test that only reads it."""
    with running_app(demo_warehouse, files=server_files) as base:
        yield base


@pytest.fixture(scope="module")
def browser(server: str):
    """Headless Chromium, warmed up on `server`, one per module: Playwright's sync API runs an
    event loop in the test thread while it is open, which a later test's asyncio.run (the
    deployment's websocket check) or another Playwright would trip over."""
    with chromium(server) as instance:
        yield instance


EDITOR = ("redaction", "mot-de-passe-editeur")
READER = ("lecture", "mot-de-passe-lecteur")


@pytest.fixture(scope="session")
def accounts_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local accounts file with one editor and one reader (real scrypt hashes)."""
    from dashboard import accounts

    path = tmp_path_factory.mktemp("accounts") / "accounts.json"
    accounts.add_user(path, *EDITOR, "editor", "Éditrice de test")
    accounts.add_user(path, *READER, "reader", "Lecteur de test")
    return path


@pytest.fixture
def import_env(tmp_path: Path, demo_warehouse: Path, accounts_file: Path, monkeypatch):
    """Writable copies of the demo sources and warehouse, a publications folder, the accounts."""
    sources = tmp_path / "sources"
    shutil.copytree(pipeline.SOURCES_DIR, sources)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_warehouse, warehouse)
    monkeypatch.setenv("PILOTAGE_SOURCES", str(sources))
    monkeypatch.setenv("PILOTAGE_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("PILOTAGE_PUBLICATIONS", str(tmp_path / "publications"))
    monkeypatch.setenv("PILOTAGE_ACCOUNTS", str(accounts_file))
    for name, file in (
        ("SESSIONS", "sessions.sqlite3"),
        ("JOURNAL", "journal.jsonl"),
        ("SESSION_SECRET_FILE", "session_secret"),
    ):
        monkeypatch.setenv(f"PILOTAGE_{name}", str(tmp_path / file))  # sign-ins, journal
    return {"sources": sources, "warehouse": warehouse, "tmp": tmp_path}
