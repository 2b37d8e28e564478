"""Screens for directors and analysts (#21), without a browser: French formats, honest axes,
legends, non-overlapping map classes, the HTML action tables, and every plotly chart of every
page drawn through chart_view.render_chart (its summary for screen readers)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import lxml.html
import pandas as pd
import pytest

from dashboard import changes, charts, funding_charts, indicator_charts, maps, tables
from dashboard.formatting import (
    NBSP,
    format_compact_euros,
    format_measure,
    format_priority,
)
from tests.test_pages import html_tables, metric, run_page, table_with

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("value", "shown"),
    [(22858.0, f"22{NBSP}858"), (12.5, "12,5"), (100.0, "100"), (-0.3, "-0,3"), (None, "—")],
)
def test_measures_have_no_trailing_zero_decimal(value, shown):
    assert format_measure(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [("Élevé", "élevée"), ("Moyen", "moyenne"), ("Bas", "basse"), ("haute", "haute"), (None, "—")],
)
def test_priority_agrees_with_the_word_priorite(value, shown):
    assert format_priority(value) == shown


def test_compact_euros_keep_their_space():
    assert format_compact_euros(47_200_000) == f"47,2{NBSP}M€"
    assert format_compact_euros(350_000) == f"350{NBSP}k€"


def test_snapshot_in_plain_words():
    declared = pd.Series({"taken_at": "2026-09-22", "origin": "declared", "is_demo": False})
    built = pd.Series({"taken_at": "2026-12-01 10:00", "origin": "build", "is_demo": True})
    assert changes.describe_snapshot(declared, plain=True) == "le point d'étape du 22/09/2026"
    assert changes.describe_snapshot(built, plain=True) == (
        "la mise à jour des données du 01/12/2026 (données de démonstration)"
    )


@pytest.mark.parametrize(
    ("breaks", "values", "labels"),
    [
        ([0, 1, 2, 12, 40], [0, 1, 2, 5, 12, 40], ["0", "1", "2 à 11", "12 à 40"]),
        ([0.0, 1.0, 2.5, 12.0], [0, 1, 2, 4, 12], ["0", "1 à 2", "3 à 12"]),
    ],
)
def test_map_classes_of_counts_never_overlap(breaks, values, labels):
    measure = maps.MEASURES_BY_COLUMN["n_actions"]
    shown = [label for _, label in maps.legend_entries(breaks, measure, pd.Series(values))]
    assert shown == labels


def test_map_classes_of_decimals_say_where_they_stop():
    measure = maps.MEASURES_BY_COLUMN["amount_per_inhabitant"]
    shown = [
        label
        for _, label in maps.legend_entries([0.5, 1.2, 3.4, 8.0], measure, pd.Series([0.5, 2, 8]))
    ]
    assert shown[1] == f"1,2{NBSP}€/hab. à moins de 3,4{NBSP}€/hab."
    assert shown[2] == f"3,4{NBSP}€/hab. à 8,0{NBSP}€/hab."


def test_count_axes_have_whole_ticks(app_env):
    from dashboard import queries

    status = queries.load_status_by_root("saint-dizier")
    figure = charts.build_status_by_root_figure(status)
    assert figure.layout.xaxis.tickformat == ",d"
    small = status.assign(n_actions=1)
    assert charts.build_status_by_root_figure(small).layout.xaxis.dtick == 1


def test_population_axis_starts_at_zero_and_says_the_change():
    series = pd.DataFrame(
        {
            "year": [2021, 2026],
            "value": [56_400.0, 55_385.0],
            "is_repeat": [False, False],
            "millesime": ["2018", "2023"],
        }
    )
    figure = indicator_charts.build_population_figure(series, "Ensemble")
    assert figure.layout.yaxis.rangemode == "tozero"
    assert figure.layout.title.subtitle.text.startswith("−1,8 % entre 2021 et 2026")


def test_plan_treemap_has_a_status_legend_and_hides_unreadable_labels(app_env):
    from dashboard import queries

    actions = queries.load_actions("saint-dizier")
    items = queries.load_plan_items("saint-dizier")
    figure = charts.build_plan_hierarchy_figure(items, actions, "status")
    legend = [t.name for t in figure.data if t.type == "scatter"]
    assert set(legend) == set(actions["status"])
    assert figure.layout.uniformtext.mode == "hide"


def test_gantt_dates_at_top_and_bottom(app_env):
    from dashboard import queries

    figure = charts.build_gantt_figure(
        queries.load_actions("saint-dizier"), pd.Timestamp(dt.date(2026, 12, 1))
    )
    assert figure.layout.xaxis.side == "top"
    assert figure.layout.xaxis2.side == "bottom"
    assert figure.layout.xaxis2.matches == "x"


def test_sankey_labels_whole_and_dark(app_env):
    from dashboard import queries

    flows = queries.load_funding_flows("hauts-de-france")
    figure = funding_charts.build_funding_sankey_figure(flows)
    labels = [label.replace("<br>", " ") for label in figure.data[0].node.label]
    assert not any(label.endswith("…") for label in labels if len(label) < 100)
    assert figure.data[0].textfont.color == "#1e1e1e"


def test_action_cells_link_each_title_and_escape_it():
    frame = pd.DataFrame(
        {
            "code": ["A1"],
            "title": ["<script>x</script>"],
            "status": ["En cours"],
            "progress": [40.0],
            "is_late": [True],
            "planned_end": [dt.date(2026, 3, 23)],
        }
    )
    spec = [c for c in tables.ACTION_TABLE_COLUMNS if c[0] in frame.columns]
    headers, rows = tables.build_table_cells(frame, spec, ["fiche-action?action=A1"])
    assert [h["label"] for h in headers] == ["Code", "Action", "Statut", "Avancement", "Fin prévue"]
    cells = {h["label"]: cell for h, cell in zip(headers, rows[0], strict=True)}
    assert cells["Action"]["href"] == "fiche-action?action=A1"
    assert cells["Statut"]["late"] is True
    assert cells["Avancement"]["value"] == 40.0
    from dashboard.ui.widgets import build_wrapped_table

    html = build_wrapped_table(frame, spec, "Actions", ["fiche-action?action=A1&x=1"])
    assert "<script>" not in html
    assert 'href="fiche-action?action=A1&amp;x=1"' in html


def test_overview_watch_table_links_to_the_fiche(app_env, demo_db):
    at = run_page("overview", "200068666")
    assert not at.exception
    late = table_with(at, "Fin prévue")
    body = next(e.proto.body for e in at.get("html") if "<table" in e.proto.body)
    links = lxml.html.fromstring(body).xpath("//a/@href")
    assert len(links) == len(late)
    assert all(link.startswith("fiche-action?territoire=200068666&action=") for link in links)
    # the KPIs say since when, in plain words
    captions = " ".join(c.value for c in at.caption)
    assert "point d'étape du 22/09/2026" in captions
    assert "instantané" not in captions
    assert metric(at, "Actions")


def test_contract_opens_from_its_link_with_its_details(app_env):
    at = run_page("funding", "200068666", contrat="CRTE-2021")
    assert not at.exception
    contracts = table_with(at, "Consommation")
    assert "Type" not in contracts.columns  # in the contract's detail, not the table
    assert any("CRTE" in c.value and "enveloppe" in c.value for c in at.caption)
    detail = [t for t in html_tables(at) if "Financeur" in t.columns]
    assert detail
    assert len(detail[0]) > 0


def test_fiche_action_shows_the_priority_agreed(app_env):
    at = run_page("action", "200068666", action="P1.A1.O1.a1")
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert re.search(r"\*\*Priorité\*\* : (élevée|moyenne|basse|—)", text)


def test_funding_provenance_never_says_zero_lines(app_env):
    at = run_page("funding", "200068666")
    captions = " ".join(c.value for c in at.caption)
    assert "Provenance des montants" in captions
    assert not re.search(r"\b0 lignes?\b", captions)


def test_every_plotly_chart_goes_through_render_chart():
    """st.plotly_chart is called only by chart_view.render_chart (French config, summary for
    screen readers): a chart added without it makes this test fail."""
    pending: set[str] = set()
    callers = {
        str(path.relative_to(ROOT))
        for folder in ("dashboard", "pages")
        for path in (ROOT / folder).rglob("*.py")
        if re.search(r"\bst\.plotly_chart\(", path.read_text(encoding="utf-8"))
    }
    assert callers - pending == {"dashboard/ui/chart_view.py"}


def test_plan_table_sorts_from_the_link(app_env, demo_db):
    at = run_page("plan", "200068666", tri="retard")
    assert not at.exception
    table = table_with(at, "Avancement")
    most_late = demo_db.execute(
        "select max(days_late) from action_status where territory_id = 'saint-dizier'"
    ).fetchone()[0]
    first = demo_db.execute(
        "select days_late from action_status where territory_id = 'saint-dizier' and code = $c",
        {"c": table["Code"].iloc[0]},
    ).fetchone()[0]
    assert first == most_late
    assert table["Statut"].iloc[0].endswith("en retard")
    assert at.query_params["tri"] == "retard"


def test_result_trajectory_axis_starts_at_zero_even_with_one_value(demo_db):
    """Pompey's commuting indicator has one measured value and no target: its axis was
    95 000 to 95 001, drawn as if the single point were a change."""
    from dashboard import result_charts

    indicator = demo_db.execute(
        "select * from result_status where territory_id = 'pompey' and target_value is null"
    ).df()
    assert not indicator.empty
    row = indicator.iloc[0]
    points = demo_db.execute(
        "select * from result_points where indicator_id = $i", {"i": row["indicator_id"]}
    ).df()
    figure = result_charts.build_trajectory_figure(row, points, points.iloc[0:0])
    assert figure.layout.yaxis.rangemode == "tozero"
    assert len(points) >= 1
