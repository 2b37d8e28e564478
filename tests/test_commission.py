"""Mode commission by AppTest on the demo warehouse: the agenda (default, chosen, kept in the
URL), long lists continued on « (suite) » screens with every row once and the amounts of SQL,
contracts the source gives no figure for, the changes screen; and the pure screen flow."""

from __future__ import annotations

import html
import io

import pandas as pd

from dashboard import commission
from dashboard.commission import Block
from dashboard.formatting import format_euros
from tests.test_pages import metric, run_page

SAINT_DIZIER, POMPEY, HAUTS_DE_FRANCE = "200068666", "245400601", "200053742"


def screen_titles(at) -> list[str]:
    """The screen list's titles, without their « i / n — » prefix."""
    return [option.split(" — ", 1)[1] for option in at.selectbox(key="commission_jump").options]


def shown_title(at) -> str:
    """The screen's title as read (st.title gets Markdown-escaped text)."""
    return html.unescape(at.title[0].value.replace("\\", ""))


def projector_tables(at) -> list[pd.DataFrame]:
    """Every projector table of the screen (st.html), cells as the text shown."""
    return [
        pd.read_html(io.StringIO(h.value), flavor="lxml", keep_default_na=False)[0].astype(str)
        for h in at.get("html")
        if "<table" in h.value
    ]


def commission_topics(siren: str) -> list:
    """Every topic the territory offers, read as the page reads them."""
    from dashboard.territory import find_territory
    from dashboard.ui.commission import load_commission_data

    return commission.available_topics(load_commission_data(find_territory(siren)))


def screens_of(siren: str, agenda: str) -> list:
    """Every screen of `agenda` (run one by one as a shared link would open them)."""
    first = run_page("commission", siren, ordre=agenda)
    return [first] + [
        run_page("commission", siren, ordre=agenda, ecran=str(number))
        for number in range(2, len(screen_titles(first)) + 1)
    ]


def test_default_agenda_every_item_contracts_with_figures_then_changes(app_env, demo_db):
    roots = [
        r[0]
        for r in demo_db.execute(
            "select code from plan_items where territory_id = 'saint-dizier' and depth = 1"
            " order by sort_order"
        ).fetchall()
    ]
    at = run_page("commission", SAINT_DIZIER)
    assert not at.exception
    tokens = at.query_params["ordre"].split(",")
    assert tokens[0] == "synthese"
    assert tokens[1 : 1 + len(roots)] == [f"element:{code}" for code in roots]
    contracts = [t for t in tokens if t.startswith("contrat:")]
    assert 0 < len(contracts) <= commission.DEFAULT_CONTRACTS
    assert tokens[-1] == "changements"
    titles = screen_titles(at)
    assert titles[0] == "Synthèse"
    assert titles[-1].startswith("Ce qui a changé depuis le point d'étape du 22/09/2026")
    assert not any("instantané" in title.lower() for title in titles)


def test_every_default_screen_runs_and_says_where_it_is(app_env):
    at = run_page("commission", SAINT_DIZIER)
    agenda = at.query_params["ordre"]
    titles = screen_titles(at)
    for number, screen in enumerate(screens_of(SAINT_DIZIER, agenda), start=1):
        assert not screen.exception, (number, [e.message for e in screen.exception])
        assert shown_title(screen) == titles[number - 1]
        where = next(c.value for c in screen.caption if "données au" in c.value)
        assert where.endswith(f"écran {number} / {len(titles)}")
        shown = [m.value for m in screen.metric]
        assert "—" not in shown or number == 1, (titles[number - 1], shown)


def test_a_shared_link_reopens_the_same_agenda_at_the_same_screen(app_env, demo_db):
    agenda = "changements,element:P2,contrat:PVD-2021"
    at = run_page("commission", SAINT_DIZIER, ordre=agenda, ecran="2")
    assert not at.exception
    titles = screen_titles(at)
    assert titles[0].startswith("Ce qui a changé depuis")
    assert any(title.startswith("Pilier P2 — ") for title in titles)
    assert titles[-1].startswith("Contrat — Petites Villes de Demain")
    assert shown_title(at) == titles[1]
    assert at.query_params["ordre"] == agenda
    assert at.query_params["ecran"] == "2"
    at.button(key="commission_next").click().run()
    assert at.query_params["ecran"] == "3"
    assert at.query_params["ordre"] == agenda


