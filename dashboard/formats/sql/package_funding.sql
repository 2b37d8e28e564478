-- Open-data package: the territory's rows of `funding` (docs/schema.md).
select * from funding where territory_id = $territory order by funding_id
