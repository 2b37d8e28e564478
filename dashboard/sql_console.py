"""Read-only SQL for analysts: one SELECT at a time, bounded in rows, time and memory.

Safety does not rest on this module's checks alone. Each query runs in a worker process of its own
(dashboard.console_worker) on the warehouse file attached read-only with outside access disabled and
the configuration locked, so files, URLs, ATTACH, COPY, SET and extensions are refused by DuckDB
itself; the kernel caps the worker's memory (RLIMIT_AS) and the worker is killed at the time limit,
so a console query cannot slow down or starve the app's pages, which keep their own connection.
Here (no Streamlit) we refuse anything but a single query, refuse the functions and views that
show the server's paths or settings, cut the result at `row_limit` rows inside DuckDB and at
`MAX_RESULT_BYTES`, run at most `MAX_CONCURRENT` queries at once per server process, and keep
server paths out of every message.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

ROW_LIMIT = 10_000
TIME_LIMIT_S = 10.0
MAX_SQL_CHARS = 20_000
MEMORY_LIMIT_MB = 1024  # the worker process's whole address space: its peak RSS stays below
DUCKDB_MEMORY_SHARE = 0.5  # DuckDB's own buffer pool, so sorts and joins fail cleanly first
THREADS = 1  # one core per query on a shared server; at most MAX_CONCURRENT at once
MAX_CONCURRENT = 2
QUEUE_WAIT_S = 5.0
WORKER_GRACE_S = 5.0  # a worker not done this long after the deadline is killed
MAX_RESULT_BYTES = 32 << 20
MAX_EXPRESSION_DEPTH = 1000  # DuckDB's default, kept: the console cannot change it
ALLOWED = {duckdb.StatementType.SELECT}
REFUSED_KINDS = {
    "COPY": "COPY (écriture ou lecture de fichiers)",
    "ATTACH": "ATTACH (ouverture d'une autre base)",
    "DETACH": "DETACH",
    "LOAD": "INSTALL / LOAD (extensions)",
    "PRAGMA": "PRAGMA",
    "SET": "SET (réglages de la base)",
    "VARIABLE_SET": "SET VARIABLE",
    "CALL": "CALL",
    "EXPORT": "EXPORT DATABASE",
    "EXPLAIN": "EXPLAIN",
}
# Table functions an analyst may call; every other one (settings, databases, extensions, logs,
# secrets, query() / query_table() that run a string, scans of Python objects) is refused.
ALLOWED_TABLE_FUNCTIONS = {
    "range", "generate_series", "unnest", "repeat", "repeat_row", "json_each", "json_tree",
    "summary", "test_all_types", "pg_timezone_names", "icu_calendar_names", "pragma_table_info",
    "pragma_version", "pragma_collations", "duckdb_tables", "duckdb_columns", "duckdb_views",
    "duckdb_schemas", "duckdb_types", "duckdb_constraints", "duckdb_indexes", "duckdb_functions",
    "duckdb_keywords", "duckdb_dependencies", "duckdb_sequences",
}  # fmt: skip
# Scalar functions and built-in views that show settings, paths or the server's state.
REFUSED_NAMES = {
    "current_setting", "getenv", "getvariable", "current_query", "which_secret",
    "pg_settings", "pg_database", "duckdb_databases", "duckdb_settings", "duckdb_extensions",
    "duckdb_temporary_files", "duckdb_secrets", "duckdb_logs", "duckdb_variables",
    "duckdb_memory", "pragma_database_list", "pragma_database_size", "pragma_metadata_info",
    "pragma_storage_info", "pragma_user_agent", "pragma_platform",
}  # fmt: skip
SCHEMA_DOC = Path(__file__).resolve().parent.parent / "docs" / "schema.md"
ROOT = SCHEMA_DOC.parent.parent
HIDDEN_PATH = "(chemin masqué)"
# An absolute path of two segments or more (not a division: nothing word-like right before it).
PATH_PATTERN = re.compile(r"(?<![\w)\]])/(?:[\w.\-~]+/)+[\w.\-~]*")
_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT)


class ConsoleError(Exception):
    """A query refused or failed, with a French message for the analyst."""

    def __init__(self, message: str, peak_memory_bytes: int | None = None):
        super().__init__(message)
        self.peak_memory_bytes = peak_memory_bytes


@dataclass(frozen=True)
class ConsoleResult:
    frame: pd.DataFrame
    truncated: bool
    seconds: float
    peak_memory_bytes: int = 0


def check_query(sql: str) -> str:
    """The single read query in `sql`, or ConsoleError saying in French why it is refused."""
    text = sql.strip()
    if not text:
        raise ConsoleError("Saisissez une requête SELECT.")
    if len(text) > MAX_SQL_CHARS:
        raise ConsoleError(f"Requête trop longue (plus de {MAX_SQL_CHARS} caractères).")
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error as error:
        raise ConsoleError(explain_error(type(error).__name__, str(error))) from error
    if len(statements) != 1:
        raise ConsoleError(
            f"Une seule requête à la fois ({len(statements)} instructions reçues, "
            "séparées par « ; »)."
        )
    statement = statements[0]
    if statement.type not in ALLOWED:
        kind = statement.type.name
        what = REFUSED_KINDS.get(kind, kind)
        raise ConsoleError(
            f"Instruction refusée : {what}. La console est en lecture seule : "
            "seules les requêtes SELECT (ou WITH, FROM, VALUES, DESCRIBE, SUMMARIZE) sont admises."
        )
    query = statement.query.strip().rstrip(";")
    refused = sorted(refused_names(query))
    if refused:
        raise ConsoleError(
            f"Accès refusé : {', '.join(refused)}. La console lit uniquement les tables et vues "
            "de l'entrepôt : ni fichiers du serveur, ni URL, ni réglages, ni chemins du serveur."
        )
    return query


def refused_names(query: str) -> set[str]:
    """Functions and views of `query` the console refuses, read from DuckDB's own syntax tree (so
    quoting, case, schema prefixes, subqueries, DESCRIBE and SUMMARIZE are all seen)."""
    con = duckdb.connect(":memory:", config={"enable_external_access": False})
    try:
        tree = json.loads(con.execute("select json_serialize_sql($q)", {"q": query}).fetchone()[0])
    finally:
        con.close()
    if tree.get("error"):
        raise ConsoleError(explain_error(tree.get("error_type", ""), tree.get("error_message", "")))
    found: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        stack.extend(node.values())
        if node.get("type") == "TABLE_FUNCTION":
            name = node["function"]["function_name"].lower()
            if name not in ALLOWED_TABLE_FUNCTIONS:
                found.add(name)
        for key in ("function_name", "table_name"):
            name = node.get(key)
            if isinstance(name, str) and name.lower() in REFUSED_NAMES:
                found.add(name.lower())
    return found


def first_line(error: Exception | str) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def sensitive_paths(warehouse: Path | None = None) -> list[str]:
    """Server paths no analyst should see: the warehouse's folder, the project, home, temp, cwd."""
    paths = {str(ROOT), str(Path.home()), tempfile.gettempdir(), os.getcwd(), "/tmp", "/work"}
    if warehouse is not None:
        paths |= {str(warehouse), str(Path(warehouse).resolve().parent)}
    return sorted((p for p in paths if p not in ("", "/")), key=len, reverse=True)


