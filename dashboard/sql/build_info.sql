select built_at, etl_version, reference_versions from build_info
