"""Indicateurs page: values shown against the database (ranking, EPCI comparison, series)."""

from __future__ import annotations

from dashboard import indicators
from dashboard.formatting import format_number
from dashboard.queries import read_sql
from tests.test_pages import run_page, table_with


def test_ranking_shows_communes_by_legal_population(app_env, demo_db):
    at = run_page("indicators", "200068666")
    assert not at.exception
    ranking = table_with(at, "Rang")
    top = demo_db.execute(
        """select c.name, i.value from indicators i join communes c using (insee_code)
           join territory_communes t using (insee_code)
           where t.territory_id = 'saint-dizier' and i.indicator = 'population_legale'
             and i.year = 2026 order by i.value desc limit 1"""
    ).fetchone()
    assert ranking["Commune"].iloc[0] == top[0]
    assert ranking["Valeur"].iloc[0] == format_number(top[1])  # « 22 858 », never « ,0 »
    assert len(ranking) == 60


def test_epci_comparison_defaults_to_the_territory_and_sums_its_communes(app_env, demo_db):
    at = run_page("indicators", "245400601")
    assert not at.exception
    comparison = table_with(at, "Indice")
    expected = demo_db.execute(
        """select sum(i.value) from indicators i join communes c using (insee_code)
           where c.epci_siren = '245400601' and i.indicator = 'population_legale'
             and i.year = 2021"""
    ).fetchone()[0]
    first = comparison[comparison["Année du COG"] == "2021"]
    assert first["Population légale"].iloc[0] == format_number(expected)
    assert first["Indice"].iloc[0] == "100"  # whole numbers without « ,0 »


def test_measures_include_density_and_change_for_every_commune(demo_db):
    measures = demo_db.execute(read_sql("commune_measures"), {"territory": "dijon"}).df()
    table = indicators.wide(measures)
    assert len(table) == 23
    assert table["density"].notna().all()
    dijon = table[table["insee_code"] == "21231"].iloc[0]
    assert dijon["density"] > 2000  # Dijon: ~160 000 inhabitants on ~40 km²


def test_map_highlights_programme_communes_and_draws_the_outline(demo_db):
    from dashboard import maps

    communes = demo_db.execute(read_sql("commune_map"), {"territory": "saint-dizier"}).df()
    programmes = maps.programme_labels(
        demo_db.execute(read_sql("programme_communes"), {"territory": "saint-dizier"}).df()
    )
    assert "Petites Villes de Demain" in programmes["52550"]  # Wassy
    fmap = maps.build_communes_map(
        communes, maps.MEASURES_BY_COLUMN["n_actions"], programmes=programmes
    )
    html = fmap.get_root().render()
    assert html.count('"interactive": false') == 1  # the territory outline, not clickable
    assert "LineString" in html
    assert html.count('"programme": "Petites Villes de Demain') >= 1
    assert maps.parse_custom_breaks("0 ; 1 000 ; 5 000") == [0, 1000, 5000]
    assert maps.parse_custom_breaks("abc") is None
