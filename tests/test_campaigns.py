"""Every shipped campaign validates and runs in every mode it can run."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.config import load_campaign
from dialer.experiments.run import simulate

CAMPAIGNS = sorted(Path("campaigns").glob("*.yaml"))
MODES = ["preview", "progressive", "power", "predictive", "optimized", "adaptive"]


def test_there_are_example_campaigns():
    assert len(CAMPAIGNS) >= 3


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