def hide_paths(text: str, warehouse: Path | None = None) -> str:
    """`text` with every server path (and any absolute path) replaced by « (chemin masqué) »."""
    for path in sensitive_paths(warehouse):
        text = text.replace(path, HIDDEN_PATH)
    return PATH_PATTERN.sub(HIDDEN_PATH, text)


def explain_error(kind: str, message: str, time_limit: float = TIME_LIMIT_S) -> str:
    """DuckDB's error (its class name and text) as a French sentence, without advice the console
    would refuse (DuckDB suggests `SET …` settings the analyst cannot change)."""
    detail = re.split(r"\s*(?:Use \"SET|Possible solutions:|See also)", first_line(message))[0]
    if kind == "InterruptException":
        return (
            f"Requête interrompue : elle dépassait la limite de {time_limit:g} s. "
            "Filtrez davantage ou agrégez."
        )
    if kind == "OutOfMemoryException":
        return (
            f"Requête trop gourmande en mémoire : la console dispose de {MEMORY_LIMIT_MB} Mo. "
            "Filtrez, agrégez ou réduisez les listes et les textes construits."
        )
    if kind == "ResultTooLarge":
        return (
            f"Résultat trop volumineux : plus de {MAX_RESULT_BYTES >> 20} Mo. "
            "Sélectionnez moins de colonnes ou de lignes, ou agrégez."
        )
    if "expression depth" in message:
        return (
            f"Requête trop imbriquée : plus de {MAX_EXPRESSION_DEPTH} niveaux d'expressions "
            "(parenthèses, opérations enchaînées). Simplifiez-la, par exemple avec IN (…), "
            "une liste ou une table de valeurs."
        )
    if kind == "PermissionException":
        return (
            "Accès refusé : la console lit uniquement l'entrepôt, sans fichiers du serveur, "
            f"URL, autres bases ni extensions ({detail})."
        )
    if kind == "CatalogException":
        return f"Table, vue, colonne ou fonction inconnue : {detail}"
    if kind == "ParserException":
        return f"Erreur de syntaxe SQL : {detail}"
    if kind == "BinderException":
        return f"Requête incohérente (colonne ou type) : {detail}"
    return f"Erreur DuckDB : {detail}"


