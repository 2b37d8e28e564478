"""Parsers for INSEE files as published: bases of the *comparateur de territoires* and of the
*dossier complet* (`CODGEO;LIBGEO;P21_POP;…`, `;` separator, often Windows-1252, secrets).

Variable codes: docs/indicators.md. Unknown codes are kept, labelled with their code.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from etl import parsing
from etl.extract import read_csv_table
from etl.issues import ERROR, IssueList

# Columns of INSEE files that describe the commune, not indicators.
DESCRIPTIVE = {"codgeo", "libgeo", "reg", "dep", "libreg", "libdep", "epci", "libepci", "arr"}
EXPECTED_FORM = (
    "forme attendue : une colonne CODGEO (code commune INSEE) et des colonnes de variables INSEE "
    "datées (P21_POP, MED21…), ou un fichier de correspondance <nom du fichier>.toml à côté "
    "(voir docs/indicators.md)"
)
COLUMNS = ["insee_code", "indicator", "label", "year", "value", "unit", "is_secret", "source"]


@dataclass(frozen=True)
class Mapping:
    """How to read a commune CSV of another publisher: its commune-code column and, for each
    indicator column, its code, year, label and unit (docs/indicators.md)."""

    commune: str
    columns: dict[str, tuple[str, int, str | None, str | None]]


def read_mapping(path: Path, label: str, issues: IssueList) -> Mapping | None:
    """`<file>.toml` beside a CSV; None (and an error) when it cannot be used."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        columns = {
            normalize(name): (
                str(spec["indicateur"]),
                int(spec["annee"]),
                spec.get("libelle"),
                spec.get("unite"),
            )
            for name, spec in data["colonnes"].items()
        }
        return Mapping(normalize(data["commune"]), columns)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        message = "fichier de correspondance illisible (TOML en UTF-8 attendu)"
    except (KeyError, TypeError, ValueError, AttributeError):
        message = (
            'fichier de correspondance incomplet : `commune = "colonne"` et, pour chaque '
            "colonne, `indicateur` et `annee` attendus"
        )
    issues.error(label, None, None, None, None, message)
    return None


def normalize(name: str) -> str:
    from etl.extract import normalize_header

    return normalize_header(name)


SECRET_VALUES = {"s", "nd", "n.d.", "secret", "so", "nc"}
# P21_POP: prefix (P = exploitation principale, C = complémentaire), 2-digit year, variable.
_PREFIXED = re.compile(r"^(?P<prefix>[A-Z]{1,4})(?P<yy>\d{2})_(?P<var>[A-Z0-9_]+)$")
# NAIS1521, DECE1521: a count over a period (2015-2021), dated by its last year.
_PERIOD = re.compile(r"^(?P<var>[A-Z]+)(?P<y1>\d{2})(?P<yy>\d{2})$")
# MED21, TP6021, SNHM21, NBMENFISC21: variable then 2-digit year.
_SUFFIXED = re.compile(r"^(?P<var>[A-Z]+?(?:60)?)(?P<yy>\d{2})$")


@dataclass(frozen=True)
class Variable:
    label: str
    unit: str
    aggregation: str  # "sum" over communes, or "weighted:<weight indicator>", or "none"


# Documented in docs/indicators.md; keys are the code without its year.
VARIABLES: dict[str, Variable] = {
    "POP": Variable("Population", "habitants", "sum"),
    "PMEN": Variable("Population des ménages", "habitants", "sum"),
    "MEN": Variable("Ménages", "ménages", "sum"),
    "LOG": Variable("Logements", "logements", "sum"),
    "RP": Variable("Résidences principales", "logements", "sum"),
    "RSECOCC": Variable("Résidences secondaires et logements occasionnels", "logements", "sum"),
    "LOGVAC": Variable("Logements vacants", "logements", "sum"),
    "POP1564": Variable("Population de 15 à 64 ans", "habitants", "sum"),
    "ACT1564": Variable("Actifs de 15 à 64 ans", "personnes", "sum"),
    "CHOM1564": Variable("Chômeurs de 15 à 64 ans", "personnes", "sum"),
    "EMPLT": Variable("Emplois au lieu de travail", "emplois", "sum"),
    "POP65P": Variable("Population de 65 ans ou plus", "habitants", "sum"),
    "POP80P": Variable("Population de 80 ans ou plus", "habitants", "sum"),
    "MED": Variable("Médiane du revenu disponible par unité de consommation", "€", "weighted:POP"),
    "TP60": Variable("Taux de pauvreté", "%", "weighted:POP"),
    "NBMENFISC": Variable("Ménages fiscaux", "ménages", "sum"),
    "NAIS": Variable("Naissances", "naissances", "sum"),
    "DECE": Variable("Décès", "décès", "sum"),
    "SUPERF": Variable("Superficie", "km²", "sum"),
    "ETTOT": Variable("Établissements actifs", "établissements", "sum"),
}


