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


def measure_catalog(measures: pd.DataFrame) -> dict[str, str]:
    """measure code -> 'Label (unit)' for the selectors, population first."""
    first = ["population_legale", "population_change", "density", "area_km2"]
    catalog = measures.drop_duplicates("measure").copy()
    catalog["order"] = [first.index(m) if m in first else len(first) for m in catalog["measure"]]
    catalog = catalog.sort_values(["order", "label"])
    return {
        row.measure: f"{row.label} ({row.unit})" if isinstance(row.unit, str) else row.label
        for row in catalog.itertuples()
    }


def ranking(measures: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Communes ranked on one measure, best first, with their rank."""
    ranked = measures[measures["measure"] == measure].dropna(subset=["value"])
    ranked = ranked.sort_values("value", ascending=False).reset_index(drop=True)
    return ranked.assign(rank=ranked.index + 1)


def wide(measures: pd.DataFrame) -> pd.DataFrame:
    """One row per commune, one column per measure (for scatter plots)."""
    return measures.pivot_table(
        index=["insee_code", "name"], columns="measure", values="value", aggfunc="first"
    ).reset_index()


def indexed_population(epci_population: pd.DataFrame) -> pd.DataFrame:
    """Each EPCI's legal population as an index, 100 in its first COG year (comparable sizes)."""
    first = epci_population.sort_values("year").groupby("siren")["population"].transform("first")
    return epci_population.assign(index=100 * epci_population["population"] / first)


def territory_values(values: pd.DataFrame, n_communes: int) -> pd.DataFrame:
    """INSEE indicators for the whole territory: counts are summed, rates and medians are averaged
    with the communes' population as weight (an approximation for a median, said in the label).
    A territory value from incomplete data (secret or missing communes) says so."""
    from etl.insee import VARIABLES

    rows = []
    for (indicator, year), group in values.groupby(["indicator", "year"], sort=True):
        variable = VARIABLES.get(indicator)
        known = group.dropna(subset=["value"])
        complete = len(known) == n_communes and not group["is_secret"].any()
        if variable is None or known.empty:
            continue
        if variable.aggregation == "sum":
            value, method = known["value"].sum(), "somme des communes"
        else:
            weighted = known.dropna(subset=["weight"])
            if weighted.empty or weighted["weight"].sum() == 0:
                continue
            value = (weighted["value"] * weighted["weight"]).sum() / weighted["weight"].sum()
            method = "moyenne des communes pondérée par la population"
        rows.append(
            {
                "indicator": indicator,
                "label": variable.label,
                "unit": variable.unit,
                "year": int(year),
                "value": value,
                "method": method,
                "communes": f"{len(known)} / {n_communes}",
                "complete": complete,
                "source": group["source"].iloc[0],
            }
        )
    return pd.DataFrame(rows)
