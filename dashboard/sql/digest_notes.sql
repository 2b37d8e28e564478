-- The follow-up notes of a territory dated from $since on (an action's or a plan item's), with
-- their author: what was written this week.
with final as (
    select
        f.note_date, f.author, f.note_type, f.status, f.progress, f.weather, f.text,
        f.is_demo, f.provenance, f.action_id,
        coalesce(a.code, i.code) as code,
        coalesce(a.title, i.title) as title,
        f.action_id is null as on_item
    from followups as f
    left join actions as a on a.action_id = f.action_id
    left join plan_items as i on i.item_id = f.item_id
    where f.territory_id = $territory and f.note_date >= cast($since as date)
)
select * from final order by note_date desc, code
