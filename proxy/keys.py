"""Typed application keys of the proxy app."""

from __future__ import annotations

from aiohttp import web

from .config import Settings
from .service import Service

SETTINGS = web.AppKey("settings", Settings)
SERVICE = web.AppKey("service", Service)
