"""Small centres built in code for the tests: constant worlds and queueing models."""

from __future__ import annotations

import copy

from conftest import CONSTANT_WORLD
from dialer.centre import centre_from_dict

# The outbound side of a constant world (conftest): every dial a person answering at 10 s,
# talk 60, wrap 10, no AMD, an endless list open all day.
CAMPAIGN = {
    k: copy.deepcopy(v)
    for k, v in CONSTANT_WORLD.items()
    if k not in ("name", "seed", "start", "site_timezone", "horizon_s", "agents")
}
CAMPAIGN["agents"] = {
    "groups": [{"name": "x", "talk_time_s": 60, "wrap_time_s": 10, "machine_time_s": 5}]
}


def centre(
    groups: dict[str, int],
    queues: list[dict] | None = None,
    campaigns: list[dict] | None = None,
    **top,
):
    """A centre from group counts, queue and campaign entries (campaigns over CAMPAIGN)."""
    raw = {
        "name": "test-centre",
        "seed": 5,
        "start": "2026-03-02T00:00:00",
        "site_timezone": "UTC",
        "horizon_s": 300,
        "agents": {"groups": [{"name": g, "count": n} for g, n in groups.items()]},
        "queues": queues or [],
        "campaigns": [_merge(CAMPAIGN, c) for c in campaigns or []],
    }
    raw.update(top)
    return centre_from_dict(raw)


def queue(name: str = "q", groups=("x",), rate: float = 60.0, **keys) -> dict:
    """A queue with constant talk 60 s, no wrap, callers who never hang up."""
    return {
        "name": name,
        "arrivals_per_hour": {"00:00": rate},
        "patience_s": None,
        "talk_time_s": 60,
        "wrap_time_s": 0,
        "groups": list(groups),
        **keys,
    }


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def blend_model(s: int, rate_per_h: float, mean_s: float, reserve: int, seed: int, hours: float):
    """Bhulai & Koole's threshold model: s agents of one group, Poisson inbound, exponential
    handling with one mean for inbound and outbound, no wrap-up, callers who never hang up;
    outbound by progressive dialing with instant answers, every dial a person; ``reserve``
    agents kept free for inbound; a free agent takes a waiting caller first."""
    expo = {"dist": "exponential", "mean": mean_s}
    return centre_from_dict(
        {
            "name": "bhulai-koole",
            "seed": seed,
            "start": "2026-03-02T00:00:00",
            "site_timezone": "UTC",
            "horizon_s": hours * 3600,
            "warmup_s": 3600,
            "agents": {"groups": [{"name": "blend", "count": s}]},
            "queues": [
                {
                    "name": "inbound",
                    "arrivals_per_hour": {"00:00": rate_per_h},
                    "patience_s": None,
                    "talk_time_s": expo,
                    "wrap_time_s": 0,
                    "groups": ["blend"],
                    "service_level_s": 20,
                }
            ],
            "campaigns": [
                {
                    "name": "outbound",
                    "groups": ["blend"],
                    "calling_list": {
                        "size": None,
                        "daily_from": "00:00",
                        "daily_till": "24:00",
                        "max_attempts": 1,
                    },
                    "compliance": {"legal_hours": False},
                    "population": {
                        "human": 1,
                        "machine": 0,
                        "busy": 0,
                        "no_answer": 0,
                        "fax": 0,
                        "invalid": 0,
                        "answer_time_s": 0,
                        "patience_s": 100,
                    },
                    "cpd": {"amd": False},
                    "agents": {
                        "groups": [{"name": "blend", "talk_time_s": expo, "wrap_time_s": 0}]
                    },
                    "dialing": {"mode": "progressive"},
                }
            ],
            "blending": {"first": "inbound", "reserve_agents": reserve},
        }
    )
