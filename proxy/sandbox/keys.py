"""Typed application keys of the sandbox app."""

from __future__ import annotations

from aiohttp import web

from .faults import Faults
from .state import SandboxState
from .stats import Stats
from .webhooks import WebhookSender

STATE = web.AppKey("sandbox_state", SandboxState)
STATS = web.AppKey("sandbox_stats", Stats)
FAULTS = web.AppKey("sandbox_faults", Faults)
WEBHOOKS = web.AppKey("sandbox_webhooks", WebhookSender)
