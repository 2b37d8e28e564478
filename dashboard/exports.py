"""CSV and Excel exports with French headers and spreadsheet formulas neutralised."""

from __future__ import annotations

import io

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    safe.columns = [str(neutralise(c)) for c in safe.columns]
    return safe


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """`;`-separated, decimal comma, UTF-8 with BOM so that Excel opens accents correctly."""
    return safe_frame(frame).to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")


def to_excel_bytes(frame: pd.DataFrame, sheet_name: str = "données") -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        safe_frame(frame).to_excel(writer, index=False, sheet_name=sheet_name[:31])
        sheet = writer.sheets[sheet_name[:31]]
        sheet.freeze_panes(1, 0)
        for index, column in enumerate(frame.columns):
            width = min(60, max(12, len(str(column)) + 2))
            sheet.set_column(index, index, width)
    return buffer.getvalue()
