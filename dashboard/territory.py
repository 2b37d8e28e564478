"""The territory, one type across the dashboard: `Territory`, found by SIREN or identifier.

Every function above the queries takes a `territory: Territory`; the cached loaders take its
`territory_id` (bound as `$territory` in dashboard/sql). The URL carries the SIREN.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from dashboard import queries


class TerritoryNotFound(ValueError):
    """No loaded territory has this SIREN or identifier (French message)."""


@dataclass(frozen=True)
class Territory:
    territory_id: str
    siren: str
    name: str
    territory_type: str
    source_document: str | None
    description: str | None
    data_date: dt.date | None  # date of a dated document's data: lateness is judged then
    n_communes: int
    population: float | None
    area_km2: float | None
    has_demo_data: bool
    has_budget: bool
    has_funding: bool

    @property
    def has_money(self) -> bool:
        """Budget or funding lines were given: amounts are known (else unknown, not zero)."""
        return self.has_budget or self.has_funding

    def late_as_of(self, today: dt.date) -> dt.date:
        """The date lateness is judged at: the data's date for a dated document, else today."""
        return self.data_date or today

    @classmethod
    def from_row(cls, row: pd.Series) -> Territory:
        def text(value: object) -> str | None:
            return value if isinstance(value, str) and value else None

        def number(value: object) -> float | None:
            return (
                None
                if value is None or (isinstance(value, float) and math.isnan(value))
                else (float(value))
            )

        return cls(
            territory_id=str(row["territory_id"]),
            siren=str(row["siren"]),
            name=str(row["name"]),
            territory_type=str(row["territory_type"]),
            source_document=text(row["source_document"]),
            description=text(row["description"]),
            data_date=None if pd.isna(row["data_date"]) else pd.Timestamp(row["data_date"]).date(),
            n_communes=int(row["n_communes"]),
            population=number(row["population"]),
            area_km2=number(row["area_km2"]),
            has_demo_data=bool(row["has_demo_data"]),
            has_budget=bool(row["has_budget"]),
            has_funding=bool(row["has_funding"]),
        )


def load_territory_list() -> list[Territory]:
    """Every loaded territory, in the order of the sidebar's selector."""
    return [Territory.from_row(row) for _, row in queries.load_territories().iterrows()]


def find_territory(key: str) -> Territory:
    """The territory whose SIREN or identifier is `key` (TerritoryNotFound in French)."""
    territories = load_territory_list()
    for territory in territories:
        if key in (territory.siren, territory.territory_id):
            return territory
    known = ", ".join(f"{t.siren} ({t.name})" for t in territories)
    raise TerritoryNotFound(f"Territoire « {key} » inconnu. Territoires chargés : {known}.")
