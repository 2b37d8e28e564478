"""Results of the plan: indicators with their targets and trajectory, météo and commentary,
alert rules. Loaders read the warehouse views (result_status, result_points, result_alerts),
where every figure is computed once; the helpers here only word them in French."""

from __future__ import annotations

import pandas as pd

from dashboard import queries, tables
from dashboard.formatting import format_date, format_number, format_provenance
from etl.schema import ALERT_RULES

# Situation -> Streamlit Markdown colour of its badge (text first: never colour alone).
STATUS_COLORS = {"en avance": "green", "sur la trajectoire": "blue", "en retard": "red"}
NOT_COMPUTED = "non calculable"
# Météo -> colour of its badge on screen (Chromium has no emoji font on a server).
WEATHER_COLORS = {"soleil": "green", "nuageux": "orange", "orageux": "red"}
COMMENTS_SHOWN = 2  # the commission mode shows the météo and the two most recent comments

RESULT_COLUMNS = [
    ("code", "Code", "text"),
    ("label", "Indicateur", "text"),
    ("subject", "Porte sur", "text"),
    ("root_title", "Premier niveau", "text"),
    ("unit", "Unité", "text"),
    ("direction", "Sens", "text"),
    ("baseline_value", "Valeur initiale", "decimal"),
    ("baseline_date", "Date initiale", "date"),
    ("target_value", "Cible", "decimal"),
    ("target_date", "Date cible", "date"),
    ("latest_value", "Dernière valeur", "decimal"),
    ("latest_date", "Date de la dernière valeur", "date"),
    ("latest_millesime", "Millésime", "text"),
    ("latest_source", "Source de la dernière valeur", "text"),
    ("latest_mark", "Provenance de la dernière valeur", "text"),
    ("share_reached", "Part de la cible atteinte (%)", "decimal"),
    ("expected_value", "Valeur attendue (trajectoire)", "decimal"),
    ("gap_points", "Écart à la trajectoire (points)", "decimal"),
    ("status_label", "Situation", "text"),
    ("source", "Source de l'indicateur", "text"),
    ("is_demo", "Données", "demo"),
]
POINT_COLUMNS = [
    ("indicator_code", "Indicateur", "text"),
    ("indicator_label", "Intitulé", "text"),
    ("point_date", "Date", "date"),
    ("value", "Valeur", "decimal"),
    ("millesime", "Millésime", "text"),
    ("origin", "Origine", "text"),
    ("source", "Source", "text"),
    ("is_demo", "Données", "demo"),
]
REPORT_COLUMNS = [
    c
    for c in RESULT_COLUMNS
    if c[0]
    in (
        "label",
        "latest_value",
        "latest_date",
        "latest_millesime",
        "target_value",
        "target_date",
        "share_reached",
        "gap_points",
        "status_label",
        "is_demo",
    )
]
ALERT_COLUMNS = [
    ("rule_label", "Règle", "text"),
    ("code", "Code", "text"),
    ("subject", "Porte sur", "text"),
    ("detail", "Constat", "text"),
    ("is_demo", "Données", "demo"),
]


def load_result_indicators(territory_id: str) -> pd.DataFrame:
    """Indicators with their computed figures and French labels (direction, situation)."""
    return prepare_indicators(queries.load("result_indicators", territory=territory_id))


def load_result_points(territory_id: str) -> pd.DataFrame:
    return queries.load("result_points", territory=territory_id)


def load_result_anchors(territory_id: str) -> pd.DataFrame:
    return queries.load("result_anchors", territory=territory_id)


def load_result_alerts(territory_id: str) -> pd.DataFrame:
    alerts = queries.load("result_alerts", territory=territory_id)
    return alerts.assign(detail=[describe_alert(row) for row in alerts.to_dict("records")])


def load_result_notes(territory_id: str) -> pd.DataFrame:
    return queries.load("result_notes", territory=territory_id)


def load_alert_rules(territory_id: str) -> pd.DataFrame:
    return queries.load("alert_rules", territory=territory_id)


def load_explorer_results(territory_id: str) -> pd.DataFrame:
    """Every measured point with its indicator's dimensions: the Explorateur's dataset."""
    indicators = load_result_indicators(territory_id)
    return build_point_table(load_result_points(territory_id), indicators)


