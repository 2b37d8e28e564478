-- Every action of a territory with what a weekly digest needs: the person piloting it, its
-- lateness judged at the territory's date (`late_as_of`, as on every screen), whether its
-- status is a finished one, its latest note and latest météo.
with weather as (
    select action_id, weather, weather_date, weather_reason
    from latest_weather
    where territory_id = $territory and action_id is not null
),
final as (
    select
        a.action_id, a.code, a.title, a.status, a.progress, a.planned_end, a.is_late,
        a.days_late, a.late_as_of, a.last_note_date, a.pilot_name, a.pilot_email,
        a.pilot_service, a.is_demo, a.provenance, a.sort_order,
        coalesce(st.is_done, false) as is_done,
        w.weather, w.weather_date, w.weather_reason
    from action_status as a
    left join statuses as st on st.status = a.status
    left join weather as w using (action_id)
    where a.territory_id = $territory
)
select * from final order by sort_order
