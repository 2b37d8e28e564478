with costs as (
    select action_id, planned, committed, paid
    from action_costs
    where territory_id = $territory
),
funds as (
    select action_id, sum(requested) as requested, sum(granted) as granted,
           sum(received) as received, count(*) as n_funding_lines
    from funding
    where territory_id = $territory
    group by action_id
),
places as (
    select ac.action_id, string_agg(c.name, ', ' order by c.name) as communes,
           count(*) as n_communes
    from action_communes as ac
    join communes as c using (insee_code)
    group by ac.action_id
),
final as (
    select
        a.action_id, a.item_id, a.root_item_id, a.code, a.title, a.description, a.status,
        a.progress, a.is_late, a.days_late, a.provenance,
        a.planned_start, a.planned_end, a.actual_start, a.actual_end,
        a.pilot_service, a.pilot_name, a.pilot_email, a.elected_referent,
        a.priority, array_to_string(a.themes, ', ') as themes, a.is_demo, a.source,
        a.last_note_date, a.sort_order,
        marked_title(r.title, r.provenance) as root_title,
        marked_title(i.title, i.provenance) as item_title, i.path as item_path, i.level as item_level,
        p.communes, p.n_communes,
        c.planned as budget_planned, c.committed as budget_committed, c.paid as budget_paid,
        f.requested as funding_requested, f.granted as funding_granted,
        f.received as funding_received, f.n_funding_lines
    from action_status as a
    join plan_items as i on i.item_id = a.item_id
    join plan_items as r on r.item_id = a.root_item_id
    left join costs as c using (action_id)
    left join funds as f using (action_id)
    left join places as p using (action_id)
    where a.territory_id = $territory
)
select * from final order by sort_order
