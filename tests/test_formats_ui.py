"""The formats' Streamlit pieces run by AppTest on the demo warehouse (no exception, French)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


def formats_screen(siren: str) -> None:
    import streamlit as st

    from dashboard.commission_report import ReportScope
    from dashboard.territory import find_territory
    from dashboard.ui import downloads, exchanges

    territory = find_territory(siren)
    _pdf, pptx = st.columns(2)  # the PDF button goes on the left on the pages
    downloads.render_deck_download(territory, ReportScope("plan"), "deck", pptx)
    exchanges.render_formats_section(territory)


@pytest.mark.parametrize("siren", ["200068666", "200053742"])
def test_formats_section_runs(app_env, siren):
    at = AppTest.from_function(formats_screen, args=(siren,), default_timeout=60)
    at.run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Diaporama (PowerPoint)" in labels
    assert "Paquet de données ouvertes (CSV + Parquet)" in labels
    assert "Projets (projets-territoire, CSV)" in labels


def test_scdl_export_asks_for_what_the_plan_lacks(app_env):
    at = AppTest.from_function(formats_screen, args=("200068666",), default_timeout=60)
    at.run()
    at.text_input(key="formats_scdl_siret").input("123").run()
    assert "SIRET de l'attribuant « 123 » invalide" in at.error[0].value
    at.text_input(key="formats_scdl_siret").input("20006866600011").run()
    assert not at.exception
    assert "non publiées tant qu'elles sont incomplètes" in at.warning[0].value
