"""Data files the rules read at import (generated; see `generate_taggable.py`)."""
