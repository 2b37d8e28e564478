"""Helpers shared by the machine formats: published schemas, frictionless validation in French,
CSV writing with formulas neutralised, provenance levels."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from functools import cache
from pathlib import Path

import pandas as pd
from frictionless import Resource, Schema

from dashboard.formats.upstream import SCHEMAS_DIR
from etl.schema import NOT_GIVEN_LABEL, PROVENANCES

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Provenance levels of the project (docs/formats.md): what the `provenance` fields may hold.
# The warehouse's levels (etl/schema.py PROVENANCES, their French labels) and « not given ».
PROVENANCE_LEVELS = {
    **{p.key: p.label for p in PROVENANCES},
    "not_given": NOT_GIVEN_LABEL,
}
MAX_IMPORT_BYTES = 20 * 1024 * 1024  # same ceiling as the workbook upload
MAX_IMPORT_ROWS = 100_000


class FormatError(ValueError):
    """An input or a request that cannot be handled, with a French message for the user."""


def schema_path(name: str) -> Path:
    return SCHEMAS_DIR / name / "schema.json"


@cache
def schema_descriptor(name: str) -> dict:
    """The published Table Schema kept in data/schemas/<name>/ (never fetched at run time)."""
    return json.loads(schema_path(name).read_text(encoding="utf-8"))


def schema_fields(name: str) -> list[str]:
    return [f["name"] for f in schema_descriptor(name)["fields"]]


def neutralise(text: object) -> str:
    """Loaded text for a file a spreadsheet may open: a leading formula character is quoted."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    value = str(text)
    return "'" + value if value.startswith(FORMULA_START) else value


def restore(text: str) -> str:
    """The inverse of `neutralise` on reading one of our files back."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def to_csv_bytes(frame: pd.DataFrame, columns: list[str]) -> bytes:
    """UTF-8 CSV, comma-separated, every value already a string (machine format)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in frame[columns].itertuples(index=False):
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8")


def validate_csv(data: bytes, schema_name: str | dict) -> list[str]:
    """Every error frictionless finds in `data` against the schema, as French sentences naming
    the row (as a spreadsheet numbers it, header = 1) and the column."""
    descriptor = schema_descriptor(schema_name) if isinstance(schema_name, str) else schema_name
    schema = Schema.from_descriptor(descriptor)
    resource = Resource(data, format="csv", encoding="utf-8", schema=schema)
    report = resource.validate(limit_errors=1000)
    messages = []
    for row, field, kind, note in report.flatten(["rowNumber", "fieldName", "type", "note"]):
        where = f"ligne {row}" if row else "en-tête"
        column = f", colonne « {field} »" if field else ""
        messages.append(f"{where}{column} : {FRICTIONLESS_LABELS.get(kind, kind)} ({note})")
    return messages


FRICTIONLESS_LABELS = {
    "type-error": "valeur du mauvais type",
    "constraint-error": "contrainte non respectée",
    "missing-label": "colonne absente",
    "extra-label": "colonne inconnue",
    "incorrect-label": "en-tête incorrect",
    "missing-cell": "cellule manquante",
    "extra-cell": "cellule en trop",
    "blank-row": "ligne vide",
    "primary-key": "identifiant en double",
    "unique-error": "valeur en double",
    "encoding-error": "encodage illisible",
    "source-error": "fichier illisible",
    "format-error": "format illisible",
}


def read_upload(data: bytes, filename: str) -> pd.DataFrame:
    """A CSV file sent by a user, every cell as text (nothing guessed), bounded in size; the
    separator is sniffed (`,` or `;`), UTF-8 with or without BOM, else Windows-1252."""
    if len(data) > MAX_IMPORT_BYTES:
        raise FormatError(f"{filename} : fichier trop gros (au plus 20 Mo).")
    if data[:4] == b"PK\x03\x04" and filename.lower().endswith(".xlsx"):
        return read_workbook(data, filename)
    if b"\x00" in data[:4096]:
        raise FormatError(f"{filename} : ce n'est pas un fichier CSV (texte).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, nrows=MAX_IMPORT_ROWS + 1
        )
    except (pd.errors.ParserError, ValueError) as error:
        raise FormatError(f"{filename} : CSV illisible ({error}).") from error
    if len(frame) > MAX_IMPORT_ROWS:
        raise FormatError(f"{filename} : plus de {MAX_IMPORT_ROWS} lignes, fichier refusé.")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.map(lambda v: restore(v.strip()) if isinstance(v, str) else v)


def read_workbook(data: bytes, filename: str) -> pd.DataFrame:
    """The first sheet of an Excel workbook, every cell as text (a filled complement table)."""
    try:
        frame = pd.read_excel(
            io.BytesIO(data), dtype=str, keep_default_na=False, nrows=MAX_IMPORT_ROWS + 1
        )
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as error:
        raise FormatError(f"{filename} : classeur Excel illisible ({error}).") from error
    if len(frame) > MAX_IMPORT_ROWS:
        raise FormatError(f"{filename} : plus de {MAX_IMPORT_ROWS} lignes, fichier refusé.")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.map(lambda v: v.strip() if isinstance(v, str) else v)


def siret_is_valid(value: str) -> bool:
    """14 digits with a valid Luhn key (La Poste's establishments use their own rule)."""
    if not re.fullmatch(r"\d{14}", value or ""):
        return False
    if value.startswith("356000000"):
        return sum(int(d) for d in value) % 5 == 0
    total = 0
    for index, digit in enumerate(reversed(value)):
        number = int(digit) * (2 if index % 2 else 1)
        total += number - 9 if number > 9 else number
    return total % 10 == 0


def provenance_of(is_demo: object) -> str:
    """The row-level provenance the warehouse knows today: demo or sourced."""
    return "demo" if bool(is_demo) and not pd.isna(is_demo) else "sourced"
