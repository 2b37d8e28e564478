-- Open-data package: the territory's rows of `plan_items` (docs/schema.md).
select * from plan_items where territory_id = $territory order by sort_order
