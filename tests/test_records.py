"""Records out, summary in: every figure of a run's summary is recomputed from its two record
files alone (tests/recompute.py, written apart from the package's tally) and must be equal."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from dialer.centre import Centre, load, with_mode
from dialer.clock import Calendar
from dialer.config import IVR_MODES, MODES, load_campaign
from dialer.experiments.run import simulate
from dialer.records.files import RecordWriter
from recompute import NOT_FROM_RECORDS, recompute, recompute_centre

ALL = sorted(Path("campaigns").glob("*.yaml"))
EXAMPLES = sorted(p.stem for p in ALL if not isinstance(load(p), Centre))
CENTRES = sorted(p.stem for p in ALL if isinstance(load(p), Centre))
# every example with every mode it can run: the agent modes, or the agentless ones
RUNS = [
    (example, mode)
    for example in EXAMPLES
    for mode in (IVR_MODES if load_campaign(f"campaigns/{example}.yaml").agentless else MODES)
]


def run_with_records(campaign, folder: Path) -> dict:
    cal = Calendar(campaign.start, campaign.site_timezone, campaign.horizon_s)
    queues = [q.name for q in campaign.queues] if isinstance(campaign, Centre) else ()
    writer = RecordWriter(folder, cal, [g.name for g in campaign.agents.groups], queues)
    summary = simulate(campaign, writer=writer).summary
    writer.commit()
    return summary


def assert_recomputed(summary: dict, again: dict, where: str = "") -> None:
    left = set(summary) - set(again) - NOT_FROM_RECORDS
    assert not left, f"{where}summary keys the recomputation does not cover: {sorted(left)}"
    for key, value in again.items():
        mine = summary[key]
        if isinstance(value, dict):
            assert_recomputed(mine, value, f"{where}{key}.")
        elif value is None or mine is None:
            assert value == mine, where + key
        else:
            assert math.isclose(mine, value, rel_tol=1e-9, abs_tol=1e-9), (where + key, mine, value)


@pytest.mark.slow
@pytest.mark.parametrize(("example", "mode"), RUNS, ids=[f"{e}-{m}" for e, m in RUNS])
def test_every_figure_comes_from_the_records(example, mode, tmp_path):
    campaign = load_campaign(f"campaigns/{example}.yaml", {"dialing.mode": mode})
    summary = run_with_records(campaign, tmp_path)
    assert_recomputed(summary, recompute(tmp_path, campaign))


@pytest.mark.parametrize("mode", ["progressive", "power", "predictive"])
def test_figures_come_from_the_records_with_a_late_stat_server_an_outage_and_a_warmup(
    mode, tmp_path
):
    campaign = load_campaign(
        "campaigns/smoke.yaml",
        {
            "dialing.mode": mode,
            "warmup_s": 600,
            "stat_server.delay_s": {"dist": "exponential", "mean": 2.0},
            "stat_server.outages": [{"at": "10:20", "duration_s": 300}],
        },
    )
    summary = run_with_records(campaign, tmp_path)
    assert summary["stat_server_delay_mean_s"] > 1.0
    assert summary["dials_stopped_by_outage_s"] == 300
    assert_recomputed(summary, recompute(tmp_path, campaign))


@pytest.mark.parametrize("mode", ["optimized", "progressive", "threshold", "preview"])
@pytest.mark.parametrize("example", CENTRES)
def test_every_figure_of_a_centre_comes_from_its_records(example, mode, tmp_path):
    """The example centre in a few modes, cut to 4 hours from the campaign's start: the totals,
    every campaign, queue and group recomputed from calls.csv and agent_states.csv."""
    centre = with_mode(load(f"campaigns/{example}.yaml"), mode)
    centre = centre.override(
        {"horizon_s": 4 * 3600, "warmup_s": 1800, "blending.reserve_agents": 1}
    )
    summary = run_with_records(centre, tmp_path)
    assert summary["queues"] and summary["campaigns"]
    assert_recomputed(summary, recompute_centre(tmp_path, centre))
