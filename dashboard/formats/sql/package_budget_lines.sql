-- Open-data package: the territory's rows of `budget_lines` (docs/schema.md).
select * from budget_lines where territory_id = $territory order by line_id
