"""ETL: plan workbooks/CSV + national reference -> data/warehouse.duckdb."""
