"""Shared helpers: small campaigns built in code, runs with a full event log."""

from __future__ import annotations

import copy
import os

import pytest
from hypothesis import settings

from dialer.config import from_dict
from dialer.experiments.run import simulate
from dialer.records.calls import Call
from dialer.sim.model import Agent

# Property tests draw the same examples on every run (CI stays reproducible: a red run is a
# model or test fault, not the luck of the draw); HYPOTHESIS_PROFILE=explore draws new ones,
# and what it finds goes into the test as an @example.
settings.register_profile("fixed", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed"))

# A world with nothing random unless a test asks for it: all persons, constant times,
# no AMD, calling window open all day, an endless list.
CONSTANT_WORLD = {
    "name": "exact",
    "seed": 5,
    "start": "2026-03-02T00:00:00",
    "site_timezone": "UTC",
    "horizon_s": 300,
    "calling_list": {"size": None, "daily_from": "00:00", "daily_till": "24:00", "max_attempts": 1},
    "compliance": {"legal_hours": False},
    "population": {
        "human": 1.0,
        "machine": 0.0,
        "busy": 0.0,
        "no_answer": 0.0,
        "fax": 0.0,
        "invalid": 0.0,
        "answer_time_s": 10,
        "machine_answer_time_s": 12,
        "busy_time_s": 4,
        "invalid_time_s": 3,
        "patience_s": 100,
    },
    "cpd": {"ring_timeout_s": 20, "amd": False, "detect_time_s": 2},
    "agents": {
        "groups": [
            {"name": "a", "count": 1, "talk_time_s": 60, "wrap_time_s": 10, "machine_time_s": 5}
        ]
    },
    "dialing": {"mode": "progressive", "abandon_after_s": 2, "ratio": 2.0, "preview_time_s": 15},
}


def make_campaign(base: dict | None = None, **dotted):
    """A campaign from ``base`` (CONSTANT_WORLD by default) with dotted keys set."""
    raw = copy.deepcopy(base if base is not None else CONSTANT_WORLD)
    c = from_dict(raw)
    return c.override(dotted) if dotted else c


def event_log(campaign) -> tuple[list[tuple], list[Call], object]:
    """Run with a trace: [(time, event, call id or agent id)], the calls, the result."""
    log: list[tuple] = []
    calls: list[Call] = []

    def trace(now, what, obj):
        ident = obj.agent_id if isinstance(obj, Agent) else obj.call_id
        log.append((round(now, 6), what, ident))

    result = simulate(campaign, trace=trace, on_call=calls.append)
    return log, sorted(calls, key=lambda c: c.call_id), result


@pytest.fixture
def constant_world():
    return copy.deepcopy(CONSTANT_WORLD)
