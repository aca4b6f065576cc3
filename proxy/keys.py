"""Typed application keys of the proxy app."""

from __future__ import annotations

from aiohttp import web

from .access_log import AccessLog
from .config import Settings
from .metrics import Metrics
from .service import Service

SETTINGS = web.AppKey("settings", Settings)
# what a dialect tells the core about the request it served: dialect, action, result
REQUEST_NOTE = web.RequestKey("smsproxy_note", dict[str, str])
SERVICE = web.AppKey("service", Service)
METRICS = web.AppKey("metrics", Metrics)
ACCESS_LOG = web.AppKey("access_log", AccessLog)
