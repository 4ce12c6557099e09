"""Moved: components/config/services.py and registry.py. Kept so existing imports of this module go on working."""

from components.config import *  # noqa: F403
