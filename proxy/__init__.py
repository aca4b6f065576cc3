"""smsproxy: a compatibility proxy for SMS-verification tools."""
