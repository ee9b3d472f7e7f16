"""The docs describe every campaign key and summary metric there is."""

from __future__ import annotations

from pathlib import Path

from conftest import make_campaign
from dialer.config import reference_markdown
from dialer.experiments.run import simulate


def test_campaign_reference_is_current():
    assert reference_markdown() in Path("docs/campaign.md").read_text(), (
        "regenerate the table in docs/campaign.md from dialer.config.reference_markdown()"
    )


def test_every_summary_key_is_documented():
    text = Path("docs/metrics.md").read_text()
    summary = simulate(make_campaign(horizon_s=100)).summary
    missing = [k for k in summary if f"`{k}`" not in text]
    assert not missing, missing
