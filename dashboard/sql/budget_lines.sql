with final as (
    select
        b.line_id, b.action_id, a.code as action_code, a.title as action_title,
        b.year, b.section, b.direction, b.planned, b.committed, b.paid, b.is_demo, b.provenance, b.source,
        a.sort_order
    from budget_lines as b
    join actions as a using (action_id)
    where b.territory_id = $territory
)
select * exclude (sort_order) from final
order by sort_order, year, section, direction
