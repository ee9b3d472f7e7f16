"""Every dialing mode by name: the pacer a campaign asks for."""

from __future__ import annotations

from dialer.config import Campaign
from dialer.pacing.adaptive import Adaptive
from dialer.pacing.base import Pacer
from dialer.pacing.predictive import Optimized, Predictive
from dialer.pacing.simple import Power, Preview, Progressive


def make_pacer(campaign: Campaign) -> Pacer:
    d = campaign.dialing
    if d.mode == "preview":
        return Preview()
    if d.mode == "progressive":
        return Progressive()
    if d.mode == "power":
        return Power(d.ratio)
    if d.mode == "predictive":
        return Predictive(campaign)
    if d.mode == "optimized":
        return Optimized(campaign)
    return Adaptive(campaign)
