"""Explorateur: pivots compared with SQL, the SQL console's safety, shared links and favourites."""

from __future__ import annotations

import duckdb
import pytest

from dashboard import explorer, favorites, sql_console
from dashboard.db import READ_ONLY_CONFIG
from tests.test_pages import run_page, table_with

HOSTILE = {
    "read_csv('/etc/passwd')": "select * from read_csv('/etc/passwd')",
    "read_text": "select * from read_text('/etc/passwd')",
    "url": "select * from read_csv('https://example.org/x.csv')",
    "glob": "select * from glob('/etc/*')",
    "COPY TO": "copy (select * from actions) to '/tmp/pilotage_leak.csv'",
    "ATTACH": "attach '/tmp/other.duckdb' as other",
    "INSTALL": "install httpfs",
    "LOAD": "load httpfs",
    "PRAGMA": "pragma database_list",
    "SET": "set enable_external_access = true",
    "two statements": "select 1; select 2",
    "CALL": "call pragma_version()",
}


@pytest.fixture
def cursor(demo_db):
    cur = demo_db.cursor()
    yield cur
    cur.close()


@pytest.mark.parametrize("name", list(HOSTILE))
def test_console_refuses_hostile_queries_with_a_french_message(cursor, name):
    with pytest.raises(sql_console.ConsoleError) as refused:
        sql_console.run_query(cursor, HOSTILE[name])
    message = str(refused.value)
    assert message.startswith(("Instruction refusée", "Accès refusé", "Une seule requête"))
    assert cursor.execute("select count(*) from actions").fetchone()[0] > 0  # still answering


@pytest.mark.parametrize(
    "query",
    [
        "select * from read_csv('/etc/passwd')",
        "copy (select 1) to '/tmp/pilotage_leak.csv'",
        "attach '/tmp/other.duckdb' as other",
        "install httpfs",
        "load httpfs",
        "set enable_external_access = true",
    ],
)
def test_the_connection_itself_refuses_what_the_check_would_let_through(demo_db, query):
    """Defence in depth: even without the statement check, DuckDB's settings refuse it."""
    cur = demo_db.cursor()
    try:
        with pytest.raises((duckdb.PermissionException, duckdb.InvalidInputException)):
            cur.execute(query)
    finally:
        cur.close()


def test_a_query_that_never_ends_is_interrupted(cursor):
    with pytest.raises(sql_console.ConsoleError, match=r"interrompue.*1 s"):
        sql_console.run_query(cursor, "select count(*) from range(1000000000000) a", time_limit=1.0)
    assert cursor.execute("select 42").fetchone() == (42,)


def test_ten_million_rows_are_cut_inside_duckdb(cursor):
    result = sql_console.run_query(cursor, "select * from range(10000000) t(n)")
    assert result.truncated
    assert len(result.frame) == sql_console.ROW_LIMIT
    assert result.frame["n"].iloc[-1] == sql_console.ROW_LIMIT - 1


def test_console_accepts_every_kind_of_read(cursor):
    for query in (
        "with a as (select 1 as x) select * from a",
        "from actions limit 3",
        "describe actions",
        "summarize communes",
        "values (1), (2)",
        "select 1 -- a trailing comment",
        "select 1;",
    ):
        assert not sql_console.run_query(cursor, query).frame.empty, query


def test_console_errors_are_explained(cursor):
    with pytest.raises(sql_console.ConsoleError, match="inconnue"):
        sql_console.run_query(cursor, "select * from no_such_table")
    with pytest.raises(sql_console.ConsoleError, match="syntaxe"):
        sql_console.run_query(cursor, "selec 1")


@pytest.mark.parametrize("name", list(sql_console.EXAMPLES))
def test_every_example_runs_on_the_demo(cursor, name):
    result = sql_console.run_query(cursor, sql_console.example_sql(name, "saint-dizier"))
    assert not result.frame.empty, name


def test_schema_reference_lists_every_table_and_view(demo_db):
    documented = sql_console.read_schema_doc()
    tables = {
        row[0]
        for row in demo_db.execute(
            "select table_name from information_schema.tables where table_schema = 'main'"
        ).fetchall()
    }
    assert tables <= set(documented)
    assert documented["action_status"][0]  # views come with their description


def test_pivot_of_actions_by_plan_and_status_matches_sql(app_env, demo_db):
    at = run_page("explorer", "200068666", jeu="actions", lignes="root_title", colonnes="status")
    assert not at.exception
    shown = table_with(at, "Premier niveau du plan").set_index("Premier niveau du plan")
    expected = demo_db.execute(
        "select r.title, a.status, count(*) from actions a"
        " join plan_items r on r.item_id = a.root_item_id"
        " where a.territory_id = 'saint-dizier' group by all"
    ).fetchall()
    for root, status, count in expected:
        assert shown.loc[root, status] == str(count)
    assert shown.loc["Total", "Total"] == str(sum(c for _, _, c in expected))


def test_pivot_of_granted_funding_by_funder_type_matches_sql(app_env, demo_db):
    at = run_page(
        "explorer", "200068666", jeu="funding", lignes="funder_type", mesure="granted", agg="sum"
    )
    shown = table_with(at, "Type de financeur").set_index("Type de financeur")
    for funder_type, granted in demo_db.execute(
        "select funder_type, sum(granted) from funding where territory_id = 'saint-dizier'"
        " group by all"
    ).fetchall():
        expected = "—" if granted is None else f"{float(granted):,.0f}".replace(",", "\u00a0")
        assert shown.loc[funder_type, "Accordé (€)"] == expected


