with roots as (
    select item_id, code, title, level, sort_order
    from plan_items
    where territory_id = $territory and depth = 1
),
final as (
    select r.item_id, r.code, r.title, r.level, r.sort_order, a.status,
           count(a.action_id) as n_actions,
           count(a.action_id) filter (where a.is_late) as n_late
    from roots as r
    join action_status as a on a.root_item_id = r.item_id
    group by all
)
select * from final order by sort_order, status
