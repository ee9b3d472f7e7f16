"""What compiling the engine's hot modules with mypyc would give: an experiment, not an install.

Copies the ``dialer`` package to ``--out`` (default ``results/compiled``), compiles the modules
a dial passes through (the calling list, the truth, the campaign group's dial, the model's
agents, the Stat Server's view, the tally; ``HOT``) there with mypyc (part of mypy, in the ``test`` extra; needs
a C compiler and the Python headers), then

1. checks that the compiled copy gives the same summary, bit for bit, as the project for every
   example campaign in its own mode and in every mode it can run (4 simulated hours at most),
   the example centre and the bench flow at 25 and 400 agents (their hashes compared);
2. runs ``dialer bench --modes power`` from the compiled copy, so its engine table puts the
   compiled power mode beside the lean reference and the shared floor model.

The project itself stays pure Python: the copy is used only by this script's child processes,
which start in ``--out`` so that its ``dialer`` is the one imported.

    python experiments/compiled_engine.py --agents 25,100,400,1000 --hours 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOT = [
    "dialer/records/tally.py",
    "dialer/records/calls.py",
    "dialer/lists/calling.py",
    "dialer/lists/sources.py",
    "dialer/lists/treatments.py",
    "dialer/clock.py",
    "dialer/sim/statserver.py",
    "dialer/sim/truth.py",
    "dialer/sim/campaign.py",
    "dialer/sim/model.py",
]
MODES = ("preview", "progressive", "power", "predictive", "optimized", "adaptive")

# Run in a child process, in the folder whose ``dialer`` is to be measured: one hash per run.
HASHES = """
import glob, hashlib, json, sys
from dialer import load
from dialer.config import Campaign
from dialer.errors import InputError
from dialer.experiments.bench import flow_campaign
from dialer.experiments.run import simulate
root, modes = sys.argv[1], sys.argv[2].split(",")
def digest(summary):
    return hashlib.sha1(json.dumps(summary, sort_keys=True, default=str).encode()).hexdigest()
out = {}
for path in sorted(glob.glob(root + "/campaigns/*.yaml")):
    c = load(path, {})
    name = path.rsplit("/", 1)[1]
    if not isinstance(c, Campaign):  # a centre
        out[name] = digest(simulate(c).summary)
        continue
    out[name] = digest(simulate(c.override({"horizon_s": min(c.horizon_s, 4 * 3600)})).summary)
    for mode in modes:
        try:
            run = c.override({"dialing.mode": mode, "horizon_s": min(c.horizon_s, 4 * 3600)})
        except InputError:
            continue  # a mode the campaign cannot run (an agentless campaign, say)
        out[name + ":" + mode] = digest(simulate(run).summary)
for n in (25, 400):
    out["bench-flow:" + str(n)] = digest(simulate(flow_campaign(n, 1)).summary)
print(json.dumps(out))
"""


def compile_copy(out: Path) -> None:
    """A fresh copy of the package in ``out``, its HOT modules compiled there."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copytree(ROOT / "dialer", out / "dialer", ignore=shutil.ignore_patterns("__pycache__"))
    r = subprocess.run(
        [sys.executable, "-m", "mypyc", *HOT], cwd=out, capture_output=True, text=True
    )
    if r.returncode:  # no mypy in this environment, no C compiler, or a module mypyc refuses
        tail = "\n".join((r.stdout + r.stderr).strip().splitlines()[-5:])
        raise SystemExit(f"compiled_engine: mypyc failed (pip install mypy; gcc):\n{tail}")
    built = sorted(p.name for p in (out / "dialer").rglob("*.so"))
    if len(built) != len(HOT):
        raise SystemExit(f"compiled_engine: expected {len(HOT)} compiled modules, found {built}")


def hashes(folder: Path) -> dict[str, str]:
    r = subprocess.run(
        [sys.executable, "-c", HASHES, str(ROOT), ",".join(MODES)],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    if r.returncode:
        raise SystemExit(f"compiled_engine: the runs in {folder} failed:\n{r.stderr}")
    return json.loads(r.stdout)


def which_dialer(folder: Path) -> str:
    r = subprocess.run(
        [sys.executable, "-c", "import dialer.sim.campaign as c; print(c.__file__)"],
        cwd=folder,
        check=True,
        capture_output=True,
        text=True,
    )
    return r.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "results" / "compiled"))
    ap.add_argument("--agents", default="25,100,400,1000")
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-bench", action="store_true", help="only compile and check")
    args = ap.parse_args()
    out = Path(args.out).resolve()
    compile_copy(out)
    print(f"compiled: {which_dialer(out)}")
    project, compiled = hashes(ROOT), hashes(out)
    differ = sorted(k for k in project if compiled.get(k) != project[k])
    print(f"same summaries: {len(project) - len(differ)} of {len(project)}")
    if differ:
        raise SystemExit(f"compiled_engine: summaries differ: {', '.join(differ)}")
    if args.no_bench:
        return
    floor = ROOT.parent / "shared" / "bench" / "floor_power.py"
    bench = [sys.executable, "-m", "dialer", "bench", "--modes", "power", "--agents", args.agents]
    bench += ["--hours", str(args.hours), "--repeat", str(args.repeat)]
    bench += ["--campaign", str(ROOT / "campaigns" / "b2c-renewals.yaml")]
    if floor.is_file():
        bench += ["--floor", str(floor)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run(bench, cwd=out, check=True, env=env)


if __name__ == "__main__":
    main()
