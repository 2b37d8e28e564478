"""Pilotage territorial: entry point. Sets the page, the territory selector and the navigation."""

from __future__ import annotations

import streamlit as st

from dashboard import auth
from dashboard.db import warehouse_path, warehouse_version
from dashboard.navigation import PAGE_SPECS
from dashboard.ui import accessibility, action_update, context

st.set_page_config(page_title="Pilotage territorial", page_icon="🗺️", layout="wide")
accessibility.render_global_assets()  # French document, skip link, focus, contrast
USER = auth.gate()  # stops here when reading is protected and nobody is signed in

PAGES = [
    st.Page(
        f"pages/{file}.py",
        title=title,
        icon=f":material/{icon}:",
        url_path=path,
        default=index == 0,
        visibility="visible" if auth.page_listed(file, USER) else "hidden",
    )
    for index, (file, title, icon, path) in enumerate(PAGE_SPECS)
    if auth.page_visible(file, USER)
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
    # Navigation first, then the shared sidebar. (Known upstream issue streamlit#8860: the very
    # first session of a freshly started headless server that opens a deep link sees a
    # "Page not found" notice above the right page; later sessions do not.)
    navigation = st.navigation(PAGES, expanded=True)  # every page listed, none behind « more »
    st.sidebar.title("Pilotage territorial")
    context.select_territory()
    auth.render_account(USER)
    context.render_footer()
    accessibility.render_statement_link()
    action_update.render_live_refresh()  # another session's publication shows within a second
    navigation.run()
