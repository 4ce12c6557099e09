"""Data files the rules read at import: `taggable_types.txt` (generated; see `generate_taggable.py`) and
`allowed_types.json` (the allow-list of `allowed-resource-types`); `inventory.json`, the pulumi-aws types by
capability, is read by the tests only (generated and reviewed; see `connectctl/inventory.py`)."""
