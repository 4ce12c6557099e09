"""Moved: components/config/data.py and dr.py. Kept so existing imports of this module go on working."""

from components.config import *  # noqa: F403