def warehouse_of(cursor: duckdb.DuckDBPyConnection) -> str:
    """The file `cursor` reads: the console's worker opens the same one, with its own limits."""
    row = cursor.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    if row is None or not row[0]:
        raise ConsoleError("La console ne trouve pas l'entrepôt de données.")
    return row[0]


def run_query(
    cursor: duckdb.DuckDBPyConnection | str | Path,
    sql: str,
    row_limit: int = ROW_LIMIT,
    time_limit: float = TIME_LIMIT_S,
    memory_limit_mb: int = MEMORY_LIMIT_MB,
) -> ConsoleResult:
    """Run one checked SELECT on the warehouse that `cursor` reads (or at that path), in a worker
    process of its own bounded by `memory_limit_mb`, killed after `time_limit` seconds."""
    query = check_query(sql)
    path = cursor if isinstance(cursor, (str, Path)) else warehouse_of(cursor)
    if not _SLOTS.acquire(timeout=QUEUE_WAIT_S):
        raise ConsoleError(
            f"La console exécute déjà {MAX_CONCURRENT} requêtes sur ce serveur : "
            "réessayez dans quelques secondes."
        )
    try:
        outcome = run_in_worker(str(path), query, row_limit, time_limit, memory_limit_mb)
    finally:
        _SLOTS.release()
    return outcome.result(Path(path), time_limit)


@dataclass(frozen=True)
class WorkerOutcome:
    """What a worker sent back and what it cost (the query's peak RSS as the kernel measured
    it; None when the worker itself had to be killed)."""

    output: bytes
    returncode: int
    timed_out: bool
    seconds: float
    peak_memory_bytes: int | None

    def result(self, warehouse: Path, time_limit: float) -> ConsoleResult:
        """The rows, or ConsoleError with a French message free of server paths."""
        header_line, _, payload = self.output.partition(b"\n")
        header = {}
        if header_line:
            try:
                header = json.loads(header_line)
            except ValueError:
                header = {}
        if self.timed_out:
            kind, message = "InterruptException", ""
        elif header.get("ok") is True and self.returncode == 0:
            frame = pa.ipc.open_stream(payload).read_all().to_pandas()
            refuse_paths_in(frame, warehouse, self.peak_memory_bytes)
            return ConsoleResult(frame, header["truncated"], self.seconds, self.peak_memory_bytes)
        elif "kind" in header:
            kind, message = header["kind"], header.get("message", "")
        else:  # killed (memory exhausted before Python could answer) or crashed
            kind, message = "OutOfMemoryException", ""
        text = hide_paths(explain_error(kind, message, time_limit), warehouse)
        raise ConsoleError(text, self.peak_memory_bytes)


def refuse_paths_in(frame: pd.DataFrame, warehouse: Path, peak: int) -> None:
    """Last line of defence behind the refused functions: no server path in a result shown."""
    pattern = "|".join(re.escape(p) for p in sensitive_paths(warehouse))
    cells = [str(c) for c in frame.columns]
    for column in frame.columns:
        if pd.api.types.is_object_dtype(frame[column]) or pd.api.types.is_string_dtype(
            frame[column]
        ):
            cells.extend(frame[column].map(str).tolist())
    if any(re.search(pattern, cell) for cell in cells):
        raise ConsoleError(
            "Résultat refusé : il contient un chemin du serveur. La console ne montre ni les "
            "réglages ni les fichiers du serveur.",
            peak,
        )


def worker_request(
    path: str, query: str, row_limit: int, time_limit: float, memory_limit_mb: int
) -> dict:
    """The worker's settings: DuckDB's limits inside the kernel's; no spilling to disk."""
    settings = {
        "threads": THREADS,
        "temp_directory": "",  # no spilling: nothing written, no server path to show
        "max_temp_directory_size": "0B",
        "python_enable_replacements": False,  # no Python variable read as a table
    }
    if memory_limit_mb > 0:
        settings["memory_limit"] = f"{int(memory_limit_mb * DUCKDB_MEMORY_SHARE)}MB"
    return {
        "path": path,
        "sql": query,
        "row_limit": int(row_limit),
        "settings": settings,
        "max_result_bytes": MAX_RESULT_BYTES,
        "address_space_bytes": int(memory_limit_mb) << 20,
        "cpu_seconds": int(time_limit) + 2,
    }


