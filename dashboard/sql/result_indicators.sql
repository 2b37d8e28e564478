-- Every result indicator of a territory with what it measures (action or plan item) and its
-- computed figures (warehouse view result_status: share reached, trajectory, gap, status).
with final as (
    select
        s.indicator_id, s.code, s.action_id, s.item_id, s.root_item_id, s.label, s.unit,
        s.higher_is_better, s.baseline_value, s.baseline_date, s.target_value, s.target_date,
        s.series, s.source, s.is_demo, s.provenance, s.latest_date, s.latest_value,
        s.latest_source, s.latest_millesime, s.latest_origin, s.latest_provenance, s.n_points,
        s.expected_value, s.share_reached, s.expected_share, s.gap_points, s.tolerance_points,
        s.trajectory_status, s.target_reached, s.as_of, s.sort_order,
        a.code as action_code, a.title as action_title,
        coalesce(marked_title(i.title, i.provenance), a.title) as subject,
        marked_title(r.title, r.provenance) as root_title,
        coalesce(i.path, ai.path) as item_path
    from result_status as s
    left join actions as a on a.action_id = s.action_id
    left join plan_items as i on i.item_id = s.item_id
    left join plan_items as ai on ai.item_id = a.item_id
    left join plan_items as r on r.item_id = s.root_item_id
    where s.territory_id = $territory
)
select * from final order by root_title, sort_order
