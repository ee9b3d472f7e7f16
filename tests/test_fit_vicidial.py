"""A hand-made VICIdial export (vicidial_log, vicidial_agent_log, vicidial_statuses): every
status mapped as VICIdial documents it, a centre's own sale status through its statuses export,
an unknown status reported and left out, and a campaign fitted that checks and runs."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from dialer.cli import main
from dialer.config import load_campaign
from dialer.experiments.run import simulate
from dialer.fit.formats import read_records
from dialer.fit.log import OUTCOMES
from fit_fixtures import VICIDIAL_MIX, files, write_vicidial

# VICIdial's statuses and what each says happened (its status names; who sets them).
DOCUMENTED = {
    "NA": "no_answer",  # No Answer AutoDial: the dial timeout
    "N": "no_answer",  # No Answer, set by an agent
    "B": "busy",  # Busy, agent
    "AB": "busy",  # Busy Auto
    "DC": "invalid",  # Disconnected Number, agent
    "ADC": "invalid",  # Disconnected Number Auto
    "A": "agent_machine",  # Answering Machine: an agent got a machine
    "AA": "machine",  # Answering Machine Auto: AMD
    "AM": "machine",  # Answering Machine SentToMesg: AMD, message left
    "AFAX": "fax",  # Fax Machine Auto
    "DROP": "abandoned",  # Agent Not Available: answered, no agent
    "SALE": "person",
    "NI": "person",  # Not Interested
    "CALLBK": "person",  # Call Back
    "XFER": "person",  # Call Transferred
    "RENEW": "person",  # the centre's own: human_answered = Y in vicidial_statuses
}


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vicidial")
    truth = write_vicidial(folder)
    return folder, truth


def test_each_status_mapped_as_documented_and_the_unknown_one_reported(export):
    folder, truth = export
    log = read_records(files(folder), "vicidial")
    assert log.unknown_statuses == Counter({"PIZZA": VICIDIAL_MIX["PIZZA"]})
    assert len(log.dials) == sum(VICIDIAL_MIX.values()) - VICIDIAL_MIX["PIZZA"]
    # dials come sorted by time, as the fixture wrote them; statuses in the same order
    statuses = [s for s in truth["statuses"] if s != "PIZZA"]
    got = Counter((s, OUTCOMES[d.outcome]) for s, d in zip(statuses, log.dials))
    for status, outcome in DOCUMENTED.items():
        assert got[(status, outcome)] == VICIDIAL_MIX[status], (status, outcome, got)
    # no-answers ring for VICIdial's dial timeout; agents only on agent-set statuses
    assert {d.ring_s for d, s in zip(log.dials, statuses) if s == "NA"} == {30.0}
    assert all(d.agent is None for d, s in zip(log.dials, statuses) if s in ("NA", "AA", "DROP"))


def test_a_status_given_on_the_command_line_wins(export):
    folder, _ = export
    log = read_records(files(folder), "vicidial", statuses={"PIZZA": "person", "NI": "abandoned"})
    assert not log.unknown_statuses
    outcomes = Counter(OUTCOMES[d.outcome] for d in log.dials)
    assert outcomes["abandoned"] == VICIDIAL_MIX["DROP"] + VICIDIAL_MIX["NI"]


def test_fitted_from_the_export_checks_and_runs(export, tmp_path, capsys):
    folder, truth = export
    out = tmp_path / "fitted.yaml"
    report = tmp_path / "report"
    code = main(
        ["fit", *files(folder), "--format", "vicidial", "--out", str(out)]
        + ["--set", "site_timezone=America/Denver", "--report", str(report), "--replications", "1"]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert "PIZZA (3)" in err and "--status" in err
    text = out.read_text()
    assert "Statuses not mapped (left out of the fit): PIZZA (3)" in text
    assert main(["check", str(out)]) == 0
    c = load_campaign(out)
    assert c.site_timezone == "America/Denver"
    group = c.agents.groups[0]
    assert group.count == 4
    # talk and wrap-up come from vicidial_agent_log (talk_sec less dead_sec; dispo_sec plus it)
    assert group.talk_time_s.mean == pytest.approx(np.mean(truth["talks"]), rel=0.05)
    assert group.wrap_time_s.mean == pytest.approx(np.mean(truth["wraps"]), rel=0.05)
    assert c.cpd.amd  # AA and AM rows: the CPD detected machines
    assert c.cpd.ring_timeout_s == 30
    # what vicidial_log cannot tell is said to be assumed
    assert "# not in the records: assumed" in text.split("answer_time_s:")[0].rsplit("\n", 2)[-2]
    evidence = json.loads((report / "fit.json").read_text())
    assert evidence["unknown_statuses"] == {"PIZZA": 3}
    assert simulate(c.override({"horizon_s": 900})).summary["dials"] > 0