def split_code(code: str) -> tuple[str, int | None]:
    """`P21_POP` -> ('POP', 2021); `MED21` -> ('MED', 2021); `SUPERF` -> ('SUPERF', None)."""
    for pattern in (_PREFIXED, _SUFFIXED, _PERIOD):
        match = pattern.match(code)
        if match:
            return match.group("var"), 2000 + int(match.group("yy"))
    return code, None


def describe(code: str) -> tuple[str, str | None, str, int | None]:
    """(base variable, unit, French label, year) of a column code; unknown codes keep their code."""
    variable, year = split_code(code)
    known = VARIABLES.get(variable)
    if known is None:
        return variable, None, code, year
    return variable, known.unit, known.label, year


def parse_insee_file(
    path: Path, label: str, issues: IssueList, mapping: Mapping | None = None
) -> pd.DataFrame:
    """Long table (insee_code, indicator, label, year, value, unit, is_secret, source).

    Without `mapping`, an INSEE base: CODGEO and dated variable codes; other columns (postal or
    region codes, names) are not indicators and are reported as not read."""
    sheet = read_csv_table(path, "insee", label, issues)
    columns = COLUMNS
    if sheet is None:
        return pd.DataFrame(columns=columns)
    code_column = mapping.commune if mapping else "codgeo"
    if code_column not in sheet.headers:
        found = ", ".join(_original_headers(path, sheet, keep_all=True).values()) or "aucune"
        what = f"colonne « {code_column} » du fichier de correspondance" if mapping else "CODGEO"
        message = f"colonne {what} absente ; colonnes lues : {found} ; {EXPECTED_FORM}"
        issues.error(label, None, sheet.header_row, code_column, None, message)
        return pd.DataFrame(columns=columns)
    if mapping:
        described = _mapped_columns(path, sheet, mapping, label, issues)
    else:
        described = _insee_columns(path, sheet, label, issues)
    rows = []
    for values, row in zip(sheet.rows, sheet.row_numbers, strict=True):
        try:
            code = parsing.parse_insee(values[code_column])
        except ValueError as exc:
            issues.error(label, None, row, code_column, values[code_column], str(exc))
            continue
        for header, (original, variable, unit, french, year) in described.items():
            text = values.get(header, "").strip()
            secret = text.lower() in SECRET_VALUES
            value = None
            if text and not secret:
                try:
                    # INSEE files write no thousands separator: a point is decimal.
                    value = parsing.parse_number(text, decimal_point=True)
                except ValueError as exc:
                    issues.error(label, None, row, original, text, str(exc))
                    continue
            elif not text:
                continue  # missing: no row, the value is unknown
            rows.append((code, variable, french, year, value, unit, secret, f"INSEE, {path.name}"))
    frame = pd.DataFrame(rows, columns=columns)
    if frame["year"].isna().any():
        # Undated variables (SUPERF…) belong to the file's millésime: its most frequent year.
        years = frame["year"].dropna()
        if years.empty:
            issues.error(
                label,
                None,
                sheet.header_row,
                None,
                None,
                "millésime introuvable : aucun code de variable ne porte d'année (P21_…)",
            )
            return frame.iloc[0:0]
        frame["year"] = frame["year"].fillna(years.mode().iloc[0])
    frame["year"] = frame["year"].astype("int64")
    return frame


