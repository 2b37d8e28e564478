-- Open-data package: the territory's rows of `contracts` (docs/schema.md).
select * from contracts where territory_id = $territory order by code
