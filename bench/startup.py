"""Cold start of the command line: `incidentbot ask --help`, and a deterministic `ask` end to end.

Each run is a fresh process (what a responder pays per command), timed from
spawn to exit; the figure is the median of `--runs` runs (the first run is
also reported, since it reads the files cold). The ask runs against an
embedded noida-db started here, with the packaged demo loaded, and with no
OPENAI_API_KEY, so it must never load the LLM stack: the script checks that
in the same process shape and says so.

usage: python bench/startup.py [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from incidentbot.cli import demo_scenario_path  # noqa: E402
from incidentbot.dev.embedded import EmbeddedSearchServer  # noqa: E402
from incidentbot.dev.scenario import load_scenario, read_scenario  # noqa: E402

HEAVY = ("langchain_core", "langchain_openai", "openai", "matplotlib")


def _bot() -> list[str]:
    """The installed `incidentbot` next to this interpreter (else the module), as a user would run it."""
    script = Path(sys.executable).with_name("incidentbot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "incidentbot.cli"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "INCIDENTBOT_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _timed(cmd: list[str], runs: int) -> tuple[float, float]:
    """(first run, median of all runs) in seconds; a failing command stops the benchmark."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=300)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd[:3])} ... exited {done.returncode}: {done.stderr.strip()[:300]}")
    return times[0], statistics.median(times)


def _heavy_modules(ask_args: list[str]) -> list[str]:
    """The heavy stacks a deterministic ask loads, run the way the command runs it."""
    code = ("import sys, contextlib, io\n"
            "from incidentbot.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main({ask_args!r})\n"
            f"print(','.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=300)
    return [m for m in done.stdout.strip().split(",") if m]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sc = read_scenario(demo_scenario_path())
    question = sc.questions[0]["ask"]
    help_first, help_median = _timed([*_bot(), "ask", "--help"], args.runs)
    imports = "import incidentbot.cli, incidentbot.pipeline, incidentbot.render.terminal"
    import_first, import_median = _timed([sys.executable, "-c", imports], args.runs)
    with EmbeddedSearchServer() as server:
        load_scenario(sc, server.url, force=True)  # a throwaway server of our own
        ask = ["ask", question, "--es-url", server.url, "--logs-index", sc.logs_index,
               "--changes-index", sc.changes_index, "--at", sc.now]
        if sc.catalog_path:
            ask += ["--catalog", str(sc.catalog_path)]
        ask_first, ask_median = _timed([*_bot(), *ask], args.runs)
        heavy = _heavy_modules(ask)
    print(f"cold start, median of {args.runs} fresh processes ({os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}):")
    print(f"  incidentbot ask --help        {help_median:6.2f} s   (first run {help_first:.2f} s)")
    print(f"  importing what an ask runs    {import_median:6.2f} s   (first run {import_first:.2f} s)")
    print(f"  deterministic ask (demo)      {ask_median:6.2f} s   (first run {ask_first:.2f} s; the rest is the"
          " search server)")
    print(f"  heavy stacks loaded by the ask: {', '.join(heavy) or 'none'} (LLM and plotting load only when used)")
    return 1 if heavy else 0


if __name__ == "__main__":
    if shutil.which("noida-db") is None and not Path(sys.executable).with_name("noida-db").exists():
        raise SystemExit("noida-db is not installed: pip install -e '.[test]'")
    raise SystemExit(main())
