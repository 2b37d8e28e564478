-- The territory's communes with their size and the number of actions placed in each.
with members as (
    select insee_code from territory_communes where territory_id = $territory
),
placed as (
    select ac.insee_code, count(distinct ac.action_id) as n_actions
    from action_communes as ac
    join actions as a using (action_id)
    where a.territory_id = $territory
    group by ac.insee_code
),
final as (
    select c.insee_code, c.name || ' (' || c.insee_code || ')' as name, c.dept_code,
           c.population, c.area_km2, c.density, coalesce(p.n_actions, 0) as n_actions
    from communes as c
    join members as m using (insee_code)
    left join placed as p using (insee_code)
)
select * from final order by name
