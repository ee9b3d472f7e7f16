"""Every shipped campaign validates and runs in every mode it can run."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.config import IVR_MODES, load_campaign
from dialer.experiments.run import simulate

CAMPAIGNS = sorted(Path("campaigns").glob("*.yaml"))
MODES = ["preview", "progressive", "power", "predictive", "optimized", "adaptive"]
# every campaign with every mode it can run: the agent modes, or the agentless ones
RUNS = [
    (path, mode)
    for path in CAMPAIGNS
    for mode in (IVR_MODES if load_campaign(path).agentless else MODES)
]


def test_there_are_example_campaigns():
    assert len(CAMPAIGNS) >= 3


@pytest.mark.parametrize(("path", "mode"), RUNS, ids=[f"{p.stem}-{m}" for p, m in RUNS])
def test_campaign_runs(path, mode):
    c = load_campaign(path, {"dialing.mode": mode})
    c = c.override({"horizon_s": min(c.horizon_s, 7200), "warmup_s": 0})
    s = simulate(c).summary
    assert s["dials"] > 0 and s["connects"] > 0
    if c.agentless:
        assert s["ivr_messages_persons"] > 0 and s["ivr_messages_machines"] > 0
        assert s["agent_hours"] == 0
        return
    assert 0 < s["occupancy"] < 1
    if mode in ("preview", "progressive"):
        assert s["abandoned"] == 0
