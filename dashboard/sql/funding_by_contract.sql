with lines as (
    select contract_id, count(distinct action_id) as n_actions, count(*) as n_lines,
           sum(requested) as requested, sum(granted) as granted, sum(received) as received,
           bool_or(is_demo) as has_demo_lines
    from funding
    where territory_id = $territory
    group by contract_id
),
final as (
    select
        coalesce(c.name, 'Hors contrat') as contract, c.contract_type, c.code,
        c.start_date, c.end_date, c.envelope, c.is_demo as contract_is_demo,
        coalesce(l.n_actions, 0) as n_actions, coalesce(l.n_lines, 0) as n_lines,
        l.requested, l.granted, l.received, l.has_demo_lines,
        l.granted / nullif(c.envelope, 0) as envelope_use,
        -- A row is demonstration data when the contract or any of its lines is.
        coalesce(c.is_demo, false) or coalesce(l.has_demo_lines, false) as is_demo
    from contracts as c
    full join lines as l on l.contract_id = c.contract_id
    where c.territory_id = $territory or c.contract_id is null
)
select * from final order by granted desc nulls last, contract
