"""What the forecasting pacers' full decisions cost, against power mode's whole run.

For each team size, runs power, predictive and optimized on a campaign (by default the B2C
example with an endless list and no line limit, as ``dialer bench`` runs it) and times the
full decisions alone (``Forecasting.dials_at_rate``: the age tables read, M's distribution,
the marginal rule). Prints each mode's wall time against power's, the number of full
decisions, their share of the time and their mean cost, the ratio the mode would reach if its
full decisions cost nothing, and its dials against power's. Wall times are the fastest of
``--repeat`` runs; the decisions' figures are those of that run.

    python experiments/decision_cost.py --agents 25 100 400 1000 --hours 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dialer.errors import InputError  # noqa: E402
from dialer.experiments.bench import EXAMPLE, modes_campaign  # noqa: E402
from dialer.experiments.run import simulate  # noqa: E402
from dialer.pacing import predictive  # noqa: E402


class DecisionClock:
    """Wraps the full decision of the forecasting pacers and adds up its time."""

    def __init__(self) -> None:
        self.seconds, self.count = 0.0, 0
        self.inner = predictive.Forecasting.dials_at_rate
        clock = self

        def timed(pacer, obs, rate, held_back=0):
            t = time.perf_counter()
            n = clock.inner(pacer, obs, rate, held_back)
            clock.seconds += time.perf_counter() - t
            clock.count += 1
            return n

        predictive.Forecasting.dials_at_rate = timed  # type: ignore[method-assign]

    def reset(self) -> None:
        self.seconds, self.count = 0.0, 0


def fastest(campaign, repeat: int, clock: DecisionClock) -> tuple[float, float, int, int]:
    """(wall s, decision s, decisions, dials) of the fastest of ``repeat`` runs."""
    best: tuple[float, float, int, int] | None = None
    for _ in range(repeat):
        clock.reset()
        t = time.perf_counter()
        dials = simulate(campaign).summary["dials"]
        wall = time.perf_counter() - t
        if best is None or wall < best[0]:
            best = (wall, clock.seconds, clock.count, dials)
    assert best is not None
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--campaign", default=str(EXAMPLE))
    ap.add_argument("--agents", type=int, nargs="+", default=[25, 100, 400, 1000])
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    try:  # the campaign's problems as one line, before anything is timed
        modes_campaign(args.campaign, "power", 1, args.hours)
    except InputError as exc:
        print(f"decision_cost: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    clock = DecisionClock()
    print(
        "| agents | mode | time × power | full decisions | their share of the time | µs each "
        "| time × power without them | dials × power |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n in args.agents:
        power = fastest(modes_campaign(args.campaign, "power", n, args.hours), args.repeat, clock)
        for mode in ("predictive", "optimized"):
            wall, spent, k, dials = fastest(
                modes_campaign(args.campaign, mode, n, args.hours), args.repeat, clock
            )
            print(
                f"| {n:,} | {mode} | {wall / power[0]:.2f} | {k:,} | {spent / wall:.0%} "
                f"| {1e6 * spent / max(k, 1):.0f} | {(wall - spent) / power[0]:.2f} "
                f"| {dials / power[3]:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
