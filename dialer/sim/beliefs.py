"""From a campaign to what its pacer may know: settings and beliefs (``ocs:``), no truth.

Each belief the campaign leaves out takes the truth's value, as a centre that has measured its
own floor would configure it; the two stay separate values, so a run can pace on beliefs that
are wrong.
"""

from __future__ import annotations

from dialer.clock import Calendar
from dialer.config import Campaign
from dialer.pacing.inputs import Beliefs, GroupTimes, PacerInputs


def beliefs(campaign: Campaign) -> Beliefs:
    ocs = campaign.ocs
    own = {g.name: g for g in ocs.groups}
    groups = []
    for g in campaign.agents.groups:
        mine = own.get(g.name)

        def pick(key: str, _g=g, _mine=mine):
            value = getattr(_mine, key) if _mine is not None else None
            if value is None:
                value = getattr(ocs, key)
            return value if value is not None else getattr(_g, key)

        groups.append(
            GroupTimes(g.name, pick("talk_time_s"), pick("wrap_time_s"), pick("machine_time_s"))
        )
    return Beliefs(
        answer_time_s=ocs.answer_time_s or campaign.population.answer_time_s,
        detect_time_s=ocs.detect_time_s or campaign.cpd.detect_time_s,
        groups=tuple(groups),
    )


def pacer_inputs(campaign: Campaign) -> PacerInputs:
    d, cpd, comp = campaign.dialing, campaign.cpd, campaign.compliance
    return PacerInputs(
        mode=d.mode,
        beliefs=beliefs(campaign),
        calendar=Calendar(campaign.start, campaign.site_timezone, campaign.horizon_s),
        agents=campaign.agents.count,
        abandon_after_s=d.abandon_after_s,
        ring_timeout_s=cpd.ring_timeout_s,
        amd=cpd.amd,
        fp_estimate=cpd.fp_estimate,
        regime=comp.regime,
        limit=comp.limit,
        ratio=d.ratio,
        target_abandon_rate=d.target_abandon_rate,
        history_length=d.history_length,
        decision_interval_s=d.decision_interval_s,
        decision_gap_s=d.decision_gap_s,
        small_group_agents=d.small_group_agents,
        goal=d.goal,
        goal_target=d.goal_target,
        max_abandon_rate=d.max_abandon_rate,
        adaptive=d.adaptive,
    )
