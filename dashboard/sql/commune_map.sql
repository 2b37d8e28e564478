-- Amounts of an action listing several communes are split equally between them.
with shares as (
    select ac.insee_code, ac.action_id,
           1.0 / count(*) over (partition by ac.action_id) as share
    from action_communes as ac
    join actions as a using (action_id)
    where a.territory_id = $territory
),
costs as (
    select action_id, planned
    from action_costs
    where territory_id = $territory
),
per_commune as (
    select s.insee_code, count(*) as n_actions, sum(c.planned * s.share) as amount_planned
    from shares as s
    left join costs as c using (action_id)
    group by s.insee_code
),
pop as (
    select insee_code,
           arg_min(value, year) as population_first, min(year) as year_first,
           arg_max(value, year) as population_last, max(year) as year_last
    from indicators
    where indicator = 'population_legale'
      and insee_code in (select insee_code from territory_communes where territory_id = $territory)
    group by insee_code
),
final as (
    select
        c.insee_code, c.name, c.epci_siren, e.name as epci_name, c.population, c.population_year,
        c.area_km2,
        c.density, c.longitude, c.latitude, c.geometry,
        coalesce(p.n_actions, 0) as n_actions, p.amount_planned,
        p.amount_planned / nullif(c.population, 0) as amount_per_inhabitant,
        pop.population_first, pop.year_first, pop.population_last, pop.year_last,
        100.0 * (pop.population_last - pop.population_first) / nullif(pop.population_first, 0)
            as population_change_pct
    from territory_communes as t
    join communes as c using (insee_code)
    left join epci as e on e.siren = c.epci_siren
    left join per_commune as p using (insee_code)
    left join pop using (insee_code)
    where t.territory_id = $territory
)
select * from final order by name
