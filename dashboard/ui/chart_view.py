"""One way to show a plotly figure: French modebar and formats, a one-sentence summary for
screen readers, and the figure's data as a table in an expander (RGAA 1.1 / 1.8, WCAG 1.1.1)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

# plotly.js-locales 3.7.0 fr.js (MIT, static/plotly/LICENSE) as JSON: given to each chart in its
# config, so the front end's own Plotly needs no registration and nothing is fetched.
LOCALE_FILE = Path(__file__).resolve().parents[2] / "static" / "plotly" / "locale-fr.json"
_LOCALE = json.loads(LOCALE_FILE.read_text(encoding="utf-8"))
PLOTLY_CONFIG: dict[str, Any] = {
    "locale": "fr",
    "locales": {"fr": {"dictionary": _LOCALE["dictionary"], "format": _LOCALE["format"]}},
    "displaylogo": False,
    # Only « Télécharger le graphique en fichier PNG »: zoom, pan and autoscale buttons are
    # mouse-only and would read in English next to Streamlit's own button.
    "modeBarButtons": [["toImage"]],
    "toImageButtonOptions": {"format": "png", "filename": "graphique", "scale": 2},
}
DATA_LABEL = "Données du graphique"


def render_chart(
    fig: go.Figure,
    summary: str,
    data: pd.DataFrame | None = None,
    *,
    data_label: str = DATA_LABEL,
    key: str | None = None,
    **plotly_kwargs: Any,
):
    """The figure with the French config; `summary` (one French sentence saying what the chart
    shows) read by screen readers before it; `data` (French headers) in an expander below.
    Extra keyword arguments go to st.plotly_chart (on_select, selection_mode…); returns its
    value (the selection event when on_select is set)."""
    st.html(f'<p class="pilotage-sr-only">Graphique : {html.escape(summary)}</p>')
    event = st.plotly_chart(fig, config=PLOTLY_CONFIG, key=key, **plotly_kwargs)
    if data is not None:
        with st.expander(data_label):
            st.dataframe(data, hide_index=True, key=f"{key}_data" if key else None)
    return event
