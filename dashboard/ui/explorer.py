"""Streamlit pieces of the Explorateur page: pivot builder, SQL console, favourites.

Every choice lives in the URL (`mode`, `jeu`, `lignes`, `colonnes`, `mesure`, `agg`, `filtre`,
`valeurs`, `sql`), so a link or a favourite reproduces the same table and chart."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import explorer, favorites, queries, sql_console
from dashboard.db import ROOT, warehouse_path, warehouse_version
from dashboard.formatting import format_number, plural
from dashboard.restricted_warehouse import build_restricted_warehouse
from dashboard.territory import Territory
from dashboard.ui.chart_view import render_chart
from dashboard.ui.context import readable_territory_ids
from dashboard.ui.downloads import render_downloads
from dashboard.ui.widgets import safe_text, sync_query_params

CONSOLE_CACHE = ROOT / "data" / ".cache" / "console"
MODES = {"pivot": "Tableau croisé", "sql": "SQL"}
PIVOT_PARAMS = ["jeu", "lignes", "colonnes", "mesure", "mesure2", "agg", "filtre", "valeurs"]
SQL_PARAMS = ["sql"]
ALL_PARAMS = ["mode", *PIVOT_PARAMS, *SQL_PARAMS]
LIST_SEPARATOR = "|"
PAGE_SIZE = 100
KEYS = {
    "mode": "ex_mode",
    "jeu": "ex_dataset",
    "lignes": "ex_rows",
    "colonnes": "ex_columns",
    "mesure": "ex_measure",
    "mesure2": "ex_measure2",
    "agg": "ex_agg",
    "filtre": "ex_filter",
    "valeurs": "ex_values",
    "sql": "ex_sql",
}


def _from_url(param: str, default: object, options: list | None = None, many: bool = False):
    """Seed a widget from the URL once per session (then the widget leads)."""
    key = KEYS[param]
    if key in st.session_state:
        return
    raw = st.query_params.get(param)
    value: object = default
    if raw is not None:
        value = [v for v in raw.split(LIST_SEPARATOR) if v] if many else raw
    if options is not None:
        if many:
            value = [v for v in value if v in options]
        elif value not in options:
            value = default
    st.session_state[key] = value


def select_mode() -> str:
    _from_url("mode", "pivot", list(MODES))
    mode = st.segmented_control("Mode", list(MODES), format_func=MODES.get, key=KEYS["mode"])
    return mode or "pivot"


def _reset_pivot() -> None:
    for param in PIVOT_PARAMS[1:]:
        st.session_state.pop(KEYS[param], None)
        st.query_params.pop(param, None)


def render_pivot_builder(territory: Territory) -> None:
    """Dataset, rows, columns, measure, aggregation and one filter; the pivot and its chart."""
    territory_id = territory.territory_id
    _from_url("jeu", "actions", list(explorer.DATASETS))
    key = st.selectbox(
        "Données",
        list(explorer.DATASETS),
        format_func=lambda k: explorer.DATASETS[k].label,
        key=KEYS["jeu"],
        on_change=_reset_pivot,
    )
    dataset = explorer.DATASETS[key]
    frame = explorer.prepare(key, getattr(queries, dataset.loader)(territory_id))
    dims, measures = dataset.dimensions, {explorer.COUNT: "Nombre de lignes", **dataset.measures}
    first = list(dims)
    _from_url("lignes", first[:1], first, many=True)
    _from_url("colonnes", "", ["", *first])
    _from_url("mesure", explorer.COUNT, list(measures))
    _from_url("mesure2", "", ["", *dataset.measures])
    _from_url("agg", "sum", list(explorer.AGGREGATIONS))
    _from_url("filtre", "", ["", *first])
    left, middle, right = st.columns(3)
    rows = left.multiselect(
        "Lignes", first, format_func=dims.get, max_selections=2, key=KEYS["lignes"]
    )
    columns = middle.selectbox(
        "Colonnes",
        ["", *first],
        format_func=lambda c: dims.get(c, "(aucune)"),
        key=KEYS["colonnes"],
    )
    measure = right.selectbox(
        "Mesure", list(measures), format_func=measures.get, key=KEYS["mesure"]
    )
    left, middle, right = st.columns(3)
    aggregation = left.selectbox(
        "Agrégation",
        list(explorer.AGGREGATIONS),
        format_func=explorer.AGGREGATIONS.get,
        key=KEYS["agg"],
        help="Sans effet sur « Nombre de lignes », qui compte toujours.",
    )
    second = middle.selectbox(
        "Seconde mesure (nuage de points)",
        ["", *dataset.measures],
        format_func=lambda m: measures.get(m, "(aucune)"),
        key=KEYS["mesure2"],
        help="Une ligne par élément, les deux mesures en abscisse et en ordonnée.",
    )
    filter_on = right.selectbox(
        "Filtrer sur", ["", *first], format_func=lambda c: dims.get(c, "(aucun filtre)"),
        key=KEYS["filtre"],
    )  # fmt: skip
    chosen: list[str] = []
    if filter_on:
        options = sorted(frame[filter_on].unique().tolist())
        _from_url("valeurs", [], options, many=True)
        chosen = st.multiselect(
            f"Valeurs de « {dims[filter_on]} »", options, key=KEYS["valeurs"], placeholder="Toutes"
        )
    shared = {
        "mode": "pivot",
        "jeu": key,
        "lignes": LIST_SEPARATOR.join(rows),
        "colonnes": columns,
        "mesure": measure,
        "mesure2": second,
        "agg": aggregation,
        "filtre": filter_on,
        "valeurs": LIST_SEPARATOR.join(chosen),
    }
    sync_query_params({k: v for k, v in shared.items() if v}, ["mode", *PIVOT_PARAMS, "sql"])
    if not rows:
        st.info("Choisissez au moins une dimension en lignes.")
        return
    if second and columns:
        st.warning("Le nuage de points compare deux mesures : retirez la dimension en colonnes.")
        return
    if columns and columns in rows:
        st.warning("La dimension en colonnes est déjà en lignes : choisissez-en une autre.")
        return
    filtered = explorer.apply_filters(frame, {filter_on: chosen} if filter_on else {})
    if filtered.empty:
        st.info("Aucune ligne ne correspond au filtre.")
        return
    pivot = explorer.build_pivot(
        filtered, rows, columns or None, measure, aggregation, second or None
    )
    labels = {**dims, **measures}
    render_pivot_table(pivot, labels, decimals=1 if aggregation in ("mean", "median") else 0)
    kind = explorer.chart_kind(rows, columns or None, dataset.years, second or None)
    render_chart(
        explorer.build_pivot_figure(pivot, rows, columns or None, kind, labels),
        f"{labels.get(measure, measure)} par "
        + ", ".join(labels.get(r, r) for r in rows)
        + ""
        + (f" et {labels.get(columns, columns)}" if columns else "")
        + f", {plural(len(pivot), 'ligne')} : les valeurs du tableau croisé ci-dessus.",
        key="explorer_pivot_chart",
    )
    st.caption(f"{format_number(len(filtered))} ligne(s) de « {dataset.label} » prises en compte.")


def render_pivot_table(pivot: pd.DataFrame, labels: dict[str, str], decimals: int) -> None:
    """French numbers on screen; the raw numbers in the CSV / Excel downloads."""
    named = pivot.rename(columns=labels)
    shown = named.copy()
    for column in shown.columns[len(shown.columns) - len(pivot.columns) :]:
        if pd.api.types.is_numeric_dtype(shown[column]):
            shown[column] = shown[column].map(lambda v: format_number(v, decimals))
    st.dataframe(shown, hide_index=True, key="explorer_pivot")
    render_downloads(named, "tableau_croise", "explorer_pivot_export")


def _use_example(territory_id: str) -> None:
    name = st.session_state.get("ex_example")
    if name:
        st.session_state[KEYS["sql"]] = sql_console.example_sql(name, territory_id)


def render_sql_console(territory: Territory) -> None:
    """Editor with examples and the documented tables beside it; result, chart and export."""
    territory_id = territory.territory_id
    editor, reference = st.columns([3, 2])
    with editor:
        st.selectbox(
            "Exemples de requêtes",
            list(sql_console.EXAMPLES),
            index=None,
            placeholder="Choisir un exemple…",
            key="ex_example",
            on_change=_use_example,
            args=(territory_id,),
        )
        first_example = next(iter(sql_console.EXAMPLES))
        _from_url("sql", sql_console.example_sql(first_example, territory_id))
        sql = st.text_area("Requête SQL (lecture seule)", height=220, key=KEYS["sql"])
        run = st.button("Exécuter", type="primary", key="ex_run", shortcut="Ctrl+Enter")
        st.caption(
            f"Une requête SELECT à la fois ; {format_number(sql_console.ROW_LIMIT)} lignes, "
            f"{sql_console.TIME_LIMIT_S:g} s et {format_number(sql_console.MEMORY_LIMIT_MB)} Mo "
            "au plus ; ni fichiers, ni URL, ni extensions, ni réglages du serveur."
        )
    with reference:
        render_schema_reference()
    if run or ("sql" in st.query_params and "ex_result" not in st.session_state):
        sync_query_params({"mode": "sql", "sql": sql}, ["mode", *PIVOT_PARAMS, "sql"])
        st.session_state["ex_result"] = _run(sql)
        st.session_state.pop("ex_page", None)
    outcome = st.session_state.get("ex_result")
    if outcome is not None:
        render_sql_result(outcome)


def console_warehouse() -> Path:
    """The file the console reads: the published warehouse, or a copy holding only the
    territories this person may read (so no query can reach another's rows)."""
    readable = readable_territory_ids()
    if readable is None:
        return warehouse_path()
    return build_restricted_warehouse(
        warehouse_path(), warehouse_version() or "", readable, CONSOLE_CACHE
    )


def _run(sql: str) -> sql_console.ConsoleResult | str:
    try:
        return sql_console.run_query(console_warehouse(), sql)
    except sql_console.ConsoleError as error:
        return str(error)


def render_sql_result(outcome: sql_console.ConsoleResult | str) -> None:
    if isinstance(outcome, str):
        st.error(safe_text(outcome))
        return
    frame = outcome.frame
    message = f"{format_number(len(frame))} ligne(s) en {format_number(outcome.seconds, 2)} s."
    if outcome.truncated:
        st.warning(
            f"Résultat tronqué à {format_number(sql_console.ROW_LIMIT)} lignes : "
            "ajoutez des filtres ou agrégez. " + message
        )
    else:
        st.caption(message)
    pages = max(1, -(-len(frame) // PAGE_SIZE))
    page = 1
    if pages > 1:
        page = st.number_input("Page", 1, pages, 1, key="ex_page", help=f"{pages} pages")
    st.dataframe(sql_console.page_of(frame, page, PAGE_SIZE), hide_index=True, key="ex_table")
    render_downloads(frame, "requete", "explorer_sql_export")
    figure = explorer.build_result_figure(frame)
    if figure is not None:
        render_chart(
            figure,
            f"résultat de la requête, {plural(len(frame), 'ligne')} : les valeurs du tableau "
            "ci-dessus.",
            key="explorer_sql_chart",
        )


@st.cache_data(show_spinner=False)
def _schema_doc() -> dict:
    return sql_console.read_schema_doc()


def render_schema_reference() -> None:
    """One documented table or view at a time: its description and columns."""
    doc = _schema_doc()
    table = st.selectbox("Tables et vues documentées", list(doc), key="ex_doc_table")
    description, columns = doc[table]
    if description:
        st.caption(description)
    if columns:
        st.dataframe(
            pd.DataFrame(columns, columns=["Colonne", "Signification"]),
            hide_index=True,
            key="ex_doc_columns",
        )
    st.caption("Descriptions reprises de docs/schema.md (documentation technique, en anglais).")


def current_params(mode: str) -> dict[str, str]:
    """The URL parameters that reproduce the current view (what a favourite keeps)."""
    wanted = ["mode", *(PIVOT_PARAMS if mode == "pivot" else SQL_PARAMS)]
    return {p: st.query_params[p] for p in wanted if p in st.query_params}


def _open_favorite(params: dict[str, str]) -> None:
    for key in [*KEYS.values(), "ex_result", "ex_page"]:
        st.session_state.pop(key, None)
    siren = st.query_params.get("territoire")
    st.query_params.from_dict({"territoire": siren, **params} if siren else params)


def render_favorites(territory: Territory, mode: str) -> None:
    """Save the current view under a name, reopen or delete a saved one (per territory)."""
    territory_id = territory.territory_id
    st.subheader("Favoris du territoire")
    saved = favorites.list_favorites(territory_id)
    left, right = st.columns(2)
    with left:
        name = st.text_input("Nom du favori", key="ex_fav_name", max_chars=favorites.MAX_NAME)
        if st.button("Enregistrer la vue actuelle", key="ex_fav_save"):
            try:
                kept = favorites.save_favorite(territory_id, name, current_params(mode))
                st.success(f"Favori « {safe_text(kept)} » enregistré.")
                saved = favorites.list_favorites(territory_id)
            except favorites.FavoriteError as error:
                st.error(str(error))
    with right:
        if not saved:
            st.caption("Aucun favori enregistré pour ce territoire.")
            return
        chosen = st.selectbox("Favoris enregistrés", list(saved), key="ex_fav_pick")
        open_col, delete_col = st.columns(2)
        if open_col.button("Ouvrir", key="ex_fav_open"):
            _open_favorite(saved[chosen])
            st.rerun()
        if delete_col.button("Supprimer", key="ex_fav_delete"):
            favorites.delete_favorite(territory_id, chosen)
            st.rerun()