def test_pivot_mean_with_a_filter_matches_sql(app_env, demo_db):
    at = run_page(
        "explorer",
        "200068666",
        jeu="actions",
        lignes="pilot_service",
        mesure="progress",
        agg="mean",
        filtre="status",
        valeurs="En cours|Bloqué",
    )
    shown = table_with(at, "Service pilote").set_index("Service pilote")
    mean = demo_db.execute(
        "select avg(progress) from actions where territory_id = 'saint-dizier'"
        " and status in ('En cours', 'Bloqué')"
    ).fetchone()[0]
    assert shown.loc["Total", "Avancement (%)"] == f"{mean:.1f}".replace(".", ",")


def test_pivot_building_blocks():
    frame = explorer.prepare(
        "budget",
        __import__("pandas").DataFrame(
            {
                "year": [2024, 2024, 2025],
                "section": ["Investissement", "Fonctionnement", "Investissement"],
                "direction": ["Dépense"] * 3,
                "action_code": ["a", "b", "a"],
                "is_demo": [True, False, True],
                "planned": [100.0, 50.0, 25.0],
                "committed": [None, None, None],
                "paid": [None, None, None],
            }
        ),
    )
    pivot = explorer.build_pivot(frame, ["year"], "section", "planned", "sum")
    assert pivot.set_index("year").loc["Total", "Total"] == 175
    assert explorer.chart_kind(["year"], None, ("year",)) == "line"
    assert explorer.chart_kind(["section", "year"], None, ("year",)) == "treemap"
    assert explorer.chart_kind(["section"], "year", ("year",)) == "bar"


def test_a_shared_sql_link_runs_its_query_and_a_huge_result_says_it_is_cut(app_env):
    at = run_page("explorer", "200068666", mode="sql", sql="select * from range(10000000) t(n)")
    assert not at.exception
    assert any("tronqué" in w.value for w in at.warning)
    assert table_with(at, "n")["n"].tolist() == list(range(100))  # first page


def test_a_refused_query_in_the_page_shows_the_reason(app_env):
    at = run_page("explorer", "200068666", mode="sql", sql="copy actions to '/tmp/x.csv'")
    assert not at.exception
    assert any("Instruction refusée" in e.value for e in at.error)


def test_favourites_round_trip(app_env, tmp_path, monkeypatch):
    monkeypatch.setenv("PILOTAGE_FAVORITES_DIR", str(tmp_path))
    at = run_page("explorer", "200068666", jeu="budget", lignes="year", mesure="planned")
    at.text_input(key="ex_fav_name").set_value("  PPI par   année ").run()
    at.button(key="ex_fav_save").click().run()
    saved = favorites.list_favorites("saint-dizier")
    assert list(saved) == ["PPI par année"]
    assert saved["PPI par année"]["jeu"] == "budget"
    other = run_page("explorer", "200068666")
    assert table_with(other, "Premier niveau du plan") is not None  # default view
    other.selectbox(key="ex_fav_pick").set_value("PPI par année")
    other.button(key="ex_fav_open").click().run()
    assert other.query_params["jeu"] == "budget"
    assert "Année" in table_with(other, "Année").columns
    other.button(key="ex_fav_delete").click().run()
    assert favorites.list_favorites("saint-dizier") == {}
    assert favorites.list_favorites("pompey") == {}


def test_favourite_names_and_files_are_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("PILOTAGE_FAVORITES_DIR", str(tmp_path))
    with pytest.raises(favorites.FavoriteError):
        favorites.save_favorite("saint-dizier", "   ", {})
    with pytest.raises(favorites.FavoriteError):
        favorites.save_favorite("saint-dizier", "x" * 81, {})
    with pytest.raises(favorites.FavoriteError):
        favorites.save_favorite("../etc", "evil", {})
    (tmp_path / "saint-dizier.json").write_text("{not json", encoding="utf-8")
    assert favorites.list_favorites("saint-dizier") == {}
    favorites.save_favorite("saint-dizier", "<script>alert(1)</script>", {"mode": "sql"})
    assert "<script>alert(1)</script>" in favorites.list_favorites("saint-dizier")


def test_read_only_config_is_the_one_the_console_runs_on(demo_db):
    assert READ_ONLY_CONFIG["enable_external_access"] is False
    setting = demo_db.execute(
        "select value from duckdb_settings() where name = 'enable_external_access'"
    ).fetchone()[0]
    assert setting == "false"


def test_two_measures_give_a_scatter_with_one_point_per_commune(app_env, demo_db):
    at = run_page(
        "explorer", "200068666", jeu="communes", lignes="name", mesure="population",
        mesure2="n_actions",
    )  # fmt: skip
    assert not at.exception
    shown = table_with(at, "Commune").set_index("Commune")
    assert list(shown.columns) == ["Population légale (dernier millésime)", "Actions localisées"]
    placed = dict(
        demo_db.execute(
            "select c.name || ' (' || c.insee_code || ')', count(distinct ac.action_id)"
            " from action_communes ac join actions a using (action_id)"
            " join communes c using (insee_code)"
            " where a.territory_id = 'saint-dizier' group by all"
        ).fetchall()
    )
    for commune, count in placed.items():
        assert shown.loc[commune, "Actions localisées"] == str(count)
    chart = at.get("plotly_chart")[0]
    assert '"type":"scatter"' in chart.proto.spec.replace(" ", "")
