"""What a served request leaves behind: one record, read by the request tally and the
access log when `served` folds a batch."""

from __future__ import annotations

# a served request: its id, the dialect's note, the HTTP status, start and end (both
# time.perf_counter) and the upstream calls it made
RequestRecord = tuple[str, dict[str, str], int, float, float, int]
