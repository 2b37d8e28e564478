"""Open-data package of a territory: its published tables as a frictionless Data Package
(Data Package v1 / Table Schema), each table twice — CSV (UTF-8, comma, ISO dates, lists as JSON
arrays) and Parquet — with `datapackage.json` describing every field from docs/schema.md and a
`provenance` field on every row (docs/formats.md). Readable by DuckDB, pandas and frictionless.

    python -m dashboard.formats datapackage --territoire 200068666 --sortie paquet/
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import tempfile
import zipfile
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.formats import upstream as up
from dashboard.formats.common import PROVENANCE_LEVELS, provenance_of

TABLES = (
    "territories",
    "plan_items",
    "actions",
    "action_communes",
    "budget_lines",
    "funding",
    "contracts",
    "followups",
    "declared_states",
    "territory_figures",
    "sources",
)
DOCS = up.ROOT / "docs" / "schema.md"
DUCKDB_TYPES = {
    "VARCHAR": "string",
    "BOOLEAN": "boolean",
    "INTEGER": "integer",
    "BIGINT": "integer",
    "DOUBLE": "number",
    "DATE": "date",
    "TIMESTAMP": "datetime",
}
EXTRA_FIELDS = {
    "provenance": "Provenance of the row: `sourced`, `approximate`, `reconstructed` or `demo` "
    "(see docs/formats.md)",
    "status_provenance": "Provenance of `status`: `not_given` when the source left it empty "
    "(the status is then empty, « Non renseigné » on screen), else that of the row",
}
PRIMARY_KEYS = {
    "territories": ["territory_id"],
    "plan_items": ["item_id"],
    "actions": ["action_id"],
    "budget_lines": ["line_id"],
    "funding": ["funding_id"],
    "contracts": ["contract_id"],
    "followups": ["followup_id"],
    "declared_states": ["state_id"],
}
LICENSE = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte / Open Licence 2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
}


@cache
def documented_columns() -> dict[str, dict[str, str]]:
    """{table: {column: meaning}} from the tables of docs/schema.md."""
    tables: dict[str, dict[str, str]] = {}
    current = None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## `(\w+)`", line)
        if heading:
            current = tables.setdefault(heading.group(1), {})
            continue
        cell = re.match(r"^\| `(\w+)` \| (.+) \|$", line)
        if current is not None and cell:
            current[cell.group(1)] = cell.group(2).strip()
    return tables


def table_schema(table: str, columns: pd.DataFrame, frame: pd.DataFrame) -> dict:
    """Table Schema of one resource: types from the warehouse, descriptions from the docs."""
    meanings = documented_columns().get(table, {})
    fields = []
    for column in frame.columns:
        described = columns[columns["column_name"] == column]
        if not described.empty:
            duck = described["data_type"].iloc[0]
        else:  # computed here (provenance) or joined in (the action's demo flag)
            duck = "BOOLEAN" if frame[column].dtype == bool else "VARCHAR"
        kind = "array" if duck.endswith("[]") else DUCKDB_TYPES.get(duck, "number")
        if duck.startswith("DECIMAL"):
            kind = "number"
        spec = {"name": column, "type": kind}
        description = meanings.get(column) or EXTRA_FIELDS.get(column)
        if column == "is_demo" and table == "action_communes":
            description = "The action's flag: its values are invented"
        if description:
            spec["description"] = description
        if column in ("provenance", "status_provenance"):
            spec["constraints"] = {"required": True, "enum": list(PROVENANCE_LEVELS)}
        fields.append(spec)
    schema = {"fields": fields, "missingValues": [""]}
    if table in PRIMARY_KEYS:
        schema["primaryKey"] = PRIMARY_KEYS[table]
    return schema


def with_provenance(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    if "provenance" in frame:
        pass  # the warehouse's own level: sourced, approximate, reconstructed or demo
    elif "is_demo" in frame:
        frame["provenance"] = frame["is_demo"].map(provenance_of)
    else:
        frame["provenance"] = "sourced"  # quoted from the document, or files read by the ETL
    if table == "actions":
        frame["status_provenance"] = np.where(
            frame["status_given"].astype(bool), frame["provenance"], "not_given"
        )
    return frame


def _csv_value(value: object) -> object:
    if isinstance(value, list | tuple | np.ndarray):
        return json.dumps([str(v) for v in value], ensure_ascii=False)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return value


def to_csv(frame: pd.DataFrame, schema: dict) -> bytes:
    """Machine CSV: ISO dates, `true` / `false`, JSON arrays, empty for unknown."""
    out = frame.copy()
    for spec in schema["fields"]:
        column = out[spec["name"]]
        if spec["type"] == "date":
            out[spec["name"]] = column.map(
                lambda v: "" if pd.isna(v) else pd.Timestamp(v).date().isoformat()
            )
        else:
            out[spec["name"]] = column.map(_csv_value)
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")


def to_parquet(frame: pd.DataFrame, schema: dict) -> bytes:
    out = frame.copy()
    for spec in schema["fields"]:
        if spec["type"] == "date":
            dates = pd.to_datetime(out[spec["name"]])
            out[spec["name"]] = [None if pd.isna(d) else d.date() for d in dates]
        elif spec["type"] == "array":
            out[spec["name"]] = out[spec["name"]].map(
                lambda v: None if v is None else [str(x) for x in v]
            )
    buffer = io.BytesIO()
    out.to_parquet(buffer, index=False)
    return buffer.getvalue()


def build_package(territory_key: str, output: Path) -> Path:
    """Write the package of a territory (SIREN or id) into `output`; returns datapackage.json."""
    territory = up.find_territory(territory_key)
    tid = territory.territory_id
    columns = up.run_sql("package_columns")
    info = up.queries.load_build_info()
    built = info["built_at"].iloc[0] if not info.empty else None
    (output / "data").mkdir(parents=True, exist_ok=True)
    resources = []
    for table in TABLES:
        frame = with_provenance(table, up.run_sql(f"package_{table}", territory=tid))
        schema = table_schema(table, columns[columns["table_name"] == table], frame)
        title = f"{table} — {territory.name}"
        described = {"title": title, "schema": schema}
        # frictionless reads a Parquet list as text: the Parquet resource declares it `any`.
        parquet_schema = json.loads(json.dumps(schema))
        for spec in parquet_schema["fields"]:
            if spec["type"] == "array":
                spec["type"] = "any"
                spec["description"] = spec.get("description", "") + " (Parquet: list of strings)"
        (output / "data" / f"{table}.csv").write_bytes(to_csv(frame, schema))
        (output / "data" / f"{table}.parquet").write_bytes(to_parquet(frame, schema))
        resources.append(
            {
                "name": table.replace("_", "-"),
                "path": f"data/{table}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "header": True},
                **described,
            }
        )
        resources.append(
            {
                "name": f"{table.replace('_', '-')}-parquet",
                "path": f"data/{table}.parquet",
                "format": "parquet",
                "mediatype": "application/vnd.apache.parquet",
                "title": title,
                "schema": parquet_schema,
            }
        )
    descriptor = {
        "profile": "data-package",
        "name": f"pilotage-territorial-{tid}",
        "title": f"Projet de territoire — {territory.name}",
        "description": (
            f"Plan d'action, financements et programmation de {territory.name} "
            f"(SIREN {territory.siren}), tels que publiés par le tableau de bord Pilotage "
            "territorial. Chaque ligne porte sa provenance (champ `provenance`)."
        ),
        "version": pd.Timestamp(built).strftime("%Y.%m.%d") if built is not None else "0",
        "created": (pd.Timestamp(built) if built is not None else pd.Timestamp.now())
        .tz_localize(None)
        .isoformat(),
        "licenses": [LICENSE],
        "sources": [{"title": str(territory.source_document or "non renseignée")}],
        "keywords": ["projet de territoire", "CRTE", "plan d'action", "collectivité"],
        "provenanceLevels": PROVENANCE_LEVELS,
        "hasDemoData": bool(territory.has_demo_data),
        "resources": resources,
    }
    path = output / "datapackage.json"
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def build_package_zip(territory_key: str) -> bytes:
    """The package as one zip (what the button downloads)."""
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        build_package(territory_key, root)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(root.rglob("*")):
                if file.is_file():
                    archive.write(file, file.relative_to(root).as_posix())
        return out.getvalue()
