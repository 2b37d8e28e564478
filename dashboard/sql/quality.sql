with funded as (
    select distinct action_id from funding where territory_id = $territory
),
budgeted as (
    select distinct action_id from budget_lines where territory_id = $territory
),
placed as (
    select distinct action_id from action_communes
),
final as (
    select
        a.code, a.title, a.status, a.pilot_service, marked_title(r.title, r.provenance) as root_title,
        a.pilot_service is null as missing_pilot,
        a.planned_end is null as missing_dates,
        b.action_id is null as missing_budget,
        f.action_id is null as missing_funding,
        p.action_id is null as missing_communes,
        a.last_note_date
    from action_status as a
    join plan_items as r on r.item_id = a.root_item_id
    left join funded as f using (action_id)
    left join budgeted as b using (action_id)
    left join placed as p using (action_id)
    where a.territory_id = $territory
      and a.status not in (select status from statuses where is_done)
)
select * from final order by root_title, code
