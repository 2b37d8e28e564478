-- Per action: cost (planned spending), secured funding, external funding, the EPCI's own money,
-- leverage and gap. Unknown stays unknown: an action without budget has a null cost, not zero.
with costs as (
    select action_id, planned as cost
    from action_costs
    where territory_id = $territory
),
funds as (
    select
        action_id,
        sum(granted) as secured,
        sum(granted) filter (where funder_type not in ('EPCI', 'Commune')) as external,
        sum(granted) filter (where funder_type = 'EPCI') as own_declared,
        sum(requested) as requested
    from funding
    where territory_id = $territory
    group by action_id
),
final as (
    select
        a.code, a.title, a.status, a.is_demo, a.provenance, marked_title(r.title, r.provenance) as root_title,
        c.cost, f.requested, f.secured, coalesce(f.external, 0) as external,
        -- Own money: EPCI lines when declared, otherwise what the cost leaves after all funding.
        coalesce(f.own_declared, greatest(c.cost - coalesce(f.secured, 0), 0)) as own_money,
        f.own_declared is null as own_money_derived,
        coalesce(f.external, 0)
            / nullif(coalesce(f.own_declared, greatest(c.cost - coalesce(f.secured, 0), 0)), 0)
            as leverage,
        c.cost - coalesce(f.secured, 0) as gap,
        c.cost is null as cost_unknown
    from actions as a
    join plan_items as r on r.item_id = a.root_item_id
    left join costs as c using (action_id)
    left join funds as f using (action_id)
    where a.territory_id = $territory
)
select * from final order by gap desc nulls last, code
