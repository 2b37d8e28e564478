"""Pilotage territorial: entry point. Sets the page, the territory selector and the navigation."""

from __future__ import annotations

import streamlit as st

from dashboard import components, queries
from dashboard.db import warehouse_path, warehouse_version

st.set_page_config(page_title="Pilotage territorial", page_icon="🗺️", layout="wide")

PAGES = [
    st.Page(
        "pages/overview.py",
        title="Vue d'ensemble",
        icon=":material/dashboard:",
        url_path="vue-d-ensemble",
        default=True,
    ),
    st.Page(
        "pages/plan.py",
        title="Plan d'action",
        icon=":material/account_tree:",
        url_path="plan-d-action",
    ),
    st.Page(
        "pages/funding.py", title="Financements", icon=":material/euro:", url_path="financements"
    ),
    st.Page("pages/map.py", title="Carte des communes", icon=":material/map:", url_path="carte"),
    st.Page(
        "pages/indicators.py",
        title="Indicateurs",
        icon=":material/monitoring:",
        url_path="indicateurs",
    ),
    st.Page(
        "pages/quality.py",
        title="Qualité des données",
        icon=":material/fact_check:",
        url_path="qualite",
    ),
]


def missing_database() -> None:
    st.title("Pilotage territorial")
    st.error("La base de données n'a pas encore été construite.")
    st.markdown(
        "Construisez-la à partir des sources de démonstration (ou des vôtres) :\n\n"
        "```bash\nmake etl        # ou : python -m etl build\n```\n\n"
        f"Fichier attendu : `{warehouse_path()}`. Rechargez ensuite cette page."
    )


if warehouse_version() is None:
    st.navigation(
        [st.Page(missing_database, title="Base absente", icon=":material/warning:")]
    ).run()
else:
    st.sidebar.title("Pilotage territorial")
    components.select_territory(queries.load_territories())
    navigation = st.navigation(PAGES)
    components.render_footer()
    navigation.run()
