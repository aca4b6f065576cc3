"""The `smsproxy` command: `main` parses the command line, one module per command family."""

from proxy.cli.main import main

__all__ = ["main"]
