"""``dialer bench``: simulated dials per second against a minimal bare SimPy model.

The scenario is a large power-mode campaign (200 agents, AMD off, an endless list, calling
window open all day) run for two horizons, so that the dials-per-second figure shows whether
cost grows linearly with dials. The bare model is the same flow written the textbook way (a
SimPy process per call, agents as a Resource, ``random`` draws), with none of the project's
bookkeeping; the ratio says what the project's design costs or saves against it.
"""

from __future__ import annotations

import json
import math
import random
import resource
import time

import simpy

from dialer.config import from_dict

BENCH_CAMPAIGN = {
    "name": "bench-power-200",
    "seed": 11,
    "horizon_s": 43200,
    "calling_list": {"size": None, "daily_from": "00:00", "daily_till": "24:00"},
    "compliance": {"legal_hours": False},
    "population": {
        "human": 0.25,
        "machine": 0.15,
        "busy": 0.05,
        "no_answer": 0.45,
        "fax": 0.02,
        "invalid": 0.08,
        "answer_time_s": {"dist": "lognormal", "mean": 9, "sd": 4},
        "machine_answer_time_s": {"dist": "lognormal", "mean": 18, "sd": 4},
        "patience_s": {"dist": "exponential", "mean": 4},
    },
    "cpd": {"amd": False, "ring_timeout_s": 25},
    "agents": {
        "groups": [
            {
                "name": "agents",
                "count": 200,
                "talk_time_s": {"dist": "lognormal", "mean": 120, "sd": 80},
                "wrap_time_s": {"dist": "exponential", "mean": 15},
                "machine_time_s": 6,
            }
        ]
    },
    "dialing": {"mode": "power", "ratio": 2.0, "abandon_after_s": 2},
}


def bench_campaign(agents: int = 200, horizon_s: float = 43200):
    raw = json.loads(json.dumps(BENCH_CAMPAIGN))
    raw["agents"]["groups"][0]["count"] = agents
    raw["horizon_s"] = horizon_s
    return from_dict(raw)


def bare_model(campaign) -> int:
    """The same flow as a textbook SimPy model; returns the number of dials placed."""
    env = simpy.Environment()
    rnd = random.Random(campaign.seed)
    pop, cpd, d = campaign.population, campaign.cpd, campaign.dialing
    group = campaign.agents.groups[0]
    agents = simpy.Resource(env, capacity=group.count)
    shares = [pop.human, pop.machine, pop.busy, pop.no_answer, pop.fax, pop.invalid]
    cum = [sum(shares[: i + 1]) for i in range(len(shares))]

    def lognormal(dist) -> float:
        s2 = math.log1p((dist.sd / dist.mean_) ** 2)
        return rnd.lognormvariate(math.log(dist.mean_) - s2 / 2, math.sqrt(s2))

    state = {"in_flight": 0, "dials": 0}
    changed = [env.event()]

    def poke() -> None:
        if not changed[0].triggered:
            changed[0].succeed()

    def call():
        u = rnd.random()
        kind = next(i for i, c in enumerate(cum) if u < c)
        if kind in (0, 1, 4):
            answer = lognormal(pop.answer_time_s if kind == 0 else pop.machine_answer_time_s)
            delay = min(answer, cpd.ring_timeout_s)
        elif kind == 2:
            delay = pop.busy_time_s.mean
        elif kind == 5:
            delay = pop.invalid_time_s.mean
        else:
            delay = cpd.ring_timeout_s
        yield env.timeout(delay)
        state["in_flight"] -= 1
        poke()
        if (
            kind in (0, 1) and delay < cpd.ring_timeout_s
        ):  # AMD off: persons and machines reach agents
            patience = rnd.expovariate(1 / pop.patience_s.mean) if kind == 0 else math.inf
            with agents.request() as req:
                got = yield req | env.timeout(min(d.abandon_after_s, patience))
                if req in got:
                    poke()
                    if kind == 0:
                        yield env.timeout(lognormal(group.talk_time_s))
                        yield env.timeout(rnd.expovariate(1 / group.wrap_time_s.mean))
                    else:
                        yield env.timeout(group.machine_time_s.mean)
            poke()

    def dialer():
        while True:
            free = agents.capacity - agents.count - len(agents.queue)
            target = math.ceil(d.ratio * free - 1e-9) if free > 0 else 0
            for _ in range(max(0, target - state["in_flight"])):
                state["in_flight"] += 1
                state["dials"] += 1
                env.process(call())
            changed[0] = env.event()
            yield changed[0]

    env.process(dialer())
    env.run(until=campaign.horizon_s)
    return state["dials"]


def _best(fn, repeat: int) -> tuple[float, int]:
    best, dials = math.inf, 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        dials = fn()
        best = min(best, time.perf_counter() - t0)
    return best, dials


def measure(agents: int, hours: float, repeat: int) -> dict:
    from dialer.experiments.run import simulate

    campaign = bench_campaign(agents, hours * 3600)
    t_project, d_project = _best(lambda: simulate(campaign).summary["dials"], repeat)
    t_bare, d_bare = _best(lambda: bare_model(campaign), repeat)
    return {
        "agents": agents,
        "hours": hours,
        "project_dials": d_project,
        "project_s": round(t_project, 3),
        "project_dials_per_s": round(d_project / t_project),
        "bare_dials": d_bare,
        "bare_s": round(t_bare, 3),
        "bare_dials_per_s": round(d_bare / t_bare),
        "ratio": round((d_project / t_project) / (d_bare / t_bare), 2),
    }


def main(args) -> int:
    rows = [measure(args.agents, h, args.repeat) for h in args.hours]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.json:
        print(json.dumps({"rows": rows, "peak_rss_mb": round(peak_mb, 1)}, indent=2))
        return 0
    print(f"power mode, {args.agents} agents, AMD off, endless list; best of {args.repeat}")
    print(f"{'hours':>6} {'dials':>9} {'project dials/s':>16} {'bare dials/s':>13} {'ratio':>6}")
    for r in rows:
        print(
            f"{r['hours']:>6g} {r['project_dials']:>9} {r['project_dials_per_s']:>16} "
            f"{r['bare_dials_per_s']:>13} {r['ratio']:>6}"
        )
    print(f"peak memory of this process: {peak_mb:.0f} MB")
    return 0
