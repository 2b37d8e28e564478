"""Read-only SQL for analysts: one SELECT at a time, a row limit and a time limit (no Streamlit).

Safety does not rest on this module's checks alone: the connection it runs on (dashboard.db) is
read-only with outside access disabled, so files, URLs, ATTACH, COPY and extensions are refused by
DuckDB itself. Here we refuse anything but a single query, cut the result at `row_limit` rows inside
DuckDB (never materialising more), and interrupt a query that runs longer than `time_limit`.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

ROW_LIMIT = 10_000
TIME_LIMIT_S = 10.0
MAX_SQL_CHARS = 20_000
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
SCHEMA_DOC = Path(__file__).resolve().parent.parent / "docs" / "schema.md"


class ConsoleError(Exception):
    """A query refused or failed, with a French message for the analyst."""


@dataclass(frozen=True)
class ConsoleResult:
    frame: pd.DataFrame
    truncated: bool
    seconds: float


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
        raise ConsoleError(f"Erreur de syntaxe SQL : {first_line(error)}") from error
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
    return statement.query.strip().rstrip(";")


def first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def explain_error(error: duckdb.Error, time_limit: float) -> str:
    """DuckDB's error as a French sentence (its own message kept after the colon)."""
    detail = first_line(error)
    if isinstance(error, duckdb.InterruptException):
        return (
            f"Requête interrompue : elle dépassait la limite de {time_limit:g} s. "
            "Filtrez davantage ou agrégez."
        )
    if isinstance(error, duckdb.PermissionException):
        return (
            "Accès refusé : la console lit uniquement l'entrepôt, sans fichiers du serveur, "
            f"URL, autres bases ni extensions ({detail})."
        )
    if isinstance(error, duckdb.CatalogException):
        return f"Table, vue, colonne ou fonction inconnue : {detail}"
    if isinstance(error, duckdb.ParserException):
        return f"Erreur de syntaxe SQL : {detail}"
    if isinstance(error, duckdb.BinderException):
        return f"Requête incohérente (colonne ou type) : {detail}"
    if isinstance(error, duckdb.OutOfMemoryException):
        return "Requête trop gourmande en mémoire : filtrez ou agrégez davantage."
    return f"Erreur DuckDB : {detail}"


def run_query(
    cursor: duckdb.DuckDBPyConnection,
    sql: str,
    row_limit: int = ROW_LIMIT,
    time_limit: float = TIME_LIMIT_S,
) -> ConsoleResult:
    """Run one checked SELECT on `cursor` (a cursor of its own: the interrupt stops only it)."""
    query = check_query(sql)
    # The newline before ")" keeps a trailing "-- comment" from swallowing the parenthesis.
    wrapped = f"select * from (\n{query}\n) as console_query limit {int(row_limit) + 1}"
    timer = threading.Timer(time_limit, cursor.interrupt)
    started = time.perf_counter()
    timer.start()
    try:
        frame = cursor.execute(wrapped).df()
    except duckdb.Error as error:
        raise ConsoleError(explain_error(error, time_limit)) from error
    finally:
        timer.cancel()
    truncated = len(frame) > row_limit
    return ConsoleResult(frame.head(row_limit), truncated, time.perf_counter() - started)


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