def run_in_worker(
    path: str, query: str, row_limit: int, time_limit: float, memory_limit_mb: int
) -> WorkerOutcome:
    """Start a worker, feed it the request, read its answer, then read what the query cost from
    the worker's report: the worker kills the query at the deadline and measures the query's own
    peak RSS (dashboard.console_worker). A worker that outlives the deadline by `WORKER_GRACE_S`
    is killed with its query. `memory_limit_mb=0` means no limit (only for measuring what a
    query would cost)."""
    request = worker_request(path, query, row_limit, time_limit, memory_limit_mb)
    env = {**os.environ, "MALLOC_ARENA_MAX": "1", "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    request["deadline"] = started + time_limit  # CLOCK_MONOTONIC: the same in every process
    report_read, report_write = os.pipe()
    request["report_fd"] = report_write
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard.console_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
            pass_fds=(report_write,),
            start_new_session=True,  # its own process group: killed with its query
        )
    finally:
        os.close(report_write)
    killed = False
    chunks: list[bytes] = []
    size = 0
    try:
        proc.stdin.write(json.dumps(request).encode())
        proc.stdin.close()
        guard = request["deadline"] + WORKER_GRACE_S
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            while True:
                remaining = guard - time.monotonic()
                if remaining <= 0:
                    killed = True
                    break
                if not selector.select(remaining):
                    continue
                chunk = os.read(proc.stdout.fileno(), 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > 2 * MAX_RESULT_BYTES:  # the worker caps it; never trust it blindly
                    killed = True
                    break
    except BrokenPipeError:
        pass
    finally:
        if killed:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        with os.fdopen(report_read, "rb") as report_file:
            report_line = report_file.read()
    report = json.loads(report_line) if report_line.strip() else {}
    return WorkerOutcome(
        output=b"".join(chunks),
        returncode=report.get("returncode", proc.returncode),
        timed_out=report.get("timed_out", killed and size <= 2 * MAX_RESULT_BYTES),
        seconds=time.monotonic() - started,
        peak_memory_bytes=report.get("peak_memory_bytes"),
    )


def page_of(frame: pd.DataFrame, page: int, size: int) -> pd.DataFrame:
    """Rows of page `page` (from 1)."""
    start = (max(page, 1) - 1) * size
    return frame.iloc[start : start + size]


def read_schema_doc(path: Path = SCHEMA_DOC) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """docs/schema.md as {table or view: (description, [(column, meaning)])}, for the editor's
    side panel. Views are documented by a paragraph « View **`name`** = … » under their table."""
    tables: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## `(\w+)`", line)
        view = re.match(r"^View \*\*`(\w+)`\*\* = (.*)$", line)
        if heading or view:
            current = (heading or view).group(1)
            tables[current] = (view.group(2) if view else "", [])
            continue
        if current is None or not line.strip():
            continue
        description, columns = tables[current]
        row = re.match(r"^\| `(\w+)` \| (.*) \|$", line)
        if row:
            columns.append((row.group(1), row.group(2)))
        elif not line.startswith("|") and not columns:
            tables[current] = (f"{description} {line.strip()}".strip(), columns)
    return tables


# Ready-made questions in French, each a query an analyst can start from.
EXAMPLES = {
    "Actions en retard par service pilote": """
select coalesce(pilot_service, '(sans service)') as service_pilote,
       count(*) as actions_en_retard,
       round(avg(days_late)) as retard_moyen_jours
from action_status
where territory_id = '{territory}' and is_late
group by all
order by actions_en_retard desc""",
    "Financements accordés par type de contrat et financeur": """
select coalesce(c.contract_type, 'Hors contrat') as type_contrat,
       f.funder_type as type_financeur,
       sum(f.granted) as accorde_euros
from funding f
left join contracts c using (contract_id)
where f.territory_id = '{territory}'
group by all
order by accorde_euros desc nulls last""",
    "Actions dont la fin prévue a glissé de plus de six mois depuis le premier instantané": """
with first_state as (
    select sa.*
    from snapshot_actions sa join snapshots s using (snapshot_id)
    where s.territory_id = '{territory}'
    qualify row_number() over (partition by sa.action_id order by s.taken_at) = 1
)
select a.code, a.title, f.planned_end as fin_prevue_initiale, a.planned_end as fin_prevue,
       date_diff('day', f.planned_end, a.planned_end) as glissement_jours
from actions a join first_state f using (action_id)
where date_diff('day', f.planned_end, a.planned_end) > 182
order by glissement_jours desc""",
    "Population légale des communes du territoire (dernier millésime)": """
select c.insee_code, c.name as commune, c.population, round(c.density) as densite
from territory_communes tc join communes c using (insee_code)
where tc.territory_id = '{territory}'
order by c.population desc""",
    "Dépenses prévues par année et section (PPI)": """
select year as annee, section, sum(planned) as prevu, sum(committed) as engage, sum(paid) as paye
from budget_lines
where territory_id = '{territory}' and direction = 'Dépense'
group by all
order by annee, section""",
}


def example_sql(name: str, territory_id: str) -> str:
    """An example query written for the territory being looked at."""
    return EXAMPLES[name].strip().format(territory=territory_id)
