-- The alert rules that fire on a territory (view result_alerts), with what they are about.
with final as (
    select
        x.rule, x.rule_label, x.threshold, x.threshold_unit, x.observed, x.as_of,
        x.indicator_id, x.action_id, coalesce(x.item_id, r.item_id) as item_id,
        r.label as indicator_label, r.unit as indicator_unit,
        coalesce(a.code, ri.code, i.code) as code,
        coalesce(a.title, marked_title(ri.title, ri.provenance),
                 marked_title(i.title, i.provenance)) as subject,
        coalesce(a.is_demo, false) or coalesce(r.is_demo, false) as is_demo
    from result_alerts as x
    left join result_indicators as r on r.indicator_id = x.indicator_id
    left join actions as a on a.action_id = coalesce(x.action_id, r.action_id)
    left join plan_items as ri on ri.item_id = r.item_id
    left join plan_items as i on i.item_id = x.item_id
    where x.territory_id = $territory
)
select * from final order by rule, code
