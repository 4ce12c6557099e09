"""Moved: components/config/vpn.py and alerts.py. Kept so existing imports of this module go on working."""

from components.config import *  # noqa: F403
