"""Pure functions from validated frames to the warehouse tables (see docs/schema.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyproj
import shapely

from etl import parsing, results
from etl.schema import PROVENANCES, SHEETS_BY_NAME
from etl.validate import ParsedTerritory

# World Cylindrical Equal Area: one projection valid for metropolitan France and overseas alike.
EQUAL_AREA_CRS = 6933


def _to_equal_area(shapes: np.ndarray) -> np.ndarray:
    """WGS84 shapes projected to EQUAL_AREA_CRS (missing shapes stay missing)."""
    transformer = pyproj.Transformer.from_crs(4326, EQUAL_AREA_CRS, always_xy=True)

    def project(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))

    return shapely.transform(shapes, project)


POPULATION_INDICATOR = "population_legale"
POPULATION_SOURCE = (
    "INSEE, populations légales en vigueur au COG {year} "
    "(@etalab/decoupage-administratif {version})"
)


def build_communes(
    raw: pd.DataFrame, epci: pd.DataFrame, departements: pd.DataFrame, regions: pd.DataFrame
) -> pd.DataFrame:
    """Current communes (type COM) with their EPCI SIREN, département, région and area from WKB."""
    communes = raw[raw["type"] == "COM"].copy()
    epci_siren = dict(zip(epci["id"], epci["code"], strict=True))
    dept = departements.set_index("id")
    region_code = dict(zip(regions["id"], regions["code"], strict=True))
    communes["epci_siren"] = communes["epci_id"].map(epci_siren)
    communes["dept_code"] = communes["departement_id"].map(dept["code"])
    communes["region_code"] = communes["departement_id"].map(dept["region_id"]).map(region_code)
    # Hex -> bytes in Python is ten times faster than shapely's own hex reader.
    wkb = np.array(
        [bytes.fromhex(v) if isinstance(v, str) else None for v in communes["geometry"]],
        dtype=object,
    )
    shapes = shapely.from_wkb(wkb)
    communes["area_km2"] = np.round(shapely.area(_to_equal_area(shapes)) / 1e6, 3)
    centroids = shapely.point_on_surface(shapes)
    communes["longitude"] = shapely.get_x(centroids)
    communes["latitude"] = shapely.get_y(centroids)
    communes["population"] = pd.to_numeric(communes["population_municipale"]).astype("Int64")
    communes = communes.rename(
        columns={"code": "insee_code", "nom": "name", "geometry": "geometry_hex"}
    )
    return communes[
        [
            "insee_code",
            "name",
            "dept_code",
            "region_code",
            "epci_siren",
            "population",
            "area_km2",
            "longitude",
            "latitude",
            "geometry_hex",
        ]
    ].reset_index(drop=True)


def build_epci(epci: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    stats = communes.groupby("epci_siren").agg(
        n_communes=("insee_code", "size"),
        population=("population", "sum"),
        area_km2=("area_km2", "sum"),
    )
    frame = epci.rename(columns={"code": "siren", "nom": "name", "type": "epci_type"})[
        ["siren", "name", "epci_type"]
    ]
    frame = frame.join(stats, on="siren")
    frame["n_communes"] = frame["n_communes"].fillna(0).astype("int64")
    frame["population"] = frame["population"].fillna(0).astype("int64")
    return frame.reset_index(drop=True)


def build_population_indicators(series: pd.DataFrame, known_codes: set[str]) -> pd.DataFrame:
    """Legal populations per COG year; `is_repeat`: value unchanged from the previous year."""
    # pyarrow's set lookup: pandas' `isin` first walks the 35 000 codes in Python.
    known = pc.is_in(pa.array(series["insee_code"]), value_set=pa.array(list(known_codes)))
    frame = series[known.to_numpy(zero_copy_only=False)]
    frame = frame.sort_values(["insee_code", "cog_year"], ignore_index=True)
    same_commune = frame["insee_code"].eq(frame["insee_code"].shift())
    is_repeat = same_commune & frame["population"].eq(frame["population"].shift())
    # A handful of (year, version) pairs: format each text once, then map.
    pairs = frame[["cog_year", "version"]].drop_duplicates()
    sources = {
        (y, v): POPULATION_SOURCE.format(year=y, version=v)
        for y, v in zip(pairs["cog_year"], pairs["version"], strict=True)
    }
    keys = pd.MultiIndex.from_frame(frame[["cog_year", "version"]])
    return pd.DataFrame(
        {
            "insee_code": frame["insee_code"].to_numpy(),
            "indicator": POPULATION_INDICATOR,
            "label": "Population légale",
            "year": frame["cog_year"].to_numpy(),
            "value": frame["population"].astype("float64").to_numpy(),
            "unit": "habitants",
            "source": pd.Series(sources).reindex(keys).to_numpy(),
            "millesime": "COG " + frame["cog_year"].astype(str),
            "is_repeat": is_repeat.to_numpy(),
            "is_secret": False,
        }
    )


def build_insee_indicators(values: pd.DataFrame) -> pd.DataFrame:
    """INSEE file values in the indicators layout; secret values are kept as null + is_secret."""
    if values.empty:
        return pd.DataFrame()
    return values.assign(millesime=values["year"].astype(str), is_repeat=False)[
        [
            "insee_code",
            "indicator",
            "label",
            "year",
            "value",
            "unit",
            "source",
            "millesime",
            "is_repeat",
            "is_secret",
        ]
    ]


def _item_id(territory_id: str, code: str | None) -> str | None:
    return None if code is None else f"{territory_id}:{code}"


def _demo(frame: pd.DataFrame) -> pd.Series:
    return (
        frame["demo"].fillna(False).astype(bool)
        if "demo" in frame
        else pd.Series(False, frame.index)
    )


def _provenance(frame: pd.DataFrame) -> np.ndarray:
    """The provenance key of each row: the `provenance` column, else demo or sourced."""
    demo = _demo(frame).to_numpy()
    keys = np.where(demo, "demo", "sourced").astype(object)
    if "provenance" in frame:
        by_typed = {p.typed: p.key for p in PROVENANCES}
        typed = frame["provenance"].map(by_typed)
        keys = np.where(typed.notna().to_numpy(), typed.to_numpy(dtype=object), keys)
    return keys


def _provenance_columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """`provenance` and `is_demo` (kept for the demo flag's readers) of each row."""
    keys = _provenance(frame)
    return {"provenance": keys, "is_demo": keys == "demo"}


def build_plan_items(tid: str, plan: pd.DataFrame) -> pd.DataFrame:
    parents = dict(zip(plan["code"], plan["code_parent"], strict=True))
    provenance = _provenance_columns(plan)
    marks = {p.key: p.mark for p in PROVENANCES if p.key in ("reconstructed", "demo")}
    # The path carries each title's mark, like every title shown (macro marked_title).
    titles = {
        code: f"{title} ({marks[key]})" if key in marks else title
        for code, title, key in zip(
            plan["code"], plan["intitule"], provenance["provenance"], strict=True
        )
    }

    def ancestry(code: str) -> list[str]:
        chain = [code]
        while parents.get(chain[-1]) is not None:
            chain.append(parents[chain[-1]])
        return chain[::-1]

    chains = [ancestry(code) for code in plan["code"]]
    return pd.DataFrame(
        {
            "item_id": [_item_id(tid, c) for c in plan["code"]],
            "territory_id": tid,
            "code": plan["code"].to_numpy(),
            "parent_id": [_item_id(tid, p) for p in plan["code_parent"]],
            "root_id": [_item_id(tid, chain[0]) for chain in chains],
            "depth": [len(chain) for chain in chains],
            "level": plan["niveau"].str.strip().to_numpy(),
            "title": plan["intitule"].to_numpy(),
            "description": plan["description"].to_numpy(),
            "path": [" › ".join(titles[c] for c in chain) for chain in chains],
            "sort_order": np.arange(len(plan)),
            "source": plan["source"].to_numpy(),
            **provenance,
        }
    )


def build_actions(actions: pd.DataFrame, plan_items: pd.DataFrame) -> pd.DataFrame:
    """`actions`: every territory's sheet stacked, with `_tid` and `_default_epci` (the
    territory's SIREN, none for a portfolio)."""
    tids = actions["_tid"].to_numpy(dtype=object)
    roots = dict(zip(plan_items["item_id"], plan_items["root_id"], strict=True))
    item_ids = _item_ids(tids, actions["code_parent"])
    return pd.DataFrame(
        {
            "action_id": _item_ids(tids, actions["code"]),
            "territory_id": tids,
            "code": actions["code"].to_numpy(),
            "item_id": item_ids,
            "root_item_id": [roots.get(i) for i in item_ids],
            "title": actions["intitule"].to_numpy(),
            "description": actions["description"].to_numpy(),
            # No default: a status the source does not give stays empty (« non renseigné »).
            "status": actions["statut"].to_numpy(),
            "status_given": actions["statut"].notna().to_numpy(),
            "progress": actions["avancement"].astype("float64").to_numpy(),
            "planned_start": actions["debut_prevu"].to_numpy(),
            "planned_end": actions["fin_prevue"].to_numpy(),
            "actual_start": actions["debut_reel"].to_numpy(),
            "actual_end": actions["fin_reelle"].to_numpy(),
            "pilot_service": actions["service_pilote"].to_numpy(),
            "pilot_name": [p[0] if p else None for p in actions["pilote"]],
            "pilot_email": [p[1] if p else None for p in actions["pilote"]],
            "elected_referent": actions["elu_referent"].to_numpy(),
            "priority": actions["priorite"].to_numpy(),
            "themes": [list(t) for t in actions["thematiques"]],
            "epci_siren": [
                e or d for e, d in zip(actions["epci"], actions["_default_epci"], strict=True)
            ],
            "latitude": actions["latitude"].astype("float64").to_numpy(),
            "longitude": actions["longitude"].astype("float64").to_numpy(),
            "sort_order": actions.groupby("_tid", sort=False).cumcount().to_numpy(),
            "source": actions["source"].to_numpy(),
            **_provenance_columns(actions),
        }
    )


def build_action_communes(actions: pd.DataFrame) -> pd.DataFrame:
    pairs = [
        (_item_id(tid, code), parsing.parse_insee(text))
        for tid, code, texts in zip(
            actions["_tid"], actions["code"], actions["communes"], strict=True
        )
        for text in texts
    ]
    return pd.DataFrame(pairs, columns=["action_id", "insee_code"]).drop_duplicates(
        ignore_index=True
    )


def _item_ids(tids: np.ndarray, codes: pd.Series) -> list[str | None]:
    return [_item_id(t, c) for t, c in zip(tids, codes, strict=True)]


def _with_ids(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Line ids numbered per territory (`<territory>:<prefix>:<n>`) and the action they serve.
    `frame` holds the lines of every territory, with their territory in `_tid`."""
    tids = frame["_tid"].to_numpy(dtype=object)
    numbers = frame.groupby("_tid", sort=False).cumcount().to_numpy() + 1
    return pd.DataFrame(
        {
            f"{prefix}_id": [f"{t}:{prefix}:{n}" for t, n in zip(tids, numbers, strict=True)],
            "territory_id": tids,
            "action_id": _item_ids(tids, frame["action"]),
        }
    )


def build_budget_lines(budget: pd.DataFrame) -> pd.DataFrame:
    frame = _with_ids(budget, "line")
    frame["year"] = budget["annee"].astype("int64").to_numpy()
    frame["section"] = budget["section"].to_numpy()
    frame["direction"] = budget["sens"].to_numpy()
    for source, target in (("prevu", "planned"), ("engage", "committed"), ("paye", "paid")):
        frame[target] = budget[source].astype("float64").to_numpy()
    frame["source"] = budget["source"].to_numpy()
    frame = frame.assign(**_provenance_columns(budget))
    return frame


def build_funding(funding: pd.DataFrame) -> pd.DataFrame:
    frame = _with_ids(funding, "funding")
    frame["contract_id"] = _item_ids(frame["territory_id"].to_numpy(), funding["contrat"])
    frame["funder"] = funding["financeur"].to_numpy()
    frame["funder_type"] = funding["type_financeur"].to_numpy()
    frame["funding_line"] = funding["dispositif"].to_numpy()
    for source, target in (("demande", "requested"), ("accorde", "granted"), ("verse", "received")):
        frame[target] = funding[source].astype("float64").to_numpy()
    frame["decision_date"] = funding["date_decision"].to_numpy()
    frame["source"] = funding["source"].to_numpy()
    frame = frame.assign(**_provenance_columns(funding))
    return frame


def build_contracts(tid: str, contracts: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contract_id": [_item_id(tid, c) for c in contracts["id"]],
            "territory_id": tid,
            "code": contracts["id"].to_numpy(),
            "contract_type": contracts["type"].to_numpy(),
            "name": contracts["nom"].to_numpy(),
            "signatories": [list(s) for s in contracts["signataires"]],
            "start_date": contracts["debut"].to_numpy(),
            "end_date": contracts["fin"].to_numpy(),
            "envelope": contracts["enveloppe"].astype("float64").to_numpy(),
            "source": contracts["source"].to_numpy(),
            **_provenance_columns(contracts),
        }
    )


def build_followups(notes: pd.DataFrame) -> pd.DataFrame:
    frame = _with_ids(notes, "followup")
    frame["item_id"] = _item_ids(frame["territory_id"].to_numpy(dtype=object), notes["element"])
    frame["note_date"] = notes["date"].to_numpy()
    frame["author"] = notes["auteur"].to_numpy()
    frame["note_type"] = notes["type"].to_numpy()
    frame["weather"] = notes["meteo"].to_numpy()
    frame["weather_reason"] = notes["raison_meteo"].to_numpy()
    frame["status"] = notes["statut"].to_numpy()
    frame["progress"] = notes["avancement"].astype("float64").to_numpy()
    frame["text"] = notes["texte"].to_numpy()
    frame["source"] = notes["source"].to_numpy()
    frame = frame.assign(**_provenance_columns(notes))
    return frame


def build_declared_states(states: pd.DataFrame) -> pd.DataFrame:
    """Earlier states typed in the sources (sheet etats_anterieurs): one snapshot per date."""
    frame = _with_ids(states, "state")
    frame["state_date"] = states["date_etat"].to_numpy()
    frame["status"] = states["statut"].to_numpy()
    frame["progress"] = states["avancement"].astype("float64").to_numpy()
    for source, target in (
        ("debut_prevu", "planned_start"),
        ("fin_prevue", "planned_end"),
        ("fin_reelle", "actual_end"),
    ):
        frame[target] = states[source].to_numpy()
    for source, target in (
        ("depenses_prevues", "budget_planned"),
        ("demande", "funding_requested"),
        ("accorde", "funding_granted"),
        ("verse", "funding_received"),
    ):
        frame[target] = states[source].astype("float64").to_numpy()
    frame["source"] = states["source"].to_numpy()
    frame = frame.assign(**_provenance_columns(states))
    return frame


def build_key_figures(tid: str, figures: pd.DataFrame | None) -> pd.DataFrame:
    columns = ["territory_id", "indicator", "value", "unit", "year", "source", "quote"]
    if figures is None or figures.empty:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(
        {
            "territory_id": tid,
            "indicator": figures["indicateur"].to_numpy(),
            "value": figures["valeur"].astype("float64").to_numpy(),
            "unit": figures["unite"].to_numpy(),
            "year": figures["annee"].astype("Int64").to_numpy(),
            "source": figures["source"].to_numpy(),
            "quote": figures["citation"].to_numpy(),
        }
    )


def _is_portfolio(parsed: ParsedTerritory) -> bool:
    return parsed.territory.get("type") == "Portefeuille"


def territory_communes(
    parsed: ParsedTerritory,
    communes: pd.DataFrame,
    actions: pd.DataFrame | None = None,
    action_communes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """EPCI: all its communes. Portfolio: every commune of the EPCI its actions take place in
    (`actions` and `action_communes`: the portfolio's own rows)."""
    territory = parsed.territory
    if _is_portfolio(parsed):
        sirens = set(actions["epci_siren"].dropna())
        codes = set(communes.loc[communes["epci_siren"].isin(sirens), "insee_code"])
        codes |= set(action_communes["insee_code"])
    else:
        codes = set(communes.loc[communes["epci_siren"] == territory["siren"], "insee_code"])
    return pd.DataFrame({"territory_id": parsed.territory_id, "insee_code": sorted(codes)})


DEMO_SHEETS = (
    "plan",
    "actions",
    "budget",
    "financements",
    "contrats",
    "suivi",
    "etats_anterieurs",
    "indicateurs",
    "mesures",
)


def build_territory_row(
    parsed: ParsedTerritory, covered: pd.DataFrame, communes: pd.DataFrame
) -> dict:
    """`covered`: table territory_communes (every territory's)."""
    territory = parsed.territory
    codes = covered.loc[covered["territory_id"] == parsed.territory_id, "insee_code"]
    members = communes[communes["insee_code"].isin(codes)]
    sheets = parsed.tables
    has_demo = any(
        bool((_provenance(sheets[name]) == "demo").any()) for name in DEMO_SHEETS if name in sheets
    )
    return {
        "territory_id": parsed.territory_id,
        "siren": territory["siren"],
        "name": territory["nom"],
        "territory_type": territory["type"],
        "region_code": territory.get("region"),
        "source_document": territory.get("source"),
        "description": territory.get("description"),
        "data_date": territory.get("date_donnees"),
        "n_communes": len(members),
        "population": int(members["population"].sum()),
        "area_km2": float(members["area_km2"].sum()),
        "has_demo_data": has_demo,
        "has_budget": not sheets.get("budget", pd.DataFrame()).empty,
        "has_funding": not sheets.get("financements", pd.DataFrame()).empty,
    }


EMPTY = {
    "budget": ["action", "annee", "section", "sens", "prevu", "engage", "paye", "source", "demo"],
    "financements": [
        "action",
        "contrat",
        "financeur",
        "type_financeur",
        "dispositif",
        "demande",
        "accorde",
        "verse",
        "date_decision",
        "source",
        "demo",
    ],
    "contrats": ["id", "type", "nom", "signataires", "debut", "fin", "enveloppe", "source", "demo"],
    "suivi": SHEETS_BY_NAME["suivi"].column_names,
    "etats_anterieurs": SHEETS_BY_NAME["etats_anterieurs"].column_names,
    "actions": SHEETS_BY_NAME["actions"].column_names,
    "indicateurs": SHEETS_BY_NAME["indicateurs"].column_names,
    "mesures": SHEETS_BY_NAME["mesures"].column_names,
}


def build_territory_tables(parsed: ParsedTerritory) -> dict[str, pd.DataFrame]:
    """The small tables of one territory (its plan tree needs the territory's whole plan)."""
    tid = parsed.territory_id
    contracts = parsed.tables.get("contrats", pd.DataFrame(columns=EMPTY["contrats"]))
    return {
        "plan_items": build_plan_items(tid, parsed.tables["plan"]),
        "contracts": build_contracts(tid, contracts),
        "territory_figures": build_key_figures(tid, parsed.key_figures),
    }


# Line tables: built once over every territory's lines (per-territory frames cost more in
# pandas overhead than the lines themselves on a national load).
LINE_TABLES = {
    "budget_lines": ("budget", build_budget_lines),
    "funding": ("financements", build_funding),
    "followups": ("suivi", build_followups),
    "declared_states": ("etats_anterieurs", build_declared_states),
}


def _stacked_sheet(territories: list[ParsedTerritory], sheet: str) -> pd.DataFrame:
    frames = [
        p.tables[sheet].assign(_tid=p.territory_id)
        for p in territories
        if sheet in p.tables and not p.tables[sheet].empty
    ]
    if not frames:
        return pd.DataFrame(columns=[*EMPTY[sheet], "_tid"], dtype=object)
    return pd.concat(frames, ignore_index=True)


def build_plan_tables(
    territories: list[ParsedTerritory], communes: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """Every plan table of every territory, keyed by warehouse table name."""
    per_territory = [build_territory_tables(p) for p in territories]
    tables = {
        name: pd.concat([t[name] for t in per_territory], ignore_index=True)
        for name in per_territory[0]
    }
    sheet = _stacked_sheet(territories, "actions")
    defaults = {
        p.territory_id: None if _is_portfolio(p) else p.territory["siren"] for p in territories
    }
    sheet["_default_epci"] = pd.Series([defaults[t] for t in sheet["_tid"]], dtype=object)
    tables["actions"] = build_actions(sheet, tables["plan_items"])
    tables["action_communes"] = build_action_communes(sheet)
    for name, (sheet_name, build) in LINE_TABLES.items():
        tables[name] = build(_stacked_sheet(territories, sheet_name))
    tables.update(results.build_result_tables(territories, tables))
    # Without the geometries: selecting rows of the full frame would copy every shape.
    members = communes[["insee_code", "epci_siren", "population", "area_km2"]]
    actions, placed = tables["actions"], tables["action_communes"]
    covered = []
    for parsed in territories:
        if _is_portfolio(parsed):  # its communes follow its actions
            mine = actions[actions["territory_id"] == parsed.territory_id]
            covered.append(
                territory_communes(
                    parsed, members, mine, placed[placed["action_id"].isin(mine["action_id"])]
                )
            )
        else:
            covered.append(territory_communes(parsed, members))
    tables["territory_communes"] = pd.concat(covered, ignore_index=True)
    tables["territories"] = pd.DataFrame(
        [build_territory_row(p, tables["territory_communes"], members) for p in territories]
    )
    return tables
