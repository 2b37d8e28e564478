"""One definition per figure: the KPIs shown by the overview, a commission screen, the PDF
report and the deltas since a snapshot are the same numbers for every demo territory, checked
against SQL written here independently of dashboard/kpis.py."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from dashboard import commission_report, kpis
from dashboard.formatting import format_compact_euros, format_number, format_percent
from dashboard.territory import find_territory
from tests.test_pages import SIRENS, run_page

ORACLE = """
with scoped as (
    select a.*, c.planned, coalesce(t.data_date, current_date) as as_of
    from actions as a
    join territories as t using (territory_id)
    left join action_costs as c using (action_id)
    where a.territory_id = $territory
)
select
    count(*) as n_actions,
    count(*) filter (where status = 'Réalisé') as n_done,
    count(*) filter (where status = 'En cours') as n_in_progress,
    count(*) filter (where status_given and planned_end < as_of
                     and status not in ('Réalisé', 'Abandonné')) as n_late,
    count(*) filter (where status = 'À venir') as n_not_started,
    count(*) filter (where status in ('En pause', 'Bloqué')) as n_paused_blocked,
    count(*) filter (where status = 'Abandonné') as n_abandoned,
    count(*) filter (where not status_given) as n_status_not_given,
    avg(progress) as progress_by_count,
    sum(planned) as budget_planned,
    (select sum(granted) from funding where territory_id = $territory) as funding_granted
from scoped
"""
SNAPSHOT_ORACLE = """
select
    count(*) as n_actions,
    count(*) filter (where sa.status = 'Réalisé') as n_done,
    count(*) filter (where sa.planned_end < cast(s.taken_at as date)
                     and sa.status is not null
                     and sa.status not in ('Réalisé', 'Abandonné')) as n_late
from snapshot_actions as sa join snapshots as s using (snapshot_id)
where sa.snapshot_id = $snapshot
"""


def expected_values(demo_db, territory_id: str) -> dict[str, str]:
    """French label -> value as every consumer must show it, from the SQL oracle."""
    row = demo_db.execute(ORACLE, {"territory": territory_id}).df().iloc[0]
    shown = {}
    for kpi in kpis.KPIS:
        if kpi.key not in row or (kpi.optional and not row[kpi.key]):
            continue
        value = row[kpi.key]
        if kpi.kind == "euros":
            shown[kpi.label] = format_compact_euros(None if value != value else float(value))
        elif kpi.kind == "percent":
            shown[kpi.label] = format_percent(None if value != value else float(value))
        else:
            shown[kpi.label] = format_number(value)
    return shown


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def expected(app_env, demo_db) -> dict[str, dict[str, str]]:
    return {siren: expected_values(demo_db, find_territory(siren).territory_id) for siren in SIRENS}


@pytest.mark.parametrize("siren", SIRENS)
def test_overview_commission_and_pdf_show_the_same_kpis(app_env, expected, siren):
    territory = find_territory(siren)
    wanted = expected[siren]
    if not territory.has_money:
        wanted = {
            label: value
            for label, value in wanted.items()
            if not next(k for k in kpis.KPIS if k.label == label).money
        }
    overview = run_page("overview", siren)
    assert not overview.exception
    shown = {m.label: m.value for m in overview.metric}
    assert {label: shown[label] for label in wanted} == wanted

    commission = run_page("commission", siren, ecran="1")
    assert not commission.exception
    on_screen = {m.label: m.value for m in commission.metric}
    screen_labels = [kpis.KPIS_BY_KEY[key].label for key in kpis.SCREEN_KPIS]
    assert {label: on_screen[label] for label in screen_labels} == {
        label: expected[siren][label] for label in screen_labels
    }

    pdf = commission_report.build_report_pdf(territory, "plan", dt.date.today())
    text = squeeze("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    for label, value in wanted.items():
        assert squeeze(label + value) in text, (label, value)


def test_snapshot_deltas_are_the_same_kpis_at_the_snapshot(app_env, demo_db):
    """Saint-Dizier has a declared earlier state: the overview's changes are today's figures
    minus the snapshot's, lateness judged at the snapshot's date."""
    snapshot_id = demo_db.execute(
        "select snapshot_id from snapshots where territory_id = 'saint-dizier'"
        " order by taken_at limit 1"
    ).fetchone()[0]
    before = demo_db.execute(SNAPSHOT_ORACLE, {"snapshot": snapshot_id}).df().iloc[0]
    now = demo_db.execute(ORACLE, {"territory": "saint-dizier"}).df().iloc[0]
    overview = run_page("overview", "200068666")
    deltas = {m.label: m.proto.delta for m in overview.metric}
    for key, label in (("n_actions", "Actions"), ("n_done", "Réalisées"), ("n_late", "En retard")):
        change = int(now[key]) - int(before[key])
        if change:
            text = ("+" if change > 0 else "") + format_number(change)
            assert deltas[label] == text, (label, deltas[label], text)
        else:
            assert not deltas[label], label
    snapshot_late = kpis.build_kpis(
        demo_db.execute(
            "select sa.*, is_late_at(sa.status, sa.planned_end, cast(s.taken_at as date))"
            " as is_late from snapshot_actions as sa join snapshots as s using (snapshot_id)"
            " where sa.snapshot_id = $snapshot",
            {"snapshot": snapshot_id},
        ).df()
    )["n_late"]
    assert snapshot_late == int(before["n_late"])


@pytest.mark.parametrize("siren", SIRENS)
def test_no_money_warning_only_without_budget_and_funding(app_env, demo_db, siren):
    territory_id = find_territory(siren).territory_id
    lines = demo_db.execute(
        "select (select count(*) from budget_lines where territory_id = $t)"
        " + (select count(*) from funding where territory_id = $t)",
        {"t": territory_id},
    ).fetchone()[0]
    at = run_page("overview", siren)
    warned = any("Aucune donnée budgétaire" in w.value for w in at.warning)
    assert warned == (lines == 0), (siren, lines)
    shown = {m.label for m in at.metric}
    assert ("Dépenses prévues" in shown) == (lines > 0)


@pytest.mark.parametrize("siren", SIRENS)
def test_the_plan_workbook_export_adds_up_to_the_same_kpis(app_env, demo_db, siren):
    """« Exporter tout le plan (Excel) »: its rows give the overview's figures again."""
    import openpyxl

    from dashboard import exports

    territory = find_territory(siren)
    oracle = demo_db.execute(ORACLE, {"territory": territory.territory_id}).df().iloc[0]
    workbook = openpyxl.load_workbook(
        io.BytesIO(exports.build_plan_workbook(territory.territory_id))
    )

    def column(sheet: str, header: str) -> list:
        rows = list(workbook[sheet].iter_rows(values_only=True))
        index = rows[0].index(header)
        return [row[index] for row in rows[1:]]

    statuses = column("Actions", "Statut")
    assert len(statuses) == oracle["n_actions"]
    assert statuses.count("Réalisé") == oracle["n_done"]
    assert statuses.count("Non renseigné") == oracle["n_status_not_given"]
    late = column("Actions", "En retard")
    assert sum(1 for value in late if value in (True, "oui")) == oracle["n_late"]
    granted = [v for v in column("Financements", "Accordé (€)") if v is not None]
    if oracle["funding_granted"] == oracle["funding_granted"]:
        assert sum(granted) == pytest.approx(float(oracle["funding_granted"]))
    else:
        assert not granted
    provenance = column("Actions", "Provenance")
    assert set(provenance) <= {"", None, "démo", "≈ approximatif", "reconstitué"}