def _insee_columns(path: Path, sheet, label: str, issues: IssueList) -> dict:
    described = {}
    for header, original in _original_headers(path, sheet).items():
        variable, unit, french, year = describe(original)
        if year is None and variable not in VARIABLES:
            message = "colonne non lue : ni variable INSEE datée (P21_POP, MED21…) ni connue"
            issues.warn(label, None, sheet.header_row, original, None, message)
            continue
        described[header] = (original, variable, unit, french, year)
    return described


def _mapped_columns(path: Path, sheet, mapping: Mapping, label: str, issues: IssueList) -> dict:
    originals = _original_headers(path, sheet, keep_all=True)
    described = {}
    for header, (code, year, french, unit) in mapping.columns.items():
        if header not in sheet.headers:
            message = "colonne du fichier de correspondance absente du fichier"
            issues.error(label, None, sheet.header_row, header, None, message)
            continue
        known = VARIABLES.get(code)
        described[header] = (
            originals.get(header, header),
            code,
            unit or (known.unit if known else None),
            french or (known.label if known else code),
            year,
        )
    for header in sheet.headers:
        if header not in described and header != mapping.commune:
            message = "colonne non lue : absente du fichier de correspondance"
            issues.warn(label, None, sheet.header_row, originals.get(header, header), None, message)
    return described


def read_insee_folder(
    folder: Path, known_codes: set[str], issues: IssueList
) -> tuple[pd.DataFrame, list[Path]]:
    """Every indicator CSV of `folder` (optional), restricted to communes of the reference.

    A file with errors is not loaded and blocks nothing else: its findings are reported as
    warnings under one « fichier non chargé » line, and the plans build without it."""
    if not folder.is_dir():
        return pd.DataFrame(), []
    candidates = sorted(folder.glob("*.csv"))
    files = []
    frames = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".csv", ".toml", ".md", ".txt") and path.is_file():
            message = "fichier non lu : seuls des CSV (et leur correspondance .toml) sont attendus"
            issues.warn(f"{folder.name}/{path.name}", None, None, None, None, message)
    for path in candidates:
        label = f"{folder.name}/{path.name}"
        own = IssueList()
        mapping_path = path.with_suffix(".toml")
        mapping = read_mapping(mapping_path, label, own) if mapping_path.exists() else None
        frame = parse_insee_file(path, label, own, mapping) if not own.errors else None
        if own.errors:
            n = own.error_count
            message = (
                f"fichier d'indicateurs non chargé ({n} erreur(s), ci-dessous) : les plans et les "
                "autres fichiers sont construits sans lui"
            )
            issues.warn(label, None, None, None, None, message)
            for issue in own.items:
                issues.warn(issue.file, issue.sheet, issue.row, issue.column, issue.value,
                            issue.message)  # fmt: skip
            issues.count_omitted("avertissement", own.omitted[ERROR])
            continue
        issues.extend(own)
        files.append(path)
        unknown = sorted(set(frame["insee_code"]) - known_codes)
        if unknown:
            issues.warn(
                label,
                None,
                None,
                "CODGEO",
                ", ".join(unknown[:5]),
                f"{len(unknown)} code(s) commune absent(s) du référentiel, ignoré(s)",
            )
        frames.append(frame[frame["insee_code"].isin(known_codes)])
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), files


def _original_headers(path: Path, sheet, keep_all: bool = False) -> dict[str, str]:
    """Normalised header -> INSEE code as written (P21_POP), for every variable column (every
    column with `keep_all`)."""
    text = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            first = text.decode(encoding).splitlines()[0]
            break
        except UnicodeDecodeError:
            continue
    separator = ";" if first.count(";") >= first.count(",") else ","
    originals = [h.strip().strip('"') for h in first.split(separator)]
    if not keep_all:
        originals = [h.upper() for h in originals]
    skip = set() if keep_all else DESCRIPTIVE
    return {
        normalized: original
        for normalized, original in zip(sheet.headers, originals, strict=False)
        if normalized not in skip
    }
