"""What every page needs for accessibility (RGAA 4.1 / WCAG 2.2 AA), set up once by app.py:
the French language of the document, a French skip link, visible focus, contrasted secondary
text, French labels for the strings Streamlit's front end writes in English, and the
« Accessibilité » mention of the sidebar footer."""

from __future__ import annotations

import json
import os
import string
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.ui.chart_view import PLOTLY_CONFIG

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
GLOBAL_CSS = TEMPLATES / "a11y.css"
GLOBAL_JS = TEMPLATES / "a11y.js"
STREAMLIT_FRENCH = TEMPLATES / "streamlit_fr.json"
STATEMENT_PAGE = "pages/accessibility.py"
# The statement's conformity level, also the footer mention (RGAA: « Accessibilité : … »). With
# no complete RGAA audit yet, the rules say « non conforme », whatever the self-audit found.
CONFORMITY = "non conforme"


@st.cache_resource
def _global_script() -> str:
    """a11y.js with its stylesheet and French strings (Streamlit's, then plotly's modebar titles
    for the charts not yet drawn by chart_view); read once per server process."""
    translations = {
        **PLOTLY_CONFIG["locales"]["fr"]["dictionary"],
        **json.loads(STREAMLIT_FRENCH.read_text(encoding="utf-8")),
    }
    script = GLOBAL_JS.read_text(encoding="utf-8")
    script = script.replace("__STYLES__", _js_literal(GLOBAL_CSS.read_text(encoding="utf-8")))
    return script.replace("__TRANSLATIONS__", _js_literal(translations))


def _js_literal(value: object) -> str:
    """`value` as a JavaScript literal with no "<" (the front end's sanitiser drops a script
    whose text looks like markup)."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


def render_global_assets() -> None:
    """The global script, which adds the stylesheet; it keeps one copy per tab however often it
    is rendered. (A style-only st.html is dropped by the front end's sanitiser.)"""
    st.html(f"<script>{_global_script()}</script>", unsafe_allow_javascript=True)


def render_statement_link() -> None:
    """The mandatory footer mention, a link to the accessibility statement."""
    st.sidebar.page_link(
        STATEMENT_PAGE, label=f"Accessibilité : {CONFORMITY}", icon=":material/accessibility:"
    )


STATEMENT = TEMPLATES / "accessibility.md"
# The self-audit's result: written by hand after each audit, checked by tests/test_accessibility.py
# (its "known" list must equal what axe finds, so the statement cannot drift from the app).
AUDIT = TEMPLATES / "accessibility_audit.json"
DEFAULT_ORGANISATION = "La collectivité qui publie ce tableau de bord"
DEFAULT_CONTACT = "le service qui administre ce tableau de bord"


def load_audit() -> dict:
    return json.loads(AUDIT.read_text(encoding="utf-8"))


def build_statement(organisation: str | None = None, contact: str | None = None) -> str:
    """The accessibility statement (Markdown, RGAA model) filled with the audit's results."""
    from dashboard.navigation import PAGE_SPECS  # the pages that were checked

    audit = load_audit()
    known = audit["known"]
    issues = "\n".join(
        [f"- **{item['page_title']}** : {item['description']}" for item in known]
        + [f"- {limit}" for limit in audit["limits"]]
    )
    counts = ", ".join(f"{item['page_title']} : {item['count']}" for item in known)
    values = {
        "organisation": organisation
        or os.environ.get("PILOTAGE_ORGANISATION", DEFAULT_ORGANISATION),
        "contact": contact or os.environ.get("PILOTAGE_CONTACT_ACCESSIBILITE", DEFAULT_CONTACT),
        "conformity": CONFORMITY,
        "audit_date": audit["date"],
        "axe_version": audit["axe_version"],
        "chromium_version": audit["chromium_version"],
        "page_count": str(len(PAGE_SPECS)),
        "page_list": ", ".join(f"« {title} »" for _file, title, _icon, _path in PAGE_SPECS),
        "axe_before": str(audit["before"]),
        "axe_after": str(audit["after"]),
        "axe_after_detail": counts or "aucun",
        "known_issues": issues or "Aucune non-conformité relevée par l'autoévaluation.",
    }
    return string.Template(STATEMENT.read_text(encoding="utf-8")).substitute(values)


def build_audit_table(audit: dict) -> pd.DataFrame:
    """Defects found by axe-core before and after the corrections, with French headers."""
    return pd.DataFrame(
        {
            "Mesure": ["Avant corrections", "Après corrections"],
            "Défauts": [audit["before"], audit["after"]],
        }
    )


def build_audit_figure(table: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Bar(x=table["Mesure"], y=table["Défauts"], marker_color="#000091"))
    fig.update_layout(height=260, margin={"t": 20, "b": 20}, yaxis_title="Défauts relevés")
    return fig


def audit_summary(audit: dict) -> str:
    return (
        f"axe-core a relevé {audit['before']} défauts avant corrections et {audit['after']} "
        "après, sur toutes les pages aux deux tailles d'écran."
    )
