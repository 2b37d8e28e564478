"""Parsers for INSEE files as published: bases of the *comparateur de territoires* and of the
*dossier complet* (`CODGEO;LIBGEO;P21_POP;…`, `;` separator, often Windows-1252, secrets).

Variable codes: docs/indicators.md. Unknown codes are kept, labelled with their code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from etl import parsing
from etl.extract import read_csv_table
from etl.issues import IssueList

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


def parse_insee_file(path: Path, label: str, issues: IssueList) -> pd.DataFrame:
    """Long table (insee_code, indicator, label, year, value, unit, is_secret, source)."""
    sheet = read_csv_table(path, "insee", label, issues)
    columns = ["insee_code", "indicator", "label", "year", "value", "unit", "is_secret", "source"]
    if sheet is None:
        return pd.DataFrame(columns=columns)
    if "codgeo" not in sheet.headers:
        issues.error(
            label,
            None,
            sheet.header_row,
            "CODGEO",
            None,
            "colonne CODGEO absente : ce n'est pas une base INSEE par commune",
        )
        return pd.DataFrame(columns=columns)
    raw_headers = _original_headers(path, sheet)
    rows = []
    for values, row in zip(sheet.rows, sheet.row_numbers, strict=True):
        try:
            code = parsing.parse_insee(values["codgeo"])
        except ValueError as exc:
            issues.error(label, None, row, "CODGEO", values["codgeo"], str(exc))
            continue
        for header, original in raw_headers.items():
            text = values.get(header, "").strip()
            variable, unit, french, year = describe(original)
            secret = text.lower() in SECRET_VALUES
            value = None
            if text and not secret:
                try:
                    value = parsing.parse_number(text)
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


def read_insee_folder(
    folder: Path, known_codes: set[str], issues: IssueList
) -> tuple[pd.DataFrame, list[Path]]:
    """Every INSEE CSV of `folder` (optional), restricted to communes of the reference."""
    if not folder.is_dir():
        return pd.DataFrame(), []
    files = sorted(folder.glob("*.csv"))
    frames = []
    for path in files:
        label = f"{folder.name}/{path.name}"
        frame = parse_insee_file(path, label, issues)
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


def _original_headers(path: Path, sheet) -> dict[str, str]:
    """Normalised header -> INSEE code as written (P21_POP), for every variable column."""
    text = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            first = text.decode(encoding).splitlines()[0]
            break
        except UnicodeDecodeError:
            continue
    separator = ";" if first.count(";") >= first.count(",") else ","
    originals = [h.strip().strip('"').upper() for h in first.split(separator)]
    skip = {"codgeo", "libgeo", "reg", "dep", "libreg", "libdep"}
    return {
        normalized: original
        for normalized, original in zip(sheet.headers, originals, strict=False)
        if normalized not in skip
    }
