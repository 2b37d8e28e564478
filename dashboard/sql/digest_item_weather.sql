-- The latest météo of each plan item of a territory (no row: not given).
select i.code, i.title, i.provenance as item_provenance, w.weather, w.weather_date,
       w.weather_reason, w.author, w.is_demo
from latest_weather as w
join plan_items as i on i.item_id = w.item_id
where w.territory_id = $territory and w.item_id is not null
order by i.sort_order
