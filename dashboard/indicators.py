"""Indicator series shaped for the Indicateurs page (pure pandas, no Streamlit)."""

from __future__ import annotations

import pandas as pd


def territory_population(series: pd.DataFrame) -> pd.DataFrame:
    """Sum of the communes' legal population per COG year; a year is marked as a repeat only when
    no commune's value changed (then the total is not a new measurement either)."""
    totals = series.groupby("year", as_index=False).agg(
        value=("value", "sum"), is_repeat=("is_repeat", "all"), n_communes=("insee_code", "size")
    )
    totals["millesime"] = "COG " + totals["year"].astype(str)
    totals["name"] = "Ensemble du territoire"
    totals["source"] = series["source"].iloc[0].split(",")[0] if not series.empty else ""
    return totals


def communes_by_population(series: pd.DataFrame) -> dict[str, str]:
    """INSEE code -> label, most populous first (latest year). Several communes share a name
    (Estrées, Dury…): the label carries the département, the key is the INSEE code."""
    latest = series.sort_values("year").drop_duplicates("insee_code", keep="last")
    latest = latest.sort_values("value", ascending=False)
    return {
        code: f"{name} ({code[:2]})"
        for code, name in zip(latest["insee_code"], latest["name"], strict=True)
    }
