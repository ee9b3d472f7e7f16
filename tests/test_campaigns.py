"""Every shipped campaign validates and runs in every mode it can run."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.centre import Centre, load, with_mode
from dialer.config import load_campaign
from dialer.experiments.run import simulate

FILES = sorted(Path("campaigns").glob("*.yaml"))
CAMPAIGNS = [p for p in FILES if not isinstance(load(p), Centre)]
CENTRES = [p for p in FILES if isinstance(load(p), Centre)]
MODES = ["preview", "progressive", "power", "predictive", "optimized", "adaptive", "threshold"]


def test_there_are_example_campaigns_and_a_centre():
    assert len(CAMPAIGNS) >= 3 and CENTRES


@pytest.mark.parametrize("path", CAMPAIGNS, ids=lambda p: p.stem)
@pytest.mark.parametrize("mode", MODES)
def test_campaign_runs(path, mode):
    c = load_campaign(path, {"dialing.mode": mode})
    c = c.override({"horizon_s": min(c.horizon_s, 7200), "warmup_s": 0})
    s = simulate(c).summary
    assert s["dials"] > 0 and s["connects"] > 0
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
