"""Streamlit pieces of the results: an indicator's card (value, target, share reached, gap,
situation, trajectory chart), the météo and latest comments of a plan item or action, the
« Résultats » view of a first-level item, the alerts of « À surveiller » and the commission
screen of a first-level item's results."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import result_charts, results, tables
from dashboard.formatting import format_number
from dashboard.territory import Territory
from dashboard.ui.chart_view import render_chart
from dashboard.ui.downloads import render_downloads
from dashboard.ui.widgets import render_kpis, safe_text

ITEM_PARAM = "element"


def render_indicator(
    indicator: pd.Series, points: pd.DataFrame, anchors: pd.DataFrame, key: str
) -> None:
    """One indicator: its figures as metrics, then its trajectory chart with its data."""
    mine = points[points["indicator_id"] == indicator["indicator_id"]]
    path = anchors[anchors["indicator_id"] == indicator["indicator_id"]]
    with st.container(border=True):
        status = results.status_label(indicator["trajectory_status"])
        color = results.STATUS_COLORS.get(status, "gray")
        title = f"**{safe_text(indicator['label'])}** · :{color}-badge[{status}]"
        if indicator["is_demo"]:
            title += " · *démo*"
        st.markdown(title)
        sense = "plus c'est haut, mieux c'est"
        if not indicator["higher_is_better"]:
            sense = "plus c'est bas, mieux c'est"
        caption = f"{safe_text(indicator['subject'])} — {sense}"
        if isinstance(indicator["series"], str):
            caption += f" — valeurs de la série « {safe_text(indicator['series'])} »"
        st.caption(caption)
        unit = f" ({indicator['unit']})" if isinstance(indicator["unit"], str) else ""
        share = indicator["share_reached"]
        gap = indicator["gap_points"]
        render_kpis(
            [
                (
                    f"Dernière valeur{unit}",
                    results.format_short(indicator["latest_value"], indicator["latest_provenance"]),
                    None,
                ),
                (f"Cible{unit}", results.format_short(indicator["target_value"]), None),
                (
                    "Part de la cible atteinte",
                    "non calculable" if pd.isna(share) else f"{format_number(share, 1)} %",
                    "(dernière valeur − valeur initiale) / (cible − valeur initiale)",
                ),
                (
                    "Écart (points)",
                    results.describe_gap(indicator).removesuffix(" points"),
                    "Écart à la trajectoire : part atteinte moins la part que la trajectoire "
                    "(linéaire de la valeur initiale à la cible, par les jalons) attend à la "
                    "date de la dernière "
                    f"valeur. Sur la trajectoire à ± {format_number(indicator['tolerance_points'])}"
                    " points près ; au-delà : en avance ou en retard."
                    if not pd.isna(gap)
                    else None,
                ),
            ],
            columns=4,
        )
        st.caption(safe_text(results.describe_dates(indicator)))
        if mine.empty and path.empty:
            st.caption("Ni valeur mesurée ni trajectoire : rien à tracer.")
            return
        data = tables.to_display(
            results.build_point_table(mine, indicator.to_frame().T), results.POINT_COLUMNS
        )
        render_chart(
            result_charts.build_trajectory_figure(indicator, mine, path),
            results.indicator_summary(indicator),
            data,
            key=f"{key}_chart",
        )
        if isinstance(indicator["latest_source"], str):
            st.caption(f"Source de la dernière valeur : {safe_text(indicator['latest_source'])}")


def render_indicators(
    territory: Territory, indicators: pd.DataFrame, key: str, empty: str | None = None
) -> None:
    """Every indicator of `indicators` (a slice of load_result_indicators) as cards."""
    if indicators.empty:
        if empty:
            st.info(empty)
        return
    points = results.load_result_points(territory.territory_id)
    anchors = results.load_result_anchors(territory.territory_id)
    for position, (_, indicator) in enumerate(indicators.iterrows()):
        render_indicator(indicator, points, anchors, f"{key}_{position}")


def render_weather(
    notes: pd.DataFrame,
    *,
    item_id: str | None = None,
    action_id: str | None = None,
    comments_shown: bool = True,
) -> None:
    """The latest météo and (unless the page lists every note already, as the fiche action's
    « Suivi » does) the two most recent comments, dated and authored."""
    weather, comments = results.latest_weather_and_comments(
        notes, item_id=item_id, action_id=action_id
    )
    badge = ""
    if weather is not None:
        color = results.WEATHER_COLORS.get(weather["weather"], "gray")
        badge = f":{color}-badge[{safe_text(weather['weather'])}] "
    described = results.describe_weather(weather, named=False)
    st.markdown(f"**Météo** : {badge}{safe_text(described)}")
    if not comments_shown:
        return
    if comments.empty:
        st.caption("Aucun commentaire.")
    for _, note in comments.iterrows():
        st.markdown(f"- *{safe_text(results.describe_note(note))}* — {safe_text(note['text'])}")


def render_action_results(territory: Territory, action: pd.Series) -> None:
    """The fiche action's « Résultats »: its météo, its comments and its indicators."""
    notes = results.load_result_notes(territory.territory_id)
    render_weather(notes, action_id=action["action_id"], comments_shown=False)
    indicators = results.load_result_indicators(territory.territory_id)
    render_indicators(
        territory,
        indicators[indicators["action_id"] == action["action_id"]],
        "action_results",
        "Aucun indicateur de résultat pour cette action (feuille « indicateurs »).",
    )


