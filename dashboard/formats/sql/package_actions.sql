-- Open-data package: the territory's actions (docs/schema.md, `actions`); lateness is not
-- stored, it is derived from the planned end at query time (`action_status`).
select * exclude (sort_order), sort_order from actions
where territory_id = $territory order by sort_order