def test_an_unknown_point_of_a_link_is_told_and_left_out(app_env):
    at = run_page("commission", SAINT_DIZIER, ordre="element:P9,element:P1")
    assert not at.exception
    assert any("element:P9" in toast.value for toast in at.get("toast"))
    assert at.query_params["ordre"] == "element:P1"
    assert all(title.startswith("Pilier P1 — ") for title in screen_titles(at))


def test_choosing_the_agenda_writes_it_to_the_url_and_starts_again(app_env):
    at = run_page("commission", SAINT_DIZIER, ecran="3")
    at.multiselect(key="commission_agenda").set_value(["element:P2", "synthese"]).run()
    assert not at.exception
    assert at.query_params["ordre"] == "element:P2,synthese"
    assert at.query_params["ecran"] == "1"
    assert screen_titles(at)[0].startswith("Pilier P2 — ")
    assert screen_titles(at)[-1] == "Synthèse"
    at.button(key="commission_agenda_reset").click().run()
    assert at.query_params["ordre"].startswith("synthese,element:P1,element:P2,contrat:")


def test_hauts_de_france_default_agenda_is_short_and_every_contract_can_be_asked(app_env):
    at = run_page("commission", HAUTS_DE_FRANCE)
    assert not at.exception
    offered = at.multiselect(key="commission_agenda").options
    assert len(offered) == 47
    tokens = at.query_params["ordre"].split(",")
    assert len([t for t in tokens if t.startswith("contrat:")]) == commission.DEFAULT_CONTRACTS
    assert len(screen_titles(at)) < 25
    tokens = [topic.token for topic in commission_topics(HAUTS_DE_FRANCE)]
    every = run_page("commission", HAUTS_DE_FRANCE, ordre=",".join(tokens))
    assert not every.exception
    assert every.multiselect(key="commission_agenda").value == tokens
    assert len(screen_titles(every)) >= 47


def test_long_funding_list_continues_on_suite_screens_with_every_line_once(app_env, demo_db):
    expected = demo_db.execute(
        "select a.code, f.granted from funding f join actions a using (action_id)"
        " join contracts c on c.contract_id = f.contract_id"
        " where f.territory_id = 'saint-dizier' and c.code = 'CRTE-2021'"
        " order by a.sort_order, f.granted desc nulls last"
    ).fetchall()
    assert len(expected) == 10
    screens = screens_of(SAINT_DIZIER, "contrat:CRTE-2021")
    titles = [shown_title(s) for s in screens]
    assert len(screens) > 1
    assert all(title.endswith(" (suite)") for title in titles[1:])
    assert not titles[0].endswith(" (suite)")
    rows = pd.concat([t for s in screens for t in projector_tables(s)], ignore_index=True)
    assert list(rows["Code"]) == [code for code, _ in expected]
    assert list(rows["Accordé (€)"]) == [format_euros(granted) for _, granted in expected]
    assert metric(screens[0], "Enveloppe")
    assert all(not s.metric for s in screens[1:])


def test_projector_tables_right_align_numbers_and_fix_their_columns(app_env):
    at = run_page("commission", SAINT_DIZIER, ordre="contrat:CRTE-2021")
    body = next(h.value for h in at.get("html") if "<table" in h.value)
    assert "<colgroup>" in body
    assert '<th class="num col-granted">Accordé (€)</th>' in body
    assert '<td class="">P1.A1.O1.a1</td>' in body  # codes and titles stay left-aligned
    assert body.count('<td class="num">') >= 3


def test_a_contract_the_source_gives_no_figure_for_says_so(app_env, demo_db):
    empty = demo_db.execute(
        "select code from contracts c where territory_id = 'pompey' and envelope is null"
        " and not exists (select 1 from funding f where f.contract_id = c.contract_id)"
    ).fetchone()[0]
    default = run_page("commission", POMPEY)
    assert f"contrat:{empty}" not in default.query_params["ordre"]
    at = run_page("commission", POMPEY, ordre=f"contrat:{empty}")
    assert not at.exception
    assert not at.metric
    assert any("La source ne donne aucun chiffre pour ce contrat" in i.value for i in at.info)