def select_root_item(items: pd.DataFrame) -> pd.Series | None:
    """First-level item chosen by `?element=<code>` (kept in the URL) or in a selector."""
    roots = items[items["depth"] == 1].sort_values("sort_order")
    if roots.empty:
        st.info("Aucun élément du plan pour ce territoire.")
        return None
    codes = roots["code"].tolist()
    titles = dict(zip(roots["code"], roots["title"], strict=True))
    levels = dict(zip(roots["code"], roots["level"], strict=True))
    if st.session_state.get("results_item") not in codes:
        wanted = st.query_params.get(ITEM_PARAM)
        st.session_state["results_item"] = wanted if wanted in codes else codes[0]
    code = st.selectbox(
        "Élément du plan",
        codes,
        key="results_item",
        format_func=lambda c: f"{levels[c].capitalize()} {c} — {titles[c]}",
    )
    st.query_params[ITEM_PARAM] = code
    return roots[roots["code"] == code].iloc[0]


def render_results_overview(territory: Territory, indicators: pd.DataFrame) -> None:
    """Count of indicators by situation, the table of them all and its exports."""
    counts = indicators["status_label"].value_counts()
    render_kpis(
        [
            ("Indicateurs", format_number(len(indicators)), None),
            *[
                (label.capitalize(), format_number(counts.get(label, 0)), None)
                for label in (*results.STATUS_COLORS, results.NOT_COMPUTED)
            ],
        ],
        columns=5,
    )
    with st.expander("Tous les indicateurs du territoire (tableau et exports)"):
        st.dataframe(
            tables.to_display(indicators, results.RESULT_COLUMNS),
            hide_index=True,
            key="results_table",
        )
        render_downloads(
            tables.to_export(indicators, results.RESULT_COLUMNS),
            f"resultats_{territory.territory_id}",
            "results_export",
        )


def render_item_results(territory: Territory, root: pd.Series) -> None:
    """One first-level item: météo and comments, then its indicators and its actions'."""
    notes = results.load_result_notes(territory.territory_id)
    render_weather(notes, item_id=root["item_id"])
    indicators = results.load_result_indicators(territory.territory_id)
    scoped = indicators[indicators["root_item_id"] == root["item_id"]]
    render_indicators(
        territory,
        scoped,
        "item_results",
        "Aucun indicateur de résultat sous cet élément du plan.",
    )


def render_result_alerts(territory: Territory) -> None:
    """« À surveiller » on results: each alert with the rule that fired, by rule."""
    alerts = results.load_result_alerts(territory.territory_id)
    rules = results.load_alert_rules(territory.territory_id)
    if alerts.empty:
        st.success("Aucune règle d'alerte ne se déclenche sur les résultats.")
    else:
        labels = [label for label in results.rule_labels() if label in set(alerts["rule_label"])]
        tabs = st.tabs(
            [f"{label} ({int((alerts['rule_label'] == label).sum())})" for label in labels]
        )
        for tab, label in zip(tabs, labels, strict=True):
            with tab:
                shown = alerts[alerts["rule_label"] == label]
                st.dataframe(
                    tables.to_display(shown, results.ALERT_COLUMNS),
                    hide_index=True,
                    key=f"result_alerts_{label}",
                )
    active = rules[rules["is_alert"] & rules["is_active"]]
    st.caption(
        "Règles et seuils : "
        + " ; ".join(
            f"{safe_text(r.label)} ({format_number(r.threshold)} {r.unit}"
            + (")" if r.is_default else ", seuil du territoire)")
            for r in active.itertuples()
        )
        + ". Seuils par territoire : feuille « alertes » du modèle."
    )


def render_commission_glance(territory: Territory, root_id: str) -> None:
    """One glance for the commission: the item's météo and its two most recent comments."""
    render_weather(results.load_result_notes(territory.territory_id), item_id=root_id)


def render_commission_results(territory: Territory, root_id: str) -> None:
    """The commission screen of a first-level item's results (for the agenda): météo,
    comments, then each indicator with its trajectory."""
    render_commission_glance(territory, root_id)
    indicators = results.load_result_indicators(territory.territory_id)
    render_indicators(
        territory,
        indicators[indicators["root_item_id"] == root_id],
        "commission_results",
        "Aucun indicateur de résultat sous cet élément du plan.",
    )
