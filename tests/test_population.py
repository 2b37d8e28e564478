"""One population per commune and year: the legal population of the latest millésime is the
figure of the map, the €/inhabitant, the density, the Explorateur, the Indicateurs page and the
EPCI and territory totals."""

from __future__ import annotations

import json

import pytest

from dashboard import maps, queries
from dashboard.formatting import format_number
from tests.test_pages import run_page

SAINT_DIZIER = "52448"


@pytest.fixture(scope="module")
def legal(demo_db) -> tuple[int, int]:
    """Saint-Dizier's legal population of the latest millésime, straight from the series."""
    return demo_db.execute(
        "select cast(arg_max(value, year) as integer), max(year) from indicators"
        " where indicator = 'population_legale' and insee_code = $code",
        {"code": SAINT_DIZIER},
    ).fetchone()


def test_every_query_gives_the_same_population_and_density(app_env, demo_db, legal):
    population, year = legal
    area = demo_db.execute(
        "select area_km2 from communes where insee_code = $code", {"code": SAINT_DIZIER}
    ).fetchone()[0]
    mapped = queries.load_commune_map("saint-dizier").set_index("insee_code").loc[SAINT_DIZIER]
    assert (mapped["population"], mapped["population_year"]) == (population, year)
    assert mapped["density"] == pytest.approx(population / area)
    if mapped["amount_planned"] == mapped["amount_planned"]:
        assert mapped["amount_per_inhabitant"] == pytest.approx(
            mapped["amount_planned"] / population
        )
    explored = queries.load_explorer_communes("saint-dizier").set_index("insee_code")
    assert explored.loc[SAINT_DIZIER, "population"] == population
    assert explored.loc[SAINT_DIZIER, "density"] == pytest.approx(population / area)
    measures = queries.load_commune_measures("saint-dizier")
    by_measure = measures[measures["insee_code"] == SAINT_DIZIER].set_index("measure")
    assert by_measure.loc["population_legale", "value"] == population
    assert by_measure.loc["density", "value"] == pytest.approx(population / area)


def test_totals_are_sums_of_the_same_populations(demo_db):
    rows = demo_db.execute(
        "select t.territory_id, t.population, sum(c.population), t.population_year"
        " from territories as t join territory_communes using (territory_id)"
        " join communes as c using (insee_code) group by all"
    ).fetchall()
    for territory_id, total, summed, year in rows:
        assert total == summed, territory_id
        assert year == 2026, territory_id
    epci = demo_db.execute(
        "select e.population, sum(c.population) from epci as e"
        " join communes as c on c.epci_siren = e.siren where e.siren = '200068666' group by all"
    ).fetchone()
    assert epci[0] == epci[1]


def test_the_map_popup_and_the_pages_say_the_same_number(app_env, legal):
    population, year = legal
    communes = queries.load_commune_map("saint-dizier")
    built = maps.build_communes_map(communes, maps.MEASURES_BY_COLUMN["population"])
    html = built.get_root().render()
    popup = f"Population légale {year} : {format_number(population)} hab."
    assert json.dumps(popup)[1:-1] in html  # the GeoJSON properties, as folium encodes them
    at = run_page("indicators", "200068666")
    assert not at.exception
    cells = {str(v) for frame in at.dataframe for v in frame.value.to_numpy().ravel()}
    assert format_number(population) in cells  # the ranking of communes by legal population
