-- Column types of the warehouse tables (the open-data package's Table Schemas).
select table_name, column_name, data_type, ordinal_position
from information_schema.columns
where table_catalog = current_database()
order by table_name, ordinal_position
