"""Every shipped campaign validates and runs in every mode it can run."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.centre import Centre, load, with_mode
from dialer.config import IVR_MODES, load_campaign
from dialer.experiments.run import simulate

FILES = sorted(Path("campaigns").glob("*.yaml"))
CAMPAIGNS = [p for p in FILES if not isinstance(load(p), Centre)]
CENTRES = [p for p in FILES if isinstance(load(p), Centre)]
MODES = ["preview", "progressive", "power", "predictive", "optimized", "adaptive", "threshold"]
# every campaign with every mode it can run: the agent modes, or the agentless ones
RUNS = [
    (path, mode)
    for path in CAMPAIGNS
    for mode in (IVR_MODES if load_campaign(path).agentless else MODES)
]


def test_there_are_example_campaigns_and_a_centre():
    assert len(CAMPAIGNS) >= 3 and CENTRES


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


@pytest.mark.parametrize("path", CENTRES, ids=lambda p: p.stem)
@pytest.mark.parametrize("mode", MODES)
def test_centre_runs(path, mode):
    c = with_mode(load(path), mode).override({"horizon_s": 4 * 3600})
    s = simulate(c).summary
    assert s["inbound"]["answered"] > 0
    for name, k in s["campaigns"].items():
        assert k["dials"] > 0 and k["connects"] > 0, name
        if mode in ("preview", "progressive"):
            assert k["abandoned"] == 0
    for g in s["groups"].values():
        assert 0 < g["occupancy"] < 1
