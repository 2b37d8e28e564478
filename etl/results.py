"""Result indicators: checks and warehouse tables of sheets `indicateurs`, `mesures` and
`alertes` (docs/template.md, docs/schema.md). The computations (share of the target reached,
trajectory, gap, status, alerts) are SQL views of etl/sql/schema.sql, defined nowhere else."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from etl.extract import RawSheet
from etl.issues import IssueList
from etl.schema import ALERT_RULES

if TYPE_CHECKING:  # etl.validate calls this module
    from etl.validate import ParsedTerritory


def _fmt(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return f"{value:g}".replace(".", ",") if isinstance(value, float) else str(value)


def check_indicators(
    frame: pd.DataFrame,
    raw: RawSheet,
    plan_codes: set,
    action_codes: set,
    issues: IssueList,
) -> None:
    """Each indicator on one action or one plan item, its baseline and its target each with
    their date, a target on the side its direction says is better."""
    error = issues.error
    repeated = frame["code"].notna() & frame.duplicated("code", keep="first")
    for row, code in zip(frame.loc[repeated, "_row"], frame.loc[repeated, "code"], strict=True):
        error(raw.file, raw.name, int(row), "code", str(code), "code d'indicateur en double")
    for record in frame.to_dict("records"):
        row = int(record["_row"])
        action, item = record["action"], record["element"]
        if (action is None) == (item is None):
            error(
                raw.file,
                raw.name,
                row,
                "action",
                _fmt(action),
                "un indicateur porte sur une action (colonne « action ») ou sur un élément du "
                "plan (colonne « element »), l'un ou l'autre",
            )
        if action is not None and action not in action_codes:
            error(raw.file, raw.name, row, "action", action, "action inconnue dans « actions »")
        if item is not None and item not in plan_codes:
            error(raw.file, raw.name, row, "element", item, "élément inconnu dans « plan »")
        for value_column, date_column, what in (
            ("valeur_initiale", "date_initiale", "la valeur initiale"),
            ("cible", "date_cible", "la cible"),
        ):
            value, date = record[value_column], record[date_column]
            if (value is None) != (date is None):
                missing = date_column if date is None else value_column
                error(
                    raw.file,
                    raw.name,
                    row,
                    missing,
                    None,
                    f"{what} et sa date vont ensemble : renseignez les deux ou aucune",
                )
        start, end = record["date_initiale"], record["date_cible"]
        if start is not None and end is not None and end <= start:
            error(
                raw.file,
                raw.name,
                row,
                "date_cible",
                _fmt(end),
                "date de la cible antérieure ou égale à celle de la valeur initiale",
            )
        base, target, direction = record["valeur_initiale"], record["cible"], record["sens"]
        if base is not None and target is not None and direction is not None:
            wrong = target <= base if direction == "hausse" else target >= base
            if wrong:
                expected = "supérieure" if direction == "hausse" else "inférieure"
                error(
                    raw.file,
                    raw.name,
                    row,
                    "cible",
                    _fmt(target),
                    f"sens « {direction} » : la cible doit être {expected} à la valeur "
                    f"initiale ({_fmt(base)})",
                )


def check_measures(
    measures: pd.DataFrame,
    raw: RawSheet,
    indicators: pd.DataFrame | None,
    issues: IssueList,
    today: dt.date | None = None,
) -> None:
    """A measure of a known indicator typed by hand (not one fed by a series), dated in the
    past, once per date; a milestone between the baseline and the target."""
    today = today or dt.date.today()
    known = {}
    if indicators is not None:
        known = {r["code"]: r for r in indicators.to_dict("records") if r["code"] is not None}
    kinds = measures["type"].fillna("mesure")
    repeated = measures.assign(type=kinds).duplicated(["indicateur", "type", "date"], keep="first")
    for record, kind, twice in zip(measures.to_dict("records"), kinds, repeated, strict=True):
        row, code, date = int(record["_row"]), record["indicateur"], record["date"]
        where = (raw.file, raw.name, row)
        if code is None:
            continue
        indicator = known.get(code)
        if indicator is None:
            issues.error(*where, "indicateur", code, "indicateur inconnu dans « indicateurs »")
            continue
        if twice and date is not None:
            issues.error(*where, "date", _fmt(date), f"{kind} en double pour cet indicateur")
        if kind == "mesure":
            if indicator["serie"] is not None:
                issues.error(
                    *where,
                    "indicateur",
                    code,
                    f"indicateur relié à la série « {indicator['serie']} » : ses valeurs "
                    "viennent de la série, retirez cette mesure ou la série",
                )
            if date is not None and date > today:
                issues.error(*where, "date", _fmt(date), "mesure datée dans le futur")
            continue
        start, end = indicator["date_initiale"], indicator["date_cible"]
        if start is None or end is None:
            issues.error(
                *where,
                "type",
                "jalon",
                "jalon d'un indicateur sans valeur initiale ou sans cible datées",
            )
        elif date is not None and not start < date < end:
            issues.error(
                *where,
                "date",
                _fmt(date),
                f"jalon hors de la trajectoire : entre le {_fmt(start)} et le {_fmt(end)}",
            )


def check_alert_rules(rules: pd.DataFrame, raw: RawSheet, issues: IssueList) -> None:
    by_typed = {rule.typed: rule for rule in ALERT_RULES}
    repeated = rules["regle"].notna() & rules.duplicated("regle", keep="first")
    for record, twice in zip(rules.to_dict("records"), repeated, strict=True):
        row, typed, threshold = int(record["_row"]), record["regle"], record["seuil"]
        if typed is None:
            continue
        if twice:
            issues.error(raw.file, raw.name, row, "regle", typed, "règle en double")
        if threshold is None:
            continue
        rule = by_typed[typed]
        integral = rule.unit in ("valeurs", "mois", "jours")
        if threshold < 0 or (integral and threshold != int(threshold)):
            kind = "un nombre entier positif" if integral else "un nombre positif"
            issues.error(
                raw.file, raw.name, row, "seuil", _fmt(threshold), f"seuil attendu : {kind}"
            )
        elif rule.key == "falling_trend" and threshold < 2:
            issues.error(
                raw.file,
                raw.name,
                row,
                "seuil",
                _fmt(threshold),
                "une tendance se lit sur au moins 2 valeurs",
            )


def check_territory(
    tables: dict[str, pd.DataFrame],
    sheets: dict[str, RawSheet],
    plan_codes: set,
    action_codes: set,
    issues: IssueList,
) -> None:
    """Every check of the three sheets of one territory (called by etl.validate)."""
    if "indicateurs" in tables:
        check_indicators(
            tables["indicateurs"], sheets["indicateurs"], plan_codes, action_codes, issues
        )
    if "mesures" in tables:
        check_measures(tables["mesures"], sheets["mesures"], tables.get("indicateurs"), issues)
    if "alertes" in tables:
        check_alert_rules(tables["alertes"], sheets["alertes"], issues)


def check_series(
    parsed: ParsedTerritory, raw: RawSheet | None, known: set[str], issues: IssueList
) -> None:
    """A series named by an indicator is one the warehouse loads (legal population, INSEE
    files of data/indicators)."""
    frame = parsed.tables.get("indicateurs")
    if frame is None or raw is None:
        return
    listed = ", ".join(sorted(known))
    for row, series in zip(frame["_row"], frame["serie"], strict=True):
        if series is not None and series not in known:
            issues.error(
                raw.file,
                raw.name,
                int(row),
                "serie",
                series,
                f"série inconnue ; séries chargées : {listed}",
            )


def _ids(tids: pd.Series, codes: pd.Series) -> list[str | None]:
    return [None if c is None else f"{t}:{c}" for t, c in zip(tids, codes, strict=True)]


def build_result_indicators(
    sheet: pd.DataFrame, plan_items: pd.DataFrame, actions: pd.DataFrame
) -> pd.DataFrame:
    from etl.transform import _provenance_columns

    action_ids = _ids(sheet["_tid"], sheet["action"])
    item_ids = _ids(sheet["_tid"], sheet["element"])
    action_roots = dict(zip(actions["action_id"], actions["root_item_id"], strict=True))
    item_roots = dict(zip(plan_items["item_id"], plan_items["root_id"], strict=True))
    return pd.DataFrame(
        {
            "indicator_id": _ids(sheet["_tid"], sheet["code"]),
            "territory_id": sheet["_tid"].to_numpy(dtype=object),
            "code": sheet["code"].to_numpy(),
            "action_id": action_ids,
            "item_id": item_ids,
            "root_item_id": [
                action_roots.get(a) if a is not None else item_roots.get(i)
                for a, i in zip(action_ids, item_ids, strict=True)
            ],
            "label": sheet["intitule"].to_numpy(),
            "unit": sheet["unite"].to_numpy(),
            "higher_is_better": (sheet["sens"] == "hausse").to_numpy(dtype=bool),
            "baseline_value": sheet["valeur_initiale"].astype("float64").to_numpy(),
            "baseline_date": sheet["date_initiale"].to_numpy(),
            "target_value": sheet["cible"].astype("float64").to_numpy(),
            "target_date": sheet["date_cible"].to_numpy(),
            "series": sheet["serie"].to_numpy(),
            "sort_order": sheet.groupby("_tid", sort=False).cumcount().to_numpy(),
            "source": sheet["source"].to_numpy(),
            **_provenance_columns(sheet),
        }
    )


def build_result_measures(sheet: pd.DataFrame) -> pd.DataFrame:
    from etl.transform import _provenance_columns

    tids = sheet["_tid"].to_numpy(dtype=object)
    numbers = sheet.groupby("_tid", sort=False).cumcount().to_numpy() + 1
    kinds = sheet["type"].fillna("mesure")
    return pd.DataFrame(
        {
            "measure_id": [f"{t}:measure:{n}" for t, n in zip(tids, numbers, strict=True)],
            "territory_id": tids,
            "indicator_id": _ids(sheet["_tid"], sheet["indicateur"]),
            "kind": kinds.map({"mesure": "measure", "jalon": "milestone"}).to_numpy(),
            "measure_date": sheet["date"].to_numpy(),
            "value": sheet["valeur"].astype("float64").to_numpy(),
            "source": sheet["source"].to_numpy(),
            **_provenance_columns(sheet),
        }
    )


def build_alert_rules(territories: list[ParsedTerritory]) -> pd.DataFrame:
    """Every rule for every territory: the sheet `alertes`' threshold, else the default."""
    rows = []
    for parsed in territories:
        typed = parsed.tables.get("alertes")
        given = {}
        if typed is not None:
            given = {r["regle"]: r for r in typed.to_dict("records") if r["regle"] is not None}
        for rule in ALERT_RULES:
            record = given.get(rule.typed, {})
            threshold = record.get("seuil")
            rows.append(
                {
                    "territory_id": parsed.territory_id,
                    "rule": rule.key,
                    "label": rule.label,
                    "threshold": float(rule.default if threshold is None else threshold),
                    "unit": rule.unit,
                    "is_alert": rule.fires,
                    "is_active": record.get("active") is not False,
                    "is_default": threshold is None,
                }
            )
    return pd.DataFrame(rows)


def build_result_tables(
    territories: list[ParsedTerritory], tables: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """The three warehouse tables of results (called by etl.transform.build_plan_tables)."""
    from etl.transform import _stacked_sheet

    return {
        "result_indicators": build_result_indicators(
            _stacked_sheet(territories, "indicateurs"), tables["plan_items"], tables["actions"]
        ),
        "result_measures": build_result_measures(_stacked_sheet(territories, "mesures")),
        "alert_rules": build_alert_rules(territories),
    }
