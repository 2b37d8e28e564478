with final as (
    select
        f.funding_id, f.action_id, a.code as action_code, a.title as action_title,
        c.code as contract_code, coalesce(c.name, 'Hors contrat') as contract,
        c.contract_type, f.funder, f.funder_type, f.funding_line,
        f.requested, f.granted, f.received, f.decision_date, f.is_demo, f.provenance, f.source,
        a.sort_order
    from funding as f
    join actions as a using (action_id)
    left join contracts as c on c.contract_id = f.contract_id
    where f.territory_id = $territory
)
select * exclude (sort_order) from final
order by sort_order, granted desc nulls last, funder
