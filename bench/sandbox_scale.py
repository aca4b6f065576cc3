"""The sandbox's own cost per request as its world grows: 1k vs 100k rentals.

    .venv/bin/python bench/sandbox_scale.py [--rentals 100000]

In process, on the sandbox's rules (the HTTP layer costs the same at any size): one
account rents a number, reads its status and lets it expire, over and over, so rentals
pile up (all of them kept, as the vendor keeps them). The time of a rent plus the sweep
that every request runs is compared between the first and the last thousand: by median,
the typical request, since a window's mean moves by ±50 % with whether the collector's
full pass (amortised over every allocation since the last) happens to fall inside it;
the means are printed too.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from proxy.sandbox import SandboxClock, SandboxConfig  # noqa: E402
from proxy.sandbox.model import Account  # noqa: E402
from proxy.sandbox.rentals import Preferences, rent_number  # noqa: E402
from proxy.sandbox.state import SandboxState  # noqa: E402

WINDOW = 1000


def main(total: int) -> None:
    clock = SandboxClock(frozen=True)
    state = SandboxState(SandboxConfig(seed=1), clock)
    account = Account(api_key="sk_bench", balance=Decimal(10**9), max_active_rentals=10**9)
    state.accounts[account.api_key] = account
    state.services["whatsapp"].stock = 10**9
    took: list[float] = []
    for _ in range(total):
        t = time.perf_counter()
        state.sweep()  # what every request does first
        rental = rent_number(state, account, "whatsapp", Preferences(), None)
        took.append(time.perf_counter() - t)
        clock.advance(rental.end_time - clock.now())  # it expires before the next one
    first, last = took[:WINDOW], took[-WINDOW:]
    print(f"rentals held: {len(state.rentals):,}; sweep + rent over {WINDOW:,} requests:")
    for name, window in (("first", first), (f"last {WINDOW:,} at {total:,}", last)):
        print(f"  {name}: median {statistics.median(window) * 1e6:.0f} µs, "
              f"mean {statistics.mean(window) * 1e6:.0f} µs")
    ratio = statistics.median(last) / statistics.median(first)
    print(f"goal 6: per-request cost at {total:,} rentals {ratio:.2f}x that at the start (median)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rentals", type=int, default=100_000)
    main(parser.parse_args().rentals)
