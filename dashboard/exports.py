"""CSV and Excel exports with French headers and spreadsheet formulas neutralised.

Excel workbooks keep numbers and dates as real Excel values, formatted by column kind (the `kinds`
of tables.py column specs, carried in `frame.attrs["kinds"]` by tables.to_export)."""

from __future__ import annotations

import datetime as dt
import io
import re

import numpy as np
import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Excel stores format codes in the en-US syntax; a French Excel shows `#,##0 "€"` as 1 234 567 €.
EXCEL_FORMATS = {
    "euros": '#,##0 "€"',
    "number": "#,##0",
    "decimal": "#,##0.0",
    "percent": "0 %",  # 0-100 values, divided by 100 on export
    "ratio": "0 %",
    "date": "dd/mm/yyyy",
}
DATE_FORMAT = "dd/mm/yyyy"
MAX_WIDTH = 60
FORBIDDEN_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


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


def csv_text(value: object, kind: str) -> str:
    """One CSV cell as a French spreadsheet reads it: 23/03/2026, oui / non, 2519600 (not
    2519600,0), 1234,5 (decimal comma, no thousands separator so the number stays a number)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if kind == "date" or isinstance(value, pd.Timestamp | dt.date):
        stamp = pd.Timestamp(value)
        return "" if pd.isna(stamp) else stamp.strftime("%d/%m/%Y")
    if kind == "demo":
        return "démo" if bool(value) else ""
    if kind == "bool" or isinstance(value, bool | np.bool_):
        return "oui" if bool(value) else "non"
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        number = float(value)
        if number.is_integer():
            return str(int(number))
        return f"{number:.6f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(neutralise(value))


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """`;`-separated, French values (dates dd/mm/yyyy, decimal comma, oui / non, the provenance
    marks), formulas neutralised, UTF-8 with BOM so that Excel opens accents correctly."""
    kinds = frame.attrs.get("kinds", {})
    text = pd.DataFrame(
        {
            str(neutralise(column)): [
                csv_text(v, column_kind(frame[column], kinds)) for v in frame[column]
            ]
            for column in frame.columns
        },
        columns=[str(neutralise(c)) for c in frame.columns],
    )
    return text.to_csv(index=False, sep=";").encode("utf-8-sig")


def column_kind(series: pd.Series, kinds: dict[str, str]) -> str:
    """The spec's kind of a column, else one guessed from its type."""
    if series.name in kinds:
        return kinds[series.name]
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "number"
    if pd.api.types.is_float_dtype(series):
        return "decimal"
    return "text"


def excel_values(series: pd.Series, kind: str) -> pd.Series:
    """Values as Excel should hold them: dates as dates, 0-100 percents as fractions,
    booleans as French words, text neutralised."""
    if kind == "date":
        return pd.to_datetime(series, errors="coerce")
    if kind == "percent":
        return pd.to_numeric(series, errors="coerce") / 100
    if kind in ("euros", "number", "decimal", "ratio"):
        return pd.to_numeric(series, errors="coerce")
    if kind == "bool":
        return series.map(lambda v: "oui" if v is True else ("non" if v is False else None))
    if kind == "demo":
        return series.map(lambda v: "démo" if v is True else "")
    return series.map(neutralise).astype(object)


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name (31 characters, none of []:*?/\\)."""
    base = FORBIDDEN_IN_SHEET_NAMES.sub(" ", name).strip()[:31] or "données"
    title, number = base, 2
    while title.lower() in taken:
        suffix = f" ({number})"
        title, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(title.lower())
    return title


def _write_sheet(writer: pd.ExcelWriter, name: str, frame: pd.DataFrame) -> None:
    kinds = frame.attrs.get("kinds", {})
    book = writer.book
    column_kinds = [column_kind(frame[c], kinds) for c in frame.columns]
    values = pd.DataFrame(
        {
            str(neutralise(c)): excel_values(frame[c], k).to_numpy()
            for c, k in zip(frame.columns, column_kinds, strict=True)
        }
    )
    values.to_excel(writer, index=False, sheet_name=name)
    sheet = writer.sheets[name]
    for index, (column, kind) in enumerate(zip(values.columns, column_kinds, strict=True)):
        longest = values[column].map(lambda v: len(str(v)) if pd.notna(v) else 0).max()
        longest = 0 if pd.isna(longest) else int(longest)
        width = min(MAX_WIDTH, max(10, len(column) + 2, longest + 2))
        if kind == "date":
            width = max(12, len(column) + 2)
        number_format = EXCEL_FORMATS.get(kind)
        cell_format = book.add_format({"num_format": number_format}) if number_format else None
        sheet.set_column(index, index, width, cell_format)
    sheet.freeze_panes(1, 0)
    if len(values.columns):
        sheet.autofilter(0, 0, max(1, len(values)), len(values.columns) - 1)


def to_excel_workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    """One sheet per table: French headers, number and date formats, frozen header row,
    column widths and autofilter; text that looks like a formula stays text."""
    buffer = io.BytesIO()
    options = {"strings_to_formulas": False, "strings_to_urls": False}
    with pd.ExcelWriter(
        buffer,
        engine="xlsxwriter",
        date_format=DATE_FORMAT,
        datetime_format=DATE_FORMAT,
        engine_kwargs={"options": options},
    ) as writer:
        taken: set[str] = set()
        for name, frame in sheets.items():
            _write_sheet(writer, sheet_title(name, taken), frame)
    return buffer.getvalue()


def to_excel_bytes(frame: pd.DataFrame, sheet_name: str = "données") -> bytes:
    return to_excel_workbook({sheet_name: frame})


def build_plan_workbook(territory_id: str) -> bytes:
    """The whole plan of a territory: actions, plan items, budget and funding lines, contracts,
    result indicators and their measured values."""
    from dashboard import queries, results, tables  # here: they need no Excel at import

    actions = queries.load_actions(territory_id)
    items = tables.build_plan_item_table(queries.load_plan_items(territory_id), actions)
    return to_excel_workbook(
        {
            "Actions": tables.to_export(actions, tables.ACTION_EXPORT_COLUMNS),
            "Plan": tables.to_export(items, tables.PLAN_ITEM_COLUMNS),
            "Budget": tables.to_export(
                queries.load_budget_lines(territory_id), tables.BUDGET_LINE_COLUMNS
            ),
            "Financements": tables.to_export(
                queries.load_funding_lines(territory_id), tables.FUNDING_LINE_COLUMNS
            ),
            "Contrats": tables.to_export(
                queries.load_contracts(territory_id), tables.CONTRACT_LIST_COLUMNS
            ),
            **results.build_result_sheets(territory_id),
        }
    )
