"""Builds grafana/dashboards/smsproxy.json: rows of panels, each a PromQL query.

    python grafana/generate.py

Every expression filters on the `$instance` and `$provider` template variables where the
series carry those labels; tests/test_dashboard.py evaluates all of them against a real
Prometheus.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

INST = 'instance=~"$instance"'
PROV = 'provider=~"$provider"'
W = "$__rate_interval"

ROWS: list[tuple[str, list[tuple[str, str, str, list[tuple[str, str]]]]]] = [
    ("Client traffic", [
        ("Requests by action", "timeseries", "reqps", [
            (f"sum by (dialect, action) (rate(smsproxy_client_requests_total{{{INST}}}[{W}]))",
             "{{dialect}} {{action}}")]),
        ("Errors by class", "timeseries", "reqps", [
            (f'sum by (result) (rate(smsproxy_client_requests_total{{{INST},result!="ok"}}[{W}]))',
             "{{result}}")]),
        ("Answered by proxy vs upstream", "timeseries", "reqps", [
            (f"sum by (source) (rate(smsproxy_client_requests_total{{{INST}}}[{W}]))",
             "{{source}}")]),
        ("In flight", "stat", "short", [
            (f"sum(smsproxy_client_requests_in_flight{{{INST}}})", "in flight")]),
    ]),
    ("Latency", [
        ("Client latency p50 / p95 / p99", "timeseries", "s", [
            (f"histogram_quantile({q}, sum by (le) (rate("
             f"smsproxy_client_request_duration_seconds_bucket{{{INST}}}[{W}])))", f"p{p}")
            for q, p in (("0.5", "50"), ("0.95", "95"), ("0.99", "99"))]),
        ("Upstream latency p95 by endpoint", "timeseries", "s", [
            (f"histogram_quantile(0.95, sum by (le, endpoint) (rate("
             f"smsproxy_upstream_request_duration_seconds_bucket{{{INST},{PROV}}}[{W}])))",
             "{{endpoint}}")]),
        ("Pacing wait p95 by group", "timeseries", "s", [
            (f"histogram_quantile(0.95, sum by (le, group) (rate("
             f"smsproxy_pacing_wait_seconds_bucket{{{INST}}}[{W}])))", "{{group}}")]),
    ]),
    ("Upstream health", [
        ("Upstream calls by outcome", "timeseries", "reqps", [
            (f"sum by (provider, outcome) (rate(smsproxy_upstream_requests_total{{{INST},{PROV}}}"
             f"[{W}]))", "{{provider}} {{outcome}}")]),
        ("Upstream calls by endpoint", "timeseries", "reqps", [
            (f"sum by (endpoint) (rate(smsproxy_upstream_requests_total{{{INST},{PROV}}}[{W}]))",
             "{{endpoint}}")]),
    ]),
    ("Pacing", [
        ("Slots waited for", "timeseries", "ops", [
            (f"sum by (group) (rate(smsproxy_pacing_wait_seconds_count{{{INST}}}[{W}]))",
             "{{group}}")]),
        ("Refused (wait too long) and 429 push-backs", "timeseries", "short", [
            (f"sum by (group) (increase(smsproxy_pacing_rejections_total{{{INST}}}[1h]))",
             "refused {{group}}"),
            (f"sum by (group) (increase(smsproxy_pacing_penalties_total{{{INST}}}[1h]))",
             "429 {{group}}")]),
    ]),
    ("Caches and savings", [
        ("Lookups by cache and result", "timeseries", "ops", [
            (f"sum by (cache, result) (rate(smsproxy_cache_lookups_total{{{INST}}}[{W}]))",
             "{{cache}} {{result}}")]),
        ("Calls saved by coalescing", "timeseries", "ops", [
            (f"sum by (cache) (rate(smsproxy_coalesced_calls_total{{{INST}}}[{W}]))",
             "{{cache}}")]),
        ("Negative-cache hits (last hour)", "stat", "short", [
            (f'sum(increase(smsproxy_cache_lookups_total{{{INST},result="negative_hit"}}[1h]))',
             "negative hits")]),
        ("Background work that failed", "timeseries", "ops", [
            (f"sum by (task) (rate(smsproxy_background_failures_total{{{INST}}}[{W}]))",
             "{{task}}")]),
    ]),
    ("Activations and spend", [
        ("Activations by status", "timeseries", "short", [
            (f"sum by (status) (smsproxy_activations{{{INST}}})", "{{status}}")]),
        ("Rentals by service (last hour)", "timeseries", "short", [
            (f"sum by (service) (increase(smsproxy_rentals_total{{{INST},{PROV}}}[1h]))",
             "{{service}}")]),
        ("Spend by provider (last hour, USD)", "timeseries", "currencyUSD", [
            (f"sum by (provider) (increase(smsproxy_rental_cost_dollars_total{{{INST},{PROV}}}[1h]))",
             "{{provider}}")]),
        ("Webhooks received", "timeseries", "short", [
            (f"sum by (outcome) (increase(smsproxy_webhooks_received_total{{{INST}}}[1h]))",
             "{{outcome}}")]),
    ]),
    ("Providers", [
        ("Purchases by provider and route (last hour)", "timeseries", "short", [
            (f"sum by (provider, route) (increase(smsproxy_provider_purchases_total{{{INST},{PROV}}}[1h]))",
             "{{provider}} {{route}}")]),
        ("Failovers by provider and refusal (last hour)", "timeseries", "short", [
            (f"sum by (provider, reason) (increase(smsproxy_provider_failovers_total{{{INST},{PROV}}}[1h]))",
             "{{provider}} {{reason}}")]),
        ("Cooldown left by provider", "timeseries", "s", [
            (f"max by (provider) (smsproxy_provider_cooldown_seconds{{{INST},{PROV}}})",
             "{{provider}}")]),
        ("Cooling down, by reason", "timeseries", "short", [
            (f"max by (provider, reason) (smsproxy_provider_cooling{{{INST},{PROV}}})",
             "{{provider}} {{reason}}")]),
        ("Codes delivered, by provider and service (what routing = value weighs)",
         "timeseries", "percentunit", [
            (f"avg by (provider, service) (smsproxy_provider_code_rate{{{INST},{PROV}}})",
             "{{provider}} {{service}}")]),
    ]),
    ("Tenants", [
        ("Net spend by tenant (last hour, USD)", "timeseries", "currencyUSD", [
            (f"sum by (tenant) (increase(smsproxy_tenant_spend_dollars_total{{{INST}}}[1h]))"
             f" - sum by (tenant) (increase(smsproxy_tenant_refunds_dollars_total{{{INST}}}[1h]))",
             "{{tenant}}")]),
        ("Purchases by tenant (last hour)", "timeseries", "short", [
            (f"sum by (tenant) (increase(smsproxy_tenant_purchases_total{{{INST}}}[1h]))",
             "{{tenant}}")]),
        ("Budget left by tenant", "timeseries", "currencyUSD", [
            (f"min by (tenant, period) (smsproxy_tenant_budget_remaining_dollars{{{INST}}})",
             "{{tenant}} {{period}}")]),
        ("Refusals by tenant and limit (last hour)", "timeseries", "short", [
            (f"sum by (tenant, reason) (increase(smsproxy_tenant_refusals_total{{{INST}}}[1h]))",
             "{{tenant}} {{reason}}")]),
        ("Codes to tenants' webhooks", "timeseries", "short", [
            (f"sum by (outcome) (increase(smsproxy_tenant_webhooks_total{{{INST}}}[1h]))",
             "{{outcome}}"),
            (f"sum(smsproxy_tenant_webhooks_pending{{{INST}}})", "pending")]),
        ("Callers the proxy cannot name: key checks, refused keys, limited requests",
         "timeseries", "short", [
            (f"sum by (outcome) (increase(smsproxy_key_checks_total{{{INST}}}[1h]))",
             "key checks {{outcome}}"),
            (f"sum(smsproxy_refused_keys_remembered{{{INST}}})", "refused keys remembered"),
            (f"sum by (reason) (increase(smsproxy_requests_limited_total{{{INST}}}[1h]))",
             "limited: {{reason}}")]),
    ]),
    ("Fleet", [
        ("Requests per replica and for the fleet", "timeseries", "reqps", [
            (f"sum by (instance) (rate(smsproxy_client_requests_total{{{INST}}}[{W}]))",
             "{{instance}}"),
            (f"sum(rate(smsproxy_client_requests_total{{{INST}}}[{W}]))", "fleet")]),
        ("Upstream calls per replica and for the fleet", "timeseries", "reqps", [
            (f"sum by (instance) (rate(smsproxy_upstream_requests_total{{{INST},{PROV}}}[{W}]))",
             "{{instance}}"),
            (f"sum(rate(smsproxy_upstream_requests_total{{{INST},{PROV}}}[{W}]))", "fleet")]),
        ("Replicas alive (as each sees it) and pacing alone", "timeseries", "short", [
            (f"max by (instance) (smsproxy_fleet_replicas{{{INST}}})", "{{instance}} sees"),
            (f"sum(smsproxy_fleet_degraded{{{INST}}})", "replicas pacing alone")]),
    ]),
    ("Long rentals", [
        ("Long rentals held, by state", "timeseries", "short", [
            (f"max by (state) (smsproxy_long_rentals{{{INST}}})", "{{state}}")]),
        ("Long rentals rented, renewed, cancelled, let go (last hour)", "timeseries", "short", [
            (f"sum by (provider, event) (increase(smsproxy_long_rental_events_total{{{INST},{PROV}}}[1h]))",
             "{{provider}} {{event}}")]),
        ("Long-rental spend (last hour, USD)", "timeseries", "currencyUSD", [
            (f"sum by (provider) (increase(smsproxy_long_rental_spend_dollars_total{{{INST},{PROV}}}[1h]))",
             "{{provider}}")]),
    ]),
    ("Money safety", [
        ("Purchases whose outcome is unknown (unmatched now)", "stat", "short", [
            (f'sum(smsproxy_purchase_journal_entries{{{INST},state="unknown"}})', "unknown")]),
        ("Purchases by outcome (last hour)", "timeseries", "short", [
            (f"sum by (outcome) (increase(smsproxy_purchases_total{{{INST}}}[1h]))",
             "{{outcome}}")]),
    ]),
    ("Store", [
        ("Store latency p95 by operation", "timeseries", "s", [
            (f"histogram_quantile(0.95, sum by (le, operation) (rate("
             f"smsproxy_store_operation_duration_seconds_bucket{{{INST}}}[{W}])))",
             "{{operation}}")]),
        ("Event loop lag p99", "timeseries", "s", [
            (f"histogram_quantile(0.99, sum by (le) (rate("
             f"smsproxy_event_loop_lag_seconds_bucket{{{INST}}}[{W}])))", "p99")]),
        ("Build", "stat", "short", [
            (f"count by (version) (smsproxy_build_info{{{INST}}})", "{{version}}")]),
    ]),
]


def dashboard() -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    y, next_id = 0, 1
    for title, row in ROWS:
        panels.append({"type": "row", "title": title, "id": next_id, "collapsed": False,
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}})
        next_id += 1
        y += 1
        width = 24 // len(row)
        for i, (panel_title, kind, unit, targets) in enumerate(row):
            panels.append({
                "type": kind, "title": panel_title, "id": next_id,
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "gridPos": {"h": 8, "w": width, "x": i * width, "y": y},
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "targets": [{"refId": chr(65 + n), "expr": expr, "legendFormat": legend,
                             "datasource": {"type": "prometheus", "uid": "${datasource}"}}
                            for n, (expr, legend) in enumerate(targets)],
            })
            next_id += 1
        y += 8
    variable = {"type": "query", "refresh": 2, "includeAll": True, "multi": True,
                "allValue": ".*", "current": {"text": "All", "value": "$__all"},
                "datasource": {"type": "prometheus", "uid": "${datasource}"}}
    return {
        "title": "smsproxy", "uid": "smsproxy", "schemaVersion": 39, "version": 1,
        "tags": ["smsproxy"], "timezone": "utc", "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {"list": [
            {"type": "datasource", "name": "datasource", "label": "Prometheus",
             "query": "prometheus", "current": {"text": "Prometheus", "value": "prometheus"}},
            {**variable, "name": "instance", "label": "Instance",
             "query": "label_values(smsproxy_build_info, instance)",
             "definition": "label_values(smsproxy_build_info, instance)"},
            {**variable, "name": "provider", "label": "Provider",
             "query": "label_values(smsproxy_upstream_requests_total, provider)",
             "definition": "label_values(smsproxy_upstream_requests_total, provider)"},
        ]},
        "panels": panels,
    }


if __name__ == "__main__":
    out = Path(__file__).parent / "dashboards" / "smsproxy.json"
    out.write_text(json.dumps(dashboard(), indent=2) + "\n")
    print(f"wrote {out}")
