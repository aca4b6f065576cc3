"""Adapters: dialects (north, client protocols) and upstreams (south, vendors)."""
