-- One population per commune: the legal population (INSEE) of the latest COG millésime loaded,
-- with its year. It replaces the reference's undated figure, so that the map, €/inhabitant,
-- density, the Explorateur, the EPCI and territory totals all read the same number.
create temp table latest_population as
select insee_code, arg_max(value, year) as population, max(year) as year
from indicators
where indicator = 'population_legale'
group by insee_code;

update communes
set population = null, population_year = null, density = null;

update communes
set population = cast(l.population as integer),
    population_year = l.year,
    density = case when communes.area_km2 > 0 then l.population / communes.area_km2 end
from latest_population as l
where communes.insee_code = l.insee_code;

update epci
set population = coalesce(s.population, 0), population_year = s.year
from (
    select epci_siren, sum(population) as population, max(population_year) as year
    from communes
    group by epci_siren
) as s
where epci.siren = s.epci_siren;

update territories
set population = s.population, population_year = s.year
from (
    select t.territory_id, sum(c.population) as population, max(c.population_year) as year
    from territory_communes as t
    join communes as c using (insee_code)
    group by t.territory_id
) as s
where territories.territory_id = s.territory_id;

drop table latest_population;
