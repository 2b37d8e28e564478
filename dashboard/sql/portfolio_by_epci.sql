-- Portfolio view: projects of a territory grouped by the EPCI they take place in.
with costs as (
    select action_id, planned as cost
    from action_costs
    where territory_id = $territory
),
funds as (
    select action_id, sum(granted) as granted,
           sum(granted) filter (where funder_type = 'État') as granted_state,
           sum(granted) filter (where funder_type = 'Europe') as granted_europe,
           sum(granted) filter (where funder_type = 'Région') as granted_region
    from funding
    where territory_id = $territory
    group by action_id
),
final as (
    select
        coalesce(e.name, 'EPCI non précisé') as epci, a.epci_siren,
        count(*) as n_projects, count(c.cost) as n_with_cost,
        sum(c.cost) as cost, sum(f.granted) as granted, sum(f.granted_state) as granted_state,
        sum(f.granted_europe) as granted_europe, sum(f.granted_region) as granted_region
    from actions as a
    left join epci as e on e.siren = a.epci_siren
    left join costs as c using (action_id)
    left join funds as f using (action_id)
    where a.territory_id = $territory
    group by all
)
select * from final order by granted desc nulls last
