"""Typed application keys of the proxy app."""

from __future__ import annotations

from aiohttp import web

from proxy.config import Settings
from proxy.inputs.sources import Network
from proxy.service import Service
from proxy.telemetry.metrics import Metrics
from proxy.telemetry.served import Served

SETTINGS = web.AppKey("settings", Settings)
# what a dialect tells the core about the request it served: dialect, action, result
REQUEST_NOTE = web.RequestKey("smsproxy_note", dict[str, str])
SERVICE = web.AppKey("service", Service)
METRICS = web.AppKey("metrics", Metrics)
SERVED = web.AppKey("served", Served)  # the served requests' samples and access lines
TRUSTED_PROXIES = web.AppKey("trusted_proxies", tuple[Network, ...])  # X-Forwarded-For from
