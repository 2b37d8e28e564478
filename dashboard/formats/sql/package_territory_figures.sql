-- Open-data package: the territory's rows of `territory_figures` (docs/schema.md).
select * from territory_figures where territory_id = $territory order by indicator
