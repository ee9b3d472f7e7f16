"""A whole centre: the file and its one-line errors, the two paths of the model agreeing, the
blending rules on small constant worlds, and every command on a centre."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from centres import centre, queue

from conftest import make_campaign
from dialer.centre import Centre, centre_from_dict, layout, load, reference_markdown
from dialer.cli import main
from dialer.config import load_campaign
from dialer.errors import InputError
from dialer.experiments.run import simulate
from dialer.sim.assign import Want, assignment, share_lines
from dialer.sim.core import Agent

EXAMPLE = "campaigns/east-centre.yaml"


# -- the file ----------------------------------------------------------------------------------


def test_the_example_centre_loads_with_its_campaign_file_read_in():
    c = load(EXAMPLE)
    assert isinstance(c, Centre)
    (renewals,) = c.campaigns
    # the entry's keys over b2c-renewals.yaml's: its own list size, the file's pacing
    assert renewals.campaign.calling_list.size == 8000
    assert (
        renewals.campaign.dialing.mode == load_campaign("campaigns/b2c-renewals.yaml").dialing.mode
    )
    assert c.shared_groups() == ["blend"]
    # written back and read again, it is the same centre
    assert centre_from_dict(c.to_dict()) == c


def test_a_campaign_files_list_is_found_from_any_working_folder(tmp_path, monkeypatch):
    # campaigns/c.yaml names lists/multi-zone.csv (beside it); the centre names c.yaml; read
    # from the folder above (relative paths), the list must be found where the campaign says
    import shutil

    folder = tmp_path / "campaigns"
    shutil.copytree("campaigns/lists", folder / "lists")
    shutil.copy("campaigns/multi-zone-list.yaml", folder / "c.yaml")
    (folder / "centre.yaml").write_text(
        "name: x\nagents:\n  groups:\n    - {name: a, count: 3}\n"
        "campaigns:\n  - {name: c, campaign: c.yaml, groups: [a]}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    (entry,) = load("campaigns/centre.yaml").campaigns
    assert Path(entry.campaign.calling_list.file).resolve() == folder / "lists" / "multi-zone.csv"
    assert main(["check", "campaigns/centre.yaml"]) == 0


def test_a_campaign_file_is_still_a_campaign_and_load_campaign_refuses_a_centre():
    assert not isinstance(load("campaigns/smoke.yaml"), Centre)
    with pytest.raises(InputError, match="a centre file"):
        load_campaign(EXAMPLE)


def test_dotted_keys_reach_into_campaigns_and_queues():
    c = load(
        EXAMPLE,
        {
            "campaigns.renewals.dialing.mode": "threshold",
            "campaigns.renewals.agents.groups.renewals.talk_time_s": 100,
            "queues.support.balk": 0.2,
        },
    )
    assert c.campaigns[0].campaign.dialing.mode == "threshold"
    assert c.queues[0].balk == 0.2
    # the campaign's own group of that name is gone: its first gives the blend group's times
    run = layout(c).campaigns[0].campaign
    assert [g.name for g in run.agents.groups] == ["blend", "outbound"]
    assert run.agents.groups[0].talk_time_s.mean == 100
    assert run.agents.groups[0].count == 12  # the centre's count
    assert c.override({"campaigns.renewals.priority": 3}).campaigns[0].priority == 3


def _errors(raw: dict) -> list[str]:
    with pytest.raises(InputError) as err:
        centre_from_dict(raw)
    return err.value.problems


BASE = {
    "agents": {"groups": [{"name": "service", "count": 2}, {"name": "blend", "count": 2}]},
    "queues": [{"name": "q", "arrivals_per_hour": {"08:00": 10}, "groups": ["service", "blend"]}],
    "campaigns": [{"name": "c", "groups": ["blend"]}],
}


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            {"queues": [{**BASE["queues"][0], "groups": ["servic"]}]},
            "queues.0.groups: expected agent groups of agents.groups (service, blend), got "
            "'servic' (did you mean 'service'?)",
        ),
        (
            {"campaigns": [{"name": "c", "groups": ["blend", "outbound"]}]},
            "campaigns.0.groups: expected agent groups of agents.groups (service, blend), got "
            "'outbound'",
        ),
        (
            {"queues": [{**BASE["queues"][0], "arrivals_per_hour": {"10:00": 5, "09:00": 7}}]},
            'queues.0.arrivals_per_hour: expected times in increasing order, got "09:00" after '
            '"10:00"',
        ),
        (
            {"queues": [], "blending": {"reserve_agents": 2}},
            "blending.reserve_agents: expected 0 in a centre without queues (there is no inbound "
            "to keep agents for), got 2",
        ),
        (
            {"campaigns": [{"name": "c", "groups": ["blend"], "dialing": {"ratoi": 2}}]},
            "campaigns.0.dialing.ratoi: unknown key (did you mean 'ratio'?)",
        ),
        (
            {"queues": [{**BASE["queues"][0], "arrivals_per_hour": {"08:00": 10}, "balk": 2}]},
            "queues.0.balk: expected a number in [0, 1], got 2",
        ),
        (
            {"campaigns": [{"name": "c", "groups": ["blend"], "active": {"from": "09:00"}}]},
            "campaigns.0.active.till: missing (required)",
        ),
        ({"queues": [], "campaigns": []}, "campaigns: expected at least one campaign or one queue"),
        (
            {"campaigns": [{"name": "c", "groups": []}]},
            "campaigns.0.groups: expected a non-empty list of agent group names, got []",
        ),
    ],
)
def test_one_line_errors(change, expected):
    problems = _errors({**BASE, **change})
    assert any(p.startswith(expected) for p in problems), problems


def test_check_prints_one_line_per_problem_and_exits_2(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "agents: {groups: [{name: a, count: 1}]}\n"
        "queues: [{name: q, arrivals_per_hour: {'08:00': 5}, groups: [b]}]\n"
    )
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"dialer: {path}: queues.0.groups: expected agent groups of agents.groups (a), got 'b'"
    ]


def test_the_centre_reference_is_current():
    assert reference_markdown() in Path("docs/centre.md").read_text(), (
        "regenerate the table in docs/centre.md from dialer.centre.reference_markdown()"
    )


# -- one model, two paths ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "example, mode, day",
    [
        ("smoke", "progressive", {}),
        ("smoke", "power", {}),
        ("smoke", "threshold", {}),
        ("small-team", "predictive", {}),
        ("small-team", "preview", {}),
        ("multi-zone-list", "optimized", {"population.callback_request": 0.2}),
        ("b2c-renewals", "predictive", {"dialing.asm": True, "cpd.engage_ports": 15}),
        ("b2c-renewals", "power", {"dialing.transfer_delay_s": 1.0, "cpd.ports": 20}),
        (
            "b2c-renewals",
            "progressive",
            {"population.dnc_request": 0.1, "population.callback_request": 0.2},
        ),
        ("reminders-ivr", "power_ivr", {}),
    ],
)
def test_a_campaign_through_the_centres_path_gives_the_same_dials(example, mode, day):
    """A single campaign runs on the lean path; the centre's (assignment, switch sets, the
    centre's tallies) must make the same decisions, dial for dial, the day's features (ASM,
    transfer, CPD ports, callbacks, IVR) included."""
    over = {"dialing.mode": mode, **day}
    if example == "multi-zone-list":
        over["horizon_s"] = 30000
    elif example in ("b2c-renewals", "reminders-ivr"):
        over["horizon_s"] = 7200
    c = load_campaign(f"campaigns/{example}.yaml", over)
    lean_calls: list = []
    general_calls: list = []
    lean = simulate(c, on_call=lean_calls.append).summary
    general = simulate(c, on_call=general_calls.append, general=True).summary

    def dials(calls):
        return [
            (x.call_id, x.record.record_id, x.dialed_at, x.ended_at, x.agent, x.result)
            for x in calls
        ]

    assert dials(lean_calls) == dials(general_calls) and len(lean_calls) > 50
    assert {k: general[k] for k in lean} == lean
    assert general["campaigns"][c.name]["connects"] == lean["connects"]


def test_a_centre_of_one_inline_campaign_runs_as_that_campaign_with_its_own_seed():
    c = make_campaign(horizon_s=600, **{"dialing.mode": "power"})
    one = centre({"x": 2}, campaigns=[{"name": "out", "groups": ["x"]}], horizon_s=600)
    a = simulate(c.override({"agents.groups.a.count": 2})).summary
    b = simulate(one).summary
    # the constant world: the same work whatever the seed
    assert b["campaigns"]["out"]["connects"] == a["connects"] > 0
    assert b["connects"] == a["connects"]


# -- the blending rules on constant worlds ------------------------------------------------------


def _log(c, **kw) -> tuple[list, object]:
    log: list[tuple] = []

    def trace(now, what, obj):
        log.append((round(now, 6), what, obj.agent_id if isinstance(obj, Agent) else obj.call_id))

    result = simulate(c, trace=trace, **kw)
    return log, result


def test_an_inbound_only_centre_answers_every_caller_in_arrival_order():
    c = centre({"x": 1}, queues=[queue(rate=40)], horizon_s=3600)
    calls: list = []
    _, result = _log(c, on_call=calls.append)
    q = result.summary["queues"]["q"]
    answered = sorted((x for x in calls if x.result == "answered"), key=lambda x: x.arrived_at)
    assert len(answered) == q["answered"] > 20
    # one agent, 60 s each, first come first served
    starts = [x.connected_at for x in answered]
    assert starts == sorted(starts)
    for a, b in zip(answered, answered[1:]):
        assert b.connected_at == max(b.arrived_at, a.connected_at + 60)
    assert result.summary["groups"]["x"]["inbound_share"] == pytest.approx(
        result.summary["groups"]["x"]["occupancy"]
    )


@pytest.mark.parametrize("first", ["outbound", "inbound", "longest"])
def test_a_free_agent_takes_what_blending_first_says(first):
    """One blend agent, power dialing (answers wait up to 100 s) and busy inbound: whenever the
    agent frees with a caller and an answered dial both waiting, it takes the one the rule
    names."""
    c = centre(
        {"x": 1},
        queues=[queue(rate=30)],
        campaigns=[
            {
                "name": "out",
                "groups": ["x"],
                "dialing": {"mode": "power", "ratio": 4, "abandon_after_s": 100},
            }
        ],
        horizon_s=7200,
        blending={"first": first},
    )
    log, result = _log(c)
    waiting_in: dict[int, float] = {}
    waiting_out: dict[int, float] = {}
    state = "logged_out"
    chosen = []
    for i, (t, what, ident) in enumerate(log):
        if what == "arrive":
            waiting_in[ident] = t
        elif what == "verdict":
            waiting_out[ident] = t
        elif what in ("wrap_up", "on_machine"):
            state = what
        elif what == "talking":
            nxt = log[i + 1]
            if state in ("wrap_up", "on_machine") and waiting_in and waiting_out:
                oldest_in, oldest_out = min(waiting_in.values()), min(waiting_out.values())
                chosen.append((nxt[1], oldest_in < oldest_out))
            state = "talking"
        elif what in ("answer", "abandoned", "balked", "blocked"):
            waiting_in.pop(ident, None)
        elif what in ("connect", "drop", "abandon", "end"):
            waiting_out.pop(ident, None)
        elif what == "ready":
            state = "ready"
    assert len(chosen) > 5
    for took, inbound_older in chosen:
        if first == "outbound":
            assert took == "connect"
        elif first == "inbound":
            assert took == "answer"
        else:
            assert took == ("answer" if inbound_older else "connect")
    assert result.summary["connects"] > 0 and result.summary["inbound"]["answered"] > 0


def test_reserve_keeps_agents_free_for_inbound_with_progressive_dialing():
    """Three blend agents, reserve 1, progressive: never more than two on outbound at once
    while nothing comes in (no caller ever arrives: rate 0 after midnight)."""
    c = centre(
        {"x": 3},
        queues=[queue(rate=0.0001)],
        campaigns=[{"name": "out", "groups": ["x"], "dialing": {"mode": "progressive"}}],
        horizon_s=900,
        blending={"reserve_agents": 1},
    )
    log, result = _log(c)
    busy: dict[str, str] = {}
    most = 0
    for _, what, ident in log:
        if what in ("reserved", "talking", "wrap_up"):
            busy[ident] = what
        elif what in ("ready", "logged_out"):
            busy.pop(ident, None)
        most = max(most, len(busy))
    assert most == 2
    assert result.summary["groups"]["x"]["idle_share"] == pytest.approx(1 / 3, abs=0.02)


def test_min_free_agents_stops_dialing_while_too_few_are_free():
    c = centre(
        {"x": 3},
        campaigns=[{"name": "out", "groups": ["x"], "dialing": {"mode": "progressive"}}],
        horizon_s=900,
        blending={"min_free_agents": 2},
    )
    log, _ = _log(c)
    busy = set()
    most = 0
    for _, what, ident in log:
        if what == "reserved":
            busy.add(ident)
        elif what == "ready":
            busy.discard(ident)
        most = max(most, len(busy))
    assert most == 2  # the third would leave one free: fewer than two


def test_a_campaign_dials_only_in_its_active_period_and_its_agents_go_back_to_inbound():
    c = centre(
        {"x": 2},
        queues=[queue(rate=20)],
        campaigns=[
            {
                "name": "out",
                "groups": ["x"],
                "active": {"from": "00:10", "till": "00:30"},
                "dialing": {"mode": "progressive"},
            }
        ],
        horizon_s=3600,
    )
    calls: list = []
    simulate(c, on_call=calls.append)
    dials = [x.dialed_at for x in calls if not hasattr(x, "queue")]
    assert dials and min(dials) >= 600 and max(dials) < 1800
    late = [x for x in calls if hasattr(x, "queue") and x.arrived_at > 1900]
    assert late and all(x.result == "answered" for x in late)


def test_threshold_dials_only_when_the_campaign_starts_and_when_agents_end_calls():
    c = centre(
        {"x": 2},
        campaigns=[
            {
                "name": "out",
                "groups": ["x"],
                "dialing": {"mode": "threshold", "ratio": 1, "extra": 0},
            }
        ],
        horizon_s=400,
    )
    log, _ = _log(c)
    dial_times = sorted({t for t, what, _ in log if what == "dial"})
    free_times = {t for t, what, _ in log if what == "ready"}
    # persons answer at 10 s, talk 60, wrap 10: dials at 0, then as agents end their calls
    assert dial_times[0] == 0
    assert all(t in free_times for t in dial_times[1:])
    assert sum(1 for _, what, _ident in log if what == "dial") >= 8


def test_a_full_queue_blocks_and_a_balking_caller_leaves():
    c = centre({"x": 1}, queues=[queue(rate=600, capacity=2, balk=0.3)], horizon_s=1800)
    calls: list = []
    result = simulate(c, on_call=calls.append)
    q = result.summary["queues"]["q"]
    assert q["blocked"] > 10 and q["balked"] > 10
    assert q["offered"] == sum(
        q[k] for k in ("answered", "abandoned", "balked", "blocked", "waiting_at_end")
    )
    assert q["waiting_at_end"] <= 2


# -- assignment and ports (pure rules) -----------------------------------------------------------


def test_assignment_gives_minimums_then_priority_and_keeps_agents_where_they_are():
    wants = [Want(True, 1, 0, None), Want(True, 0, 2, None), Want(False, 5, 0, None)]
    agents = [(0, None)] * 5
    eligible = {0: [0, 1, 2]}
    out = assignment(agents, eligible, wants)
    assert out.count(1) == 2 and out.count(0) == 3 and 2 not in out
    capped = [Want(True, 1, 0, 2), Want(True, 0, 0, None)]
    assert assignment(agents, {0: [0, 1]}, capped).count(0) == 2
    equal = [Want(True, 0, 0, None), Want(True, 0, 0, None)]
    assert assignment([(0, 1), (0, 1), (0, None)], {0: [0, 1]}, equal) == [1, 1, 0]


def test_dynamic_lines_always_sum_to_the_trunk():
    assert share_lines(10, [3, 1, 0], [True, True, True]) == [8.0, 2.0, 0.0]
    assert share_lines(10, [0, 0], [True, True]) == [5.0, 5.0]
    assert share_lines(7, [5, 5, 9], [True, False, True]) == [3.0, 0.0, 4.0]  # ties: the first
    assert sum(share_lines(13, [1.5, 2.5, 7], [True] * 3)) == 13
    # a higher priority's need first while the trunk is short, the rest by need
    assert share_lines(10, [8, 8], [True, True], [1, 0]) == [8.0, 2.0]
    assert share_lines(10, [4, 2], [True, True], [0, 1]) == [7.0, 3.0]


def test_the_same_caller_arrives_at_the_same_time_in_every_variant():
    def arrivals(c):
        calls: list = []
        simulate(c, on_call=calls.append)
        return sorted((x.arrived_at, x.caller) for x in calls if hasattr(x, "queue"))

    base = centre(
        {"x": 2},
        queues=[queue(rate=30)],
        campaigns=[{"name": "out", "groups": ["x"]}],
        horizon_s=1800,
    )
    other = base.override(
        {
            "blending.reserve_agents": 1,
            "campaigns.out.dialing.mode": "power",
            "agents.groups.x.count": 3,
        }
    )
    assert arrivals(base) == arrivals(other) and len(arrivals(base)) > 5


# -- every command on a centre -----------------------------------------------------------------


def _tiny_file(tmp_path: Path) -> Path:
    c = load(EXAMPLE, {"horizon_s": 5400, "campaigns.renewals.active": None})
    path = tmp_path / "centre.yaml"
    from dialer.config import dump_yaml

    path.write_text(dump_yaml(c.to_dict()))
    return path


def test_run_writes_records_with_queue_and_campaign_columns(tmp_path, capsys):
    path = _tiny_file(tmp_path)
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "support" in text and "renewals" in text and "blend" in text
    summary = json.loads((out / "summary.json").read_text())
    assert summary["queues"]["support"]["offered"] > 100
    assert summary["campaigns"]["renewals"]["connects"] > 50
    header = (out / "calls.csv").read_text().splitlines()[0].split(",")
    assert {"campaign", "queue", "arrived_at_s", "queue_result"} <= set(header)
    states = (out / "agent_states.csv").read_text()
    assert ",renewals,support" in states  # a blend agent of the campaign on an inbound call
    assert (out / "report.html").stat().st_size > 10_000
    series = json.loads((out / "series.json").read_text())
    assert set(series["queues"]) == {"support"} and set(series["groups"]) == {
        "service",
        "blend",
        "outbound",
    }


def test_compare_sweep_and_plan_take_a_centre(tmp_path, capsys):
    path = _tiny_file(tmp_path)
    assert (
        main(
            [
                "compare",
                str(path),
                "--modes",
                "predictive,threshold",
                "--variant",
                "reserve 2:blending.reserve_agents=2",
                "--replications",
                "2",
                "--workers",
                "1",
                "--out",
                str(tmp_path / "cmp"),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "reserve 2" in text and "service level" in text
    spec = tmp_path / "sweep.yaml"
    spec.write_text(
        f"campaign: {path}\nreplications: 2\nfactors:\n  blending.reserve_agents: [0, 3]\n"
        "metrics: [queues.support.service_level, campaigns.renewals.connects]\n"
    )
    assert main(["sweep", str(spec), "--workers", "1", "--out", str(tmp_path / "sw")]) == 0
    rows = (tmp_path / "sw" / "runs.csv").read_text().splitlines()
    assert "queues.support.service_level" in rows[0] and len(rows) == 5
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"campaign: {path}\nfactors:\n  queues.support.balkk: [0, 1]\n")
    assert main(["sweep", str(bad)]) == 2
    assert "unknown centre key" in capsys.readouterr().err
    assert (
        main(
            [
                "plan",
                str(path),
                "--deadline-s",
                "5400",
                "--finish",
                "0.02",
                "--service-level",
                "0.8",
                "--groups",
                "service",
                "--replications",
                "2",
                "--workers",
                "1",
                "--out",
                str(tmp_path / "plan"),
            ]
        )
        == 0
    )
    plan = json.loads((tmp_path / "plan" / "plan.json").read_text())
    assert plan["centre"] and plan["feasible"]
    n = plan["counts"]["service"]
    assert plan["one_fewer"]["service"] is None or plan["one_fewer"]["service"]["successes"] < 2
    assert 0 <= n <= 15
    assert (tmp_path / "plan" / "report.html").is_file()


def test_compare_leaves_the_threshold_rule_out_without_inbound_work():
    from dialer.experiments.compare import variants_of

    # it decides only when agents end calls: with outbound work alone it stalls once every
    # dial in flight has failed; asked for by name, it is compared all the same
    single = [label for label, _ in variants_of(make_campaign(), None)]
    assert "threshold" not in single and "optimized" in single
    assert [label for label, _ in variants_of(make_campaign(), ["threshold"])] == ["threshold"]
    blended = centre({"x": 2}, queues=[queue()], campaigns=[{"name": "out", "groups": ["x"]}])
    assert "threshold" in [label for label, _ in variants_of(blended, None)]
    outbound_only = centre({"x": 2}, campaigns=[{"name": "out", "groups": ["x"]}])
    assert "threshold" not in [label for label, _ in variants_of(outbound_only, None)]