def test_a_contract_with_an_envelope_but_no_lines_shows_only_what_is_known(app_env, demo_db):
    envelope = demo_db.execute(
        "select envelope from contracts where territory_id = 'pompey' and code = 'CRTE-2021'"
    ).fetchone()[0]
    at = run_page("commission", POMPEY, ordre="contrat:CRTE-2021")
    assert not at.exception
    assert [m.label for m in at.metric] == ["Enveloppe"]
    assert metric(at, "Enveloppe") == "6,2\u00a0M€"
    assert float(envelope) == 6_200_000
    assert any("aucune ligne de financement" in i.value for i in at.info)
    assert any("Non renseigné par la source" in c.value for c in at.caption)


def test_item_screen_counts_its_actions(app_env, demo_db):
    at = run_page("commission", SAINT_DIZIER, ecran="2")
    root_id, code = demo_db.execute(
        "select item_id, code from plan_items where territory_id = 'saint-dizier' and depth = 1"
        " order by sort_order limit 1"
    ).fetchone()
    n, late = demo_db.execute(
        "select count(*), count(*) filter (where is_late) from action_status"
        " where root_item_id = ?",
        [root_id],
    ).fetchone()
    assert code in shown_title(at)
    assert metric(at, "Actions") == str(n)
    assert metric(at, "En retard") == str(late)


def test_late_actions_of_an_item_are_those_of_sql_most_late_first(app_env, demo_db):
    expected = demo_db.execute(
        "select a.code from action_status s join actions a using (action_id)"
        " where s.root_item_id = 'saint-dizier:P1' and s.is_late"
        " order by s.days_late desc"
    ).fetchall()
    screens = screens_of(SAINT_DIZIER, "element:P1")
    rows = pd.concat([t for s in screens for t in projector_tables(s)], ignore_index=True)
    assert sorted(rows["Code"]) == sorted(code for (code,) in expected)
    days = [int(d) for d in rows["Jours de retard"]]
    assert days == sorted(days, reverse=True)


def test_next_button_moves_and_wraps(app_env):
    at = run_page("commission", SAINT_DIZIER)
    total = len(screen_titles(at))
    at.button(key="commission_next").click().run()
    assert at.query_params["ecran"] == "2"
    at.button(key="commission_back").click().run()
    at.button(key="commission_back").click().run()
    assert at.query_params["ecran"] == str(total)
    last = run_page("commission", SAINT_DIZIER, ecran="999")
    assert shown_title(last).startswith("Ce qui a changé")


def test_changes_screen_lists_notable_changes_first(app_env):
    at = run_page("commission", SAINT_DIZIER, ordre="changements")
    listed = projector_tables(at)[0]
    assert list(listed.columns) == ["Code", "Action", "Changement", "Avant", "Après", "Par"]
    assert "Avancement modifié" not in set(listed["Changement"])
    assert listed["Changement"].iloc[0] == "Terminée"


def test_paginate_splits_lists_repeats_their_chrome_and_keeps_charts_whole():
    rows = Block("rows", rows=(100,) * 10, chrome=50)
    pages = commission.paginate([Block("kpis", 300), rows], first_room=700, room=600)
    assert [[(p.name, p.start, p.stop) for p in page] for page in pages] == [
        [("kpis", 0, 0), ("rows", 0, 3)],
        [("rows", 3, 8)],
        [("rows", 8, 10)],
    ]
    # Fewer than MIN_SPLIT_ROWS rows left on a screen: the list starts on the next one.
    pages = commission.paginate([Block("kpis", 300), rows], first_room=600, room=600)
    assert [(p.name, p.start, p.stop) for p in pages[0]] == [("kpis", 0, 0)]
    chart = Block("chart", rows=(100,) * 4, chrome=50, keep_together=True)
    pages = commission.paginate([Block("kpis", 300), chart], first_room=600, room=600)
    assert [[p.name for p in page] for page in pages] == [["kpis"], ["chart"]]
    # Three quarters of it would fit: drawn shorter on the same screen.
    pages = commission.paginate([Block("kpis", 300), chart], first_room=700, room=700)
    assert [[(p.name, p.stop) for p in page] for page in pages] == [[("kpis", 0), ("chart", 4)]]
    assert pages[0][1].scale == (700 - 300 - 50) / 400
    assert commission.chart_height(chart.rows, pages[0][1]) == commission.CHART_CHROME + 350
    # A row taller than a screen still gets one (alone), never an endless loop.
    pages = commission.paginate([Block("rows", rows=(900, 100), chrome=50)], 600, 600)
    assert [(p.start, p.stop) for page in pages for p in page] == [(0, 1), (1, 2)]