def build_result_sheets(territory_id: str) -> dict[str, pd.DataFrame]:
    """The « Résultats » and « Mesures » sheets of the plan workbook, with provenance."""
    indicators = load_result_indicators(territory_id)
    points = build_point_table(load_result_points(territory_id), indicators)
    return {
        "Résultats": tables.to_export(indicators, RESULT_COLUMNS),
        "Mesures": tables.to_export(points, POINT_COLUMNS),
    }


def scope_results(
    territory_id: str, root_item_id: str | None, action_ids: set[str] | None
) -> tuple[pd.DataFrame, list[tuple[str, str, list[str]]]]:
    """The indicators of a report's scope (a first-level item, the actions of a contract, or
    the whole plan) and the météo of its first-level items: (title, weather, comments)."""
    indicators = load_result_indicators(territory_id)
    if root_item_id is not None:
        indicators = indicators[indicators["root_item_id"] == root_item_id]
    elif action_ids is not None:
        indicators = indicators[indicators["action_id"].isin(action_ids)]
    notes = load_result_notes(territory_id)
    items = queries.load_plan_items(territory_id)
    roots = items[items["depth"] == 1].sort_values("sort_order")
    if root_item_id is not None:
        roots = roots[roots["item_id"] == root_item_id]
    elif action_ids is not None:
        roots = roots.iloc[0:0]
    glance = []
    for root in roots.itertuples():
        weather, comments = latest_weather_and_comments(notes, item_id=root.item_id)
        glance.append(
            (
                f"{root.level.capitalize()} {root.code} — {root.title}",
                describe_weather(weather),
                [f"{describe_note(n)} — {n['text']}" for _, n in comments.iterrows()],
            )
        )
    return indicators, glance


def status_label(status: object) -> str:
    return status if isinstance(status, str) else NOT_COMPUTED


