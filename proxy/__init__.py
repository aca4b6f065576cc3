"""smsproxy: a compatibility proxy for SMS-verification tools."""

__version__ = "0.1.0"  # the one place: the banner and the metrics' build info read it
