"""Properties that hold for every campaign (Hypothesis over small random campaigns)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_campaign
from dialer.experiments.run import simulate

dist = st.one_of(
    st.floats(0.5, 30),
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(1, 30)),
    st.builds(
        lambda m, s: {"dist": "lognormal", "mean": m, "sd": s}, st.floats(2, 30), st.floats(0.5, 20)
    ),
)


@st.composite
def campaigns(draw):
    shares = [draw(st.integers(0, 10)) for _ in range(6)]
    if sum(shares[:5]) == 0:
        shares[0] = 1
    if shares[5] >= sum(shares):
        shares[0] += 1
    total = sum(shares)
    names = ["human", "machine", "busy", "no_answer", "fax", "invalid"]
    pop = {f"population.{k}": v / total for k, v in zip(names, shares, strict=True)}
    largest = max(pop, key=pop.get)
    pop[largest] = max(0.0, pop[largest] + 1 - sum(pop.values()))
    return make_campaign(
        **pop,
        **{
            "seed": draw(st.integers(0, 10_000)),
            "dialing.mode": draw(st.sampled_from(["preview", "progressive", "power"])),
            "dialing.ratio": draw(st.floats(1.0, 4.0)),
            "dialing.lines": draw(st.one_of(st.none(), st.integers(1, 12))),
            "dialing.abandon_after_s": draw(st.floats(0, 5)),
            "agents.groups.a.count": draw(st.integers(1, 5)),
            "agents.groups.a.talk_time_s": draw(dist),
            "agents.groups.a.wrap_time_s": draw(dist),
            "population.answer_time_s": draw(dist),
            "population.patience_s": draw(dist),
            "cpd.amd": draw(st.booleans()),
            "cpd.amd_false_positive": draw(st.floats(0, 0.3)),
            "cpd.amd_false_negative": draw(st.floats(0, 0.5)),
            "calling_list.size": draw(st.one_of(st.none(), st.integers(1, 200))),
            "calling_list.max_attempts": draw(st.integers(1, 3)),
            "treatments": {
                "no_answer": {"retry_after_s": draw(st.floats(0, 600)), "retries": 2},
                "busy": {"retry_after_s": 60, "retries": 1},
            },
            "horizon_s": 1800,
        },
    )


class Recorder:
    """Follows the trace: lines in use, calls per agent, results per dial."""

    def __init__(self, limit):
        self.limit = limit
        self.lines = 0
        self.max_lines = 0
        self.agent_call: dict[str, int] = {}
        self.ended: dict[int, int] = {}
        self.dialed: set[int] = set()

    def __call__(self, now, what, obj):
        if what == "dial":
            assert obj.call_id not in self.dialed
            self.dialed.add(obj.call_id)
            self.lines += 1
            self.max_lines = max(self.max_lines, self.lines)
        elif what == "end":
            self.lines -= 1
            self.ended[obj.call_id] = self.ended.get(obj.call_id, 0) + 1
            if obj.agent is not None and self.agent_call.get(obj.agent) == obj.call_id:
                del self.agent_call[obj.agent]
        elif what == "connect":
            assert obj.agent not in self.agent_call, "an agent holds two calls"
            self.agent_call[obj.agent] = obj.call_id


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(campaigns())
def test_invariants(campaign):
    rec = Recorder(campaign.dialing.lines)
    calls = []
    result = simulate(campaign, trace=rec, on_call=calls.append)
    s = result.summary
    # preview and progressive never abandon
    if campaign.dialing.mode in ("preview", "progressive"):
        assert s["abandoned"] == 0 and s["machines_dropped"] == 0
    # lines never exceed the limit
    if campaign.dialing.lines is not None:
        assert rec.max_lines <= campaign.dialing.lines
        assert s["peak_lines"] <= campaign.dialing.lines
    # every dial has exactly one result: ended once, or still in progress at the horizon
    assert all(n == 1 for n in rec.ended.values())
    assert sorted(c.call_id for c in calls) == sorted(rec.dialed)
    assert all((c.ended_at is None) == (c.call_id not in rec.ended) for c in calls)
    # the counts add up
    outcomes = sum(s[k] for k in ("busy", "no_answer", "machines", "fax", "invalid"))
    persons = s["live_answers"] + s["amd_false_positives"]
    assert outcomes + persons + s["calls_undecided_at_end"] == s["dials"]
    assert s["calls_undecided_at_end"] <= s["calls_in_progress_at_end"]
    assert s["connects"] + s["abandoned"] == s["live_answers"]
    shares = sum(
        s[k] for k in ("talk_share", "wrap_share", "machine_share", "reserved_share", "idle_share")
    )
    assert abs(shares - 1) < 1e-9
    # a record is never dialed more than max_attempts times
    attempts = {}
    for c in calls:
        attempts[c.record.record_id] = max(attempts.get(c.record.record_id, 0), c.attempt)
    assert max(attempts.values(), default=0) <= campaign.calling_list.max_attempts
    if campaign.calling_list.size is not None:
        assert s["records_finished"] <= campaign.calling_list.size