def prepare_indicators(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(
        direction=frame["higher_is_better"].map({True: "hausse", False: "baisse"}),
        status_label=frame["trajectory_status"].map(status_label),
        latest_mark=frame["latest_provenance"].map(format_provenance),
    )


def build_point_table(points: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Measured points with their indicator's code, label, subject and first-level item."""
    about = indicators.set_index("indicator_id")
    return points.assign(
        indicator_code=points["indicator_id"].map(about["code"]),
        indicator_label=points["indicator_id"].map(about["label"]),
        subject=points["indicator_id"].map(about["subject"]),
        root_title=points["indicator_id"].map(about["root_title"]),
        unit=points["indicator_id"].map(about["unit"]),
        year=pd.to_datetime(points["point_date"]).dt.year.astype("Int64"),
    )


def format_value(value: object, unit: object = None) -> str:
    """1 234,5 logements; « non renseigné » when missing."""
    if value is None or pd.isna(value):
        return "non renseigné"
    decimals = 0 if float(value).is_integer() else 1
    text = format_number(value, decimals)
    return f"{text} {unit}" if isinstance(unit, str) and unit else text


def describe_latest(indicator: pd.Series) -> str:
    """« 88 logements au 31/12/2025 (démo) » or « 55 381 habitants, COG 2026 »."""
    if pd.isna(indicator["latest_value"]):
        return "Aucune valeur mesurée"
    text = format_value(indicator["latest_value"], indicator["unit"])
    if isinstance(indicator["latest_millesime"], str):
        text += f", {indicator['latest_millesime']}"
    else:
        text += f" au {format_date(indicator['latest_date'])}"
    mark = format_provenance(indicator["latest_provenance"])
    return f"{text} ({mark})" if mark else text


def format_short(value: object, provenance: object = None) -> str:
    """The number alone with its provenance mark (« 88 (démo) »): a metric's value."""
    if value is None or pd.isna(value):
        return "non renseigné"
    text = format_value(value)
    mark = format_provenance(provenance)
    return f"{text} ({mark})" if mark else text


def describe_dates(indicator: pd.Series) -> str:
    """What the metrics' numbers leave out: dates, millésime, provenance, baseline."""
    parts = []
    if not pd.isna(indicator["latest_value"]):
        when = (
            indicator["latest_millesime"]
            if isinstance(indicator["latest_millesime"], str)
            else f"au {format_date(indicator['latest_date'])}"
        )
        parts.append(f"dernière valeur {when}")
    if not pd.isna(indicator["target_value"]):
        parts.append(f"cible au {format_date(indicator['target_date'])}")
    if not pd.isna(indicator["baseline_value"]):
        parts.append(
            f"valeur initiale {format_value(indicator['baseline_value'])} au "
            f"{format_date(indicator['baseline_date'])}"
        )
    text = " ; ".join(parts)
    return text[:1].upper() + text[1:]


def describe_target(indicator: pd.Series) -> str:
    if pd.isna(indicator["target_value"]):
        return "non renseignée"
    text = format_value(indicator["target_value"], indicator["unit"])
    return f"{text} au {format_date(indicator['target_date'])}"


def describe_gap(indicator: pd.Series) -> str:
    if pd.isna(indicator["gap_points"]):
        return NOT_COMPUTED
    gap = float(indicator["gap_points"])
    sign = "+" if gap > 0 else ("−" if gap < 0 else "")
    return f"{sign}{format_number(abs(gap), 1)} points"


def describe_alert(alert: dict) -> str:
    """The French statement of what a rule observed, with its threshold."""
    rule, observed, threshold = alert["rule"], alert["observed"], alert["threshold"]
    known = observed is not None and not pd.isna(observed)
    if rule == "behind_trajectory":
        return (
            f"{alert['indicator_label']} : {format_number(observed, 1)} points de retard sur "
            f"la trajectoire (seuil {format_number(threshold)} points)"
        )
    if rule == "target_missed":
        return (
            f"{alert['indicator_label']} : cible non atteinte, échéance passée depuis "
            f"{format_number(observed)} jour(s)"
        )
    if rule == "falling_trend":
        return (
            f"{alert['indicator_label']} : s'éloigne de la cible à chacune des "
            f"{format_number(threshold)} dernières valeurs"
        )
    if rule == "stale_indicator":
        since = f"dernière valeur il y a {format_number(observed)} mois" if known else "jamais"
        return f"{alert['indicator_label']} : {since} (seuil {format_number(threshold)} mois)"
    if rule == "weather_missing":
        if not known:
            return "Aucune météo donnée"
        return (
            f"Dernière météo il y a {format_number(observed)} mois "
            f"(seuil {format_number(threshold)} mois)"
        )
    if rule == "funding_gap":
        return (
            f"{format_number(observed)} % des dépenses prévues sans financement accordé "
            f"(seuil {format_number(threshold)} %)"
        )
    return ""


def rule_labels() -> list[str]:
    """The French labels of the rules that fire, in their declared order."""
    return [rule.label for rule in ALERT_RULES if rule.fires]


def latest_weather_and_comments(
    notes: pd.DataFrame, *, item_id: str | None = None, action_id: str | None = None
) -> tuple[pd.Series | None, pd.DataFrame]:
    """The latest météo of one plan item or action and its most recent comments (newest
    first, COMMENTS_SHOWN of them). `notes`: load_result_notes, newest first."""
    column, wanted = ("item_id", item_id) if item_id is not None else ("action_id", action_id)
    mine = notes[notes[column] == wanted]
    weathers = mine[mine["weather"].notna()]
    weather = weathers.iloc[0] if not weathers.empty else None
    return weather, mine.head(COMMENTS_SHOWN)


def describe_weather(weather: pd.Series | None, named: bool = True) -> str:
    """« nuageux le 01/10/2026 — Direction générale des services : raison (démo) »; without the
    météo's word when `named` is false (a badge beside it says it already)."""
    if weather is None:
        return "Météo non renseignée" if named else "non renseignée"
    text = f"le {format_date(weather['note_date'])}"
    if named:
        text = f"{weather['weather']} {text}"
    if isinstance(weather["author"], str):
        text += f" — {weather['author']}"
    if isinstance(weather["weather_reason"], str):
        text += f" : {weather['weather_reason']}"
    mark = format_provenance(weather["provenance"])
    return f"{text} ({mark})" if mark else text


def describe_note(note: pd.Series) -> str:
    """« 01/10/2026 · avancement · Direction générale des services (démo) »."""
    parts = [format_date(note["note_date"])]
    for column in ("note_type", "author"):
        if isinstance(note[column], str):
            parts.append(note[column])
    text = " · ".join(parts)
    mark = format_provenance(note["provenance"])
    return f"{text} ({mark})" if mark else text


def indicator_summary(indicator: pd.Series) -> str:
    """One French sentence for screen readers and the PDF: value, target, situation."""
    return (
        f"{indicator['label']} : dernière valeur {describe_latest(indicator)}, cible "
        f"{describe_target(indicator)}, situation {status_label(indicator['trajectory_status'])}."
    )
