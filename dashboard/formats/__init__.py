"""Exports and imports in the ecosystem's formats: the commission deck (PowerPoint), SCDL
Subventions, the Communs' projets-territoire schema and an open-data package (frictionless).

See docs/formats.md for the formats, their versions and the field mappings."""
