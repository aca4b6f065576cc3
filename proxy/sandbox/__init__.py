"""The Getatext emulator: a faithful, stateful vendor for tests, benchmarks and demos.

It imports nothing else of the project: it plays the vendor and shares nothing.
"""

from .app import create_app
from .clock import SandboxClock
from .state import SandboxConfig

__all__ = ["SandboxClock", "SandboxConfig", "create_app"]
