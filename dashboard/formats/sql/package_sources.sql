-- Open-data package: the territory's rows of `sources` (docs/schema.md).
select * from sources where territory_id = $territory order by file
