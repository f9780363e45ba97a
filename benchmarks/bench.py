"""`make bench`: how fast are the two loops users feel, `cdk synth` and `make test`?

Measures, with a warm-up and several repetitions, reporting medians:
  (a) the floor: the cheapest synth the CLI runs, an app with one stack holding one resource and
      aws-cdk-lib's built-in CloudFormation validation off, by the same CLI, Python and Node;
  (b) `cdk synth` of the full sandbox app as a user runs it (the real, pinned CLI), with every
      check on (cdk-nag, cdk-preflight, the CloudFormation validation engine's default rules, the
      platform's rules): warm (every template's findings in the validation cache, as on a rerun),
      cold (the cache emptied before each run) and without a cache (the checks as registered
      before the cache existed);
  (c) the same app with cdk-nag only (the other checks left out, no cache), to show what they
      cost; (a), (b) and (c) run in turn (a, b, c, a, b, c, ...) so that a slow spell of the
      shared machine falls on all of them alike;
  (d) synth of the sandbox app with 1, 50 and 250 web services (250: three ALBs), with the
      largest ALB's target groups and listener rules, warm, and cold for 1 and 250; and the 1-
      and 250-service assemblies written back from plain data at their construct paths
      (benchmarks/plain_floor.py), the floor of any service construct that keeps its logical IDs;
  (e) `make test` after setup;
  (f) the computed release time of each ECS service (benchmarks/release_time.py) in the shipped
      environments and in the sandbox with each release strategy.
Prints a table, writes it to benchmarks/results.md and checks the targets (exit 1 if one is missed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.plain_floor import compare, per_added_service, write_plain_app
from benchmarks.release_time import ReleaseTime, release_times, render_release_table
from platform_config.environments import SAMPLE_IMAGE
from tools.docs.markers import write_generated

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
CDK = ROOT / "node_modules" / ".bin" / "cdk"
RESULTS = ROOT / "benchmarks" / "results.md"
PERFORMANCE_DOC = ROOT / "docs" / "performance.md"

FLOOR_APP = """\
from aws_cdk import App, Stack
from aws_cdk import aws_sns as sns
app = App(builtin_cloud_formation_validation=False)
sns.Topic(Stack(app, "Floor"), "Topic")
app.synth()
"""

# The project's app with every check but cdk-nag left out (and no cache), for (c).
NAG_ONLY_APP = """\
import sys
sys.path.insert(0, {root!r})
from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks
import stacks.platform
stacks.platform.add_validations = lambda app, *_, **__: Validations.of(app).add_plugins(
    AwsSolutionsChecks(app)
)
import app
sys.exit(app.main())
"""
# The project's app without the validation cache (every check registered unwrapped), for (b).
NO_CACHE_APP = """\
import sys
sys.path.insert(0, {root!r})
import app
app.VALIDATION_CACHE = None
sys.exit(app.main())
"""
# Where app.py keeps validation findings (emptied before each cold run).
VALIDATION_CACHE = ROOT / "build" / "validation-cache"


@dataclass(frozen=True)
class Measurement:
    name: str
    seconds: list[float]
    stacks: int = 0
    max_resources: int = 0
    template_bytes: int = 0
    alb_target_groups: int = 0
    alb_rules: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        CDK_DISABLE_CLI_TELEMETRY="1",
        CDK_DISABLE_VERSION_CHECK="1",
    )
    return env


def empty_validation_cache() -> None:
    shutil.rmtree(VALIDATION_CACHE, ignore_errors=True)


def timed(command: list[str], cwd: Path, before: Callable[[], None] | None = None) -> float:
    if before is not None:
        before()
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=cwd, env=environment(), capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        output = f"{result.stdout[-6000:]}\n{result.stderr[-4000:]}"
        raise SystemExit(f"{' '.join(command)} failed:\n{output}")
    return elapsed


def repeat(run: Callable[[], float], warmups: int, repetitions: int) -> list[float]:
    for _ in range(warmups):
        run()
    return [run() for _ in range(repetitions)]


def synth_command(outdir: Path, *context: str) -> list[str]:
    return [str(CDK), "synth", "--quiet", "--no-notices", "-o", str(outdir), *context]


def assembly_stats(outdir: Path) -> tuple[int, int, int]:
    """(stacks, most resources in one stack, total template bytes) of a cloud assembly."""
    templates = list(outdir.glob("*.template.json"))
    resources = [len(json.loads(t.read_text()).get("Resources", {})) for t in templates]
    return len(templates), max(resources, default=0), sum(t.stat().st_size for t in templates)


def largest_alb(outdir: Path) -> tuple[int, int]:
    """(most target groups, most listener rules) of one ALB in a cloud assembly: rules follow
    their listener's export to the listener and its ALB; target groups are those they forward to.
    """
    templates = [json.loads(t.read_text()) for t in outdir.glob("*.template.json")]
    alb_of_export: dict[str, str] = {}
    for stack, template in enumerate(templates):
        resources = template.get("Resources", {})
        for output in template.get("Outputs", {}).values():
            value = output.get("Value")
            if "Export" not in output or not isinstance(value, dict) or "Ref" not in value:
                continue
            listener = resources.get(value["Ref"], {})
            if listener.get("Type") == "AWS::ElasticLoadBalancingV2::Listener":
                alb = listener["Properties"]["LoadBalancerArn"]["Ref"]
                alb_of_export[output["Export"]["Name"]] = f"{stack}:{alb}"
    rules: dict[str, int] = {}
    groups: dict[str, set[str]] = {}
    for index, template in enumerate(templates):
        for resource in template.get("Resources", {}).values():
            if resource["Type"] != "AWS::ElasticLoadBalancingV2::ListenerRule":
                continue
            arn = resource["Properties"]["ListenerArn"]
            export = str(arn.get("Fn::ImportValue")) if isinstance(arn, dict) else ""
            alb = alb_of_export.get(export, f"(same stack) {json.dumps(arn)}")
            rules[alb] = rules.get(alb, 0) + 1
            for action in resource["Properties"].get("Actions", []):
                group = action.get("TargetGroupArn")
                if group is not None:
                    groups.setdefault(alb, set()).add(f"{index}:{json.dumps(group)}")
    return max((len(g) for g in groups.values()), default=0), max(rules.values(), default=0)


@dataclass(frozen=True)
class Run:
    """One synth to measure: its row name, the directory `cdk synth` runs in, its extra
    arguments, and what to do before each run (e.g. empty the validation cache)."""

    name: str
    app_dir: Path
    context: tuple[str, ...] = ()
    before: Callable[[], None] | None = None


def outdir_of(work: Path, name: str) -> Path:
    """Where the synths of the row `name` write their assembly (the last run's stays)."""
    return work / name.replace(" ", "-").replace(",", "").replace("'", "")


def measure_interleaved(
    runs: list[Run], work: Path, warmups: int, repetitions: int
) -> list[Measurement]:
    """Measure several synths in turn (a, b, c, a, b, c, ...), so that a slow spell of the shared
    machine falls on all of them alike; a ratio of two of them is then fair."""
    outdirs = [outdir_of(work, run.name) for run in runs]

    def once(index: int) -> float:
        run = runs[index]
        return timed(synth_command(outdirs[index], *run.context), run.app_dir, run.before)

    for _ in range(warmups):
        for index in range(len(runs)):
            once(index)
    seconds: list[list[float]] = [[] for _ in runs]
    for _ in range(repetitions):
        for index in range(len(runs)):
            seconds[index].append(once(index))
    return [
        Measurement(run.name, times, *assembly_stats(outdir), *largest_alb(outdir))
        for run, times, outdir in zip(runs, seconds, outdirs, strict=True)
    ]


def services_override(count: int) -> dict[str, Any]:
    """Sandbox overrides with `count` web services on the Fargate cluster in place of its sample
    (removed explicitly; the EC2 cluster keeps its own), each routed by its own path."""
    services: dict[str, Any] = {
        f"svc-{index:02d}": {
            "image": dict(SAMPLE_IMAGE),
            "user": "101",
            "writable_paths": ["/tmp", "/var/cache/nginx"],
            "route": {"priority": index, "paths": [f"/svc-{index:02d}/*"]},
            "stack": (index - 1) // 10 + 1,  # 10 per stack (services_per_stack's default)
        }
        for index in range(1, count + 1)
    }
    return {"ecs": {"fargate": {"services": {"sample": None, **services}}}}


def write_overrides(work: Path, count: int) -> Path:
    path = work / f"services-{count}.json"
    path.write_text(json.dumps(services_override(count)))
    return path


# The release strategies `make bench` times besides the shipped environments: the sandbox with
# each as its operations.release (bakes of one alarm window, the shortest the config accepts).
RELEASE_VARIANTS: dict[str, dict[str, Any]] = {
    "blue_green": {"strategy": "blue_green", "bake_time_minutes": 3},
    "canary": {"strategy": "canary", "canary_percent": 10.0, "step_bake_minutes": 3,
               "bake_time_minutes": 3},
    "linear": {"strategy": "linear", "linear_step_percent": 25.0, "step_bake_minutes": 3,
               "bake_time_minutes": 3},
}  # fmt: skip


def measure_release_times(work: Path) -> list[tuple[str, ReleaseTime]]:
    """Each ECS service's computed release time (benchmarks/release_time.py) in the shipped
    environments and in the sandbox with each other strategy: one `cdk synth` each."""
    apps: list[tuple[str, tuple[str, ...]]] = [
        ("sandbox", ("-c", "environment=sandbox")),
        ("production", ("-c", "environment=production")),
    ]
    for strategy, release in RELEASE_VARIANTS.items():
        overrides = work / f"release-{strategy}.json"
        overrides.write_text(json.dumps({"operations": {"release": release}}))
        context: tuple[str, ...] = (
            "-c",
            "environment=sandbox",
            "-c",
            f"config_overrides={overrides}",
        )
        apps.append((f"sandbox, {strategy}", context))
    rows: list[tuple[str, ReleaseTime]] = []
    for label, context in apps:
        outdir = work / f"release-{len(rows)}-{label.replace(', ', '-')}"
        timed(synth_command(outdir, *context), ROOT)
        rows += [(label, row) for row in release_times(outdir)]
    return rows


def render_table(measurements: list[Measurement], floor: Measurement) -> str:
    """The results table in Markdown (also docs/performance.md's `benchmark` block)."""
    lines = [
        "| measurement | median s | runs (s) | x floor | stacks | max resources/stack | "
        "template bytes | largest ALB: target groups, rules |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m in measurements:
        runs = ", ".join(f"{s:.1f}" for s in m.seconds)
        stacks = str(m.stacks) if m.stacks else ""
        resources = str(m.max_resources) if m.stacks else ""
        size = f"{m.template_bytes:,}" if m.stacks else ""
        alb = f"{m.alb_target_groups}, {m.alb_rules}" if m.alb_rules else ""
        lines.append(
            f"| {m.name} | {m.median:.1f} | {runs} | {m.median / floor.median:.1f} | {stacks} | "
            f"{resources} | {size} | {alb} |"
        )
    return "\n".join(lines) + "\n"


def render(table: str, checks: list[str], per_service: list[str]) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    date = time.strftime("%Y-%m-%d")
    return "\n".join(
        [
            "# Benchmark results",
            "",
            f"Measured {date} on {machine} (`make bench`; medians after a warm-up).",
            "",
            table,
            "What each row runs (each is `cdk synth` by the pinned CLI, Node 24, this Python):",
            "",
            "- floor: the cheapest synth the CLI runs, one stack with one SNS topic and "
            "aws-cdk-lib's built-in CloudFormation validation off;",
            "- full sandbox synth, all checks: `cdk synth -c environment=sandbox` as shipped: "
            "cdk-nag, cdk-preflight's deploy-time rules and the CloudFormation validation "
            "engine's default rules (one engine pass), the platform's rules "
            "(stacks/platform.py `add_validations`); warm: every template's findings are in "
            "`build/validation-cache/` (a rerun with unchanged templates); cold: that cache "
            "emptied before each run; no cache: the same checks registered without it;",
            "- cdk-nag only: the same app with the other checks left out (no cache), to show "
            "their cost;",
            "- N Fargate services: the sandbox with N services on the Fargate cluster, all checks "
            "(100 services per ALB: 250 services use three ALBs), warm or cold as above; the "
            "last column is the fullest ALB's target groups and listener rules (quotas: 100 "
            "and 100).",
            "- make test (after setup): the default tier after a warm-up run, so the validation "
            "cache it shares with `cdk synth` holds the shipped environments' findings (a rerun); "
            "cache empty: the same with that cache emptied first (a clean clone's first run).",
            "- N services' resources as plain L1 at their paths: the warm N-service assembly "
            "written back as one `CfnResource` per resource with its template properties at its "
            "construct path (the path's scopes as plain `Construct`s, so the same logical IDs), "
            "with its deletion policies, dependencies and metadata, and one `CfnOutput` per "
            "output, no validation (benchmarks/plain_floor.py; every service stack comes out "
            "byte for byte): the least a service costs while it keeps its logical IDs.",
            "",
            "Targets:",
            "",
            *(f"- {check}" for check in checks),
            "",
            "Per service past the first (250 services against 1):",
            "",
            *(f"- {line}" for line in per_service),
            "",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--warmups", type=int, default=1)
    parser.add_argument("--test-repetitions", type=int, default=3)
    parser.add_argument("--skip-test", action="store_true", help="do not time `make test`")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        floor_app = work / "floor-app"
        floor_app.mkdir()
        (floor_app / "app.py").write_text(FLOOR_APP)
        (floor_app / "cdk.json").write_text(json.dumps({"app": f"{VENV_BIN / 'python'} app.py"}))
        nag_only = work / "nag_only_app.py"
        nag_only.write_text(NAG_ONLY_APP.format(root=str(ROOT)))
        no_cache = work / "no_cache_app.py"
        no_cache.write_text(NO_CACHE_APP.format(root=str(ROOT)))
        reps = (args.warmups, args.repetitions)
        sandbox = ("-c", "environment=sandbox")

        def app(script: Path) -> tuple[str, ...]:
            return ("--app", f"{VENV_BIN / 'python'} {script}", *sandbox)

        floor, warm, cold, uncached, nag = measure_interleaved(
            [
                Run("floor: 1 resource, no validation", floor_app),
                Run("full sandbox synth, all checks, warm", ROOT, sandbox),
                Run("full sandbox synth, all checks, cold", ROOT, sandbox, empty_validation_cache),
                Run("full sandbox synth, all checks, no cache", ROOT, app(no_cache)),
                Run("full sandbox synth, cdk-nag only", ROOT, app(nag_only)),
            ],
            work,
            *reps,
        )
        print(
            f"floor {floor.median:.1f}s, warm {warm.median:.1f}s, cold {cold.median:.1f}s, "
            f"no cache {uncached.median:.1f}s, nag only {nag.median:.1f}s",
            file=sys.stderr,
        )
        scaled: dict[tuple[int, str], Measurement] = {}
        for count in (1, 50, 250):
            overrides = ("-c", f"config_overrides={write_overrides(work, count)}")
            runs = [Run(f"sandbox, {count} Fargate services, warm", ROOT, (*sandbox, *overrides))]
            if count != 50:
                runs.append(
                    Run(
                        f"sandbox, {count} Fargate services, cold",
                        ROOT,
                        (*sandbox, *overrides),
                        empty_validation_cache,
                    )
                )
            for run, measured in zip(runs, measure_interleaved(runs, work, *reps), strict=True):
                scaled[(count, run.name.rsplit(", ", 1)[1])] = measured
                print(f"{run.name}: {measured.median:.1f}s", file=sys.stderr)
        # The same assemblies written back from plain data (benchmarks/plain_floor.py).
        plain_app = write_plain_app(work / "plain-app", VENV_BIN / "python", ROOT)
        sources = {count: outdir_of(work, scaled[(count, "warm")].name) for count in (1, 250)}
        plain_runs = [
            Run(
                f"{count} services' resources as plain L1 at their paths, no validation",
                plain_app,
                ("-c", f"source={source}"),
            )
            for count, source in sources.items()
        ]
        plain_one, plain_many = measure_interleaved(plain_runs, work, *reps)
        for source, run in zip(sources.values(), plain_runs, strict=True):
            written = compare(source, outdir_of(work, run.name))
            if written.differing or written.services_in_full != written.services:
                raise SystemExit(f"the plain floor did not write {source} back whole: {written}")
        measurements = [floor, warm, cold, uncached, nag, *scaled.values(), plain_one, plain_many]
        one, fifty, many = (scaled[(count, "warm")] for count in (1, 50, 250))
        per_service = [
            f"the service constructs: {1000 * per_added_service(one.median, many.median, 250):.0f}"
            " ms (the warm rows)",
            "written from plain data at the same construct paths: "
            f"{1000 * per_added_service(plain_one.median, plain_many.median, 250):.0f} ms "
            "(the plain L1 rows)",
            f"what 250 services warm <= 3 x 1 service warm allows: "
            f"{1000 * per_added_service(one.median, 3 * one.median, 250):.0f} ms",
        ]
        releases = measure_release_times(work)
        sandbox_release = max(t.complete for label, t in releases if label == "sandbox")

        checks = [
            _check("full sandbox synth warm <= 2.5 x floor", warm.median, 2.5 * floor.median),
            _check("full sandbox synth cold <= 1.1 x no cache", cold.median, 1.1 * uncached.median),
            _check("50 services warm <= 3 x 1 service warm", fifty.median, 3 * one.median),
            _check("250 services warm <= 3 x 1 service warm", many.median, 3 * one.median),
            *(
                _check(f"{m.name}: largest ALB's target groups <= 100", m.alb_target_groups, 100)
                for m in (one, fifty, many)
            ),
            *(
                _check(f"{m.name}: largest ALB's rules <= 100", m.alb_rules, 100)
                for m in (one, fifty, many)
            ),
            *(
                _check(f"{m.name}: every stack < 500 resources", m.max_resources, 499)
                for m in (one, fifty, many)
            ),
            _check("sandbox: a release completes in <= 120 s of ECS time", sandbox_release, 120),
        ]
        if not args.skip_test:
            tests = Measurement(
                "make test (after setup)",
                repeat(lambda: timed(["make", "test"], ROOT), args.warmups, args.test_repetitions),
            )
            first = Measurement(
                "make test, validation cache empty",
                repeat(
                    lambda: timed(["make", "test"], ROOT, empty_validation_cache),
                    0,
                    args.test_repetitions,
                ),
            )
            measurements += [tests, first]
            checks += [
                _check("make test <= 4 x full sandbox synth (cold)", tests.median, 4 * cold.median),
                _check(
                    "make test, validation cache empty <= 4 x full sandbox synth (cold)",
                    first.median,
                    4 * cold.median,
                ),
            ]

    table = render_table(measurements, floor)
    report = render(table, checks, per_service) + RELEASE_INTRO + render_release_table(releases)
    print(report)
    # docs/performance.md quotes the table (tests/test_docs.py checks they match).
    write_generated(RESULTS, report, PERFORMANCE_DOC, "benchmark", table, "benchmark table")
    return 0 if all(check.startswith("PASS") for check in checks) else 1


RELEASE_INTRO = """
## Release time per service

Computed from the synthesized templates (benchmarks/release_time.py; the formula is in
docs/releasing.md): seconds of ECS time until every task of the new revision serves all traffic
(serving) and until the deployment completes (complete).

"""


def _check(label: str, value: float, limit: float) -> str:
    verdict = "PASS" if value <= limit else "MISS"
    return f"{verdict}: {label} ({value:.1f} vs limit {limit:.1f})"


if __name__ == "__main__":
    sys.exit(main())
