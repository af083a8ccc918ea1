#!/usr/bin/env python3
"""Security scan of what mesh-ingress generates: checkov with .checkov.yaml, and yamllint's truthy rule.

Run by scripts/check-security.sh, inside a venv that has checkov and yamllint (PyYAML comes with
them). Inputs, all rendered by the current code:
  * every example package under functions/mesh-ingress/examples (render CONFIG DIR) and the
    kustomize base, rendered by the binary now;
  * every non-error golden case's expected output (tests/golden/*/expected.yaml), which the golden
    test proves equal to what the binary renders, so every topology and knob is covered.

Each generated object (the ones carrying the ownership label) is written to its own file,
<case>/<component>/<Kind>.<namespace>.<name>.yaml, so the skips in .checkov.yaml name exactly the
objects they cover. Items the function passed through are the user's, not ours, and are not
scanned by checkov; yamllint still reads whole outputs, because quoting is the writer's job.

Exits non-zero on any unexplained checkov finding, any truthy warning, or when a single default
gateway rendered by mesh-ingress has as many raw findings (no skips) as the istio/gateway chart's
default render.
"""

import argparse
import json
import re
import pathlib
import shutil
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
OWNER_LABEL = "mesh-ingress.dev/instance"
# The single-gateway case compared with the chart's default render: one external gateway with
# defaults (HTTPS, HTTP-01 certificate, one route), like `helm template istio/gateway`.
COMPARED_CASE = "golden-minimal-http01"
CHART = ROOT.parent / "shared" / "reference" / "gateway-chart-default.yaml"
# Where each check skipped in .checkov.yaml may fire (the reasons are there): regular expressions
# over the object's file, <case>/<component>/<Kind>.<namespace>.<name>.yaml.
GATEWAY_DEPLOYMENT = r"/(gateway|eastwest-gateway)/Deployment\."
SKIP_SCOPES = {
    "CKV_K8S_14": [GATEWAY_DEPLOYMENT],
    "CKV_K8S_43": [GATEWAY_DEPLOYMENT, r"/demo/Deployment\."],
    "CKV_K8S_9": [GATEWAY_DEPLOYMENT],
    "CKV_K8S_40": [GATEWAY_DEPLOYMENT],
    "CKV2_K8S_5": [r"/(gateway|eastwest-gateway)/(Role|RoleBinding)\."],
}
TRUTHY_CONFIG = "{rules: {truthy: {allowed-values: ['true', 'false'], check-keys: true}}}"


def rendered_cases(binary):
    """(case name, YAML stream) for the examples and the kustomize base, rendered now."""
    packages = sorted((ROOT / "functions" / "mesh-ingress" / "examples").iterdir())
    packages.append(ROOT / "kustomize" / "base")
    for package in packages:
        config = package / "mesh-ingress.yaml"
        if not config.is_file() or package.name == "invalid-config":
            continue
        run = subprocess.run(
            [binary, "render", str(config), str(package)], capture_output=True, text=True
        )
        if run.returncode != 0:
            sys.exit(f"render {package.relative_to(ROOT)} failed: {run.stderr.strip()}")
        yield f"example-{package.name}", run.stdout


def golden_cases():
    """(case name, output ResourceList text) for every golden case expected to succeed."""
    for expected in sorted((ROOT / "tests" / "golden").glob("*/expected.yaml")):
        if expected.parent.name.startswith("error-"):
            continue
        yield f"golden-{expected.parent.name}", expected.read_text()


def generated_objects(text):
    """The objects carrying the ownership label, from a YAML stream or a ResourceList."""
    docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    if len(docs) == 1 and docs[0].get("kind") == "ResourceList":
        docs = docs[0].get("items") or []
    return [d for d in docs if ((d.get("metadata") or {}).get("labels") or {}).get(OWNER_LABEL)]


def write_objects(case, objects, out):
    for obj in objects:
        meta = obj["metadata"]
        component = meta["labels"].get("app.kubernetes.io/component", "other")
        name = f"{obj['kind']}.{meta.get('namespace', '_cluster')}.{meta['name']}.yaml"
        path = out / case / component / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(obj, sort_keys=False))


def checkov(target, *extra):
    """checkov's JSON report on a file or directory, as one list of per-framework reports."""
    flag = "-d" if target.is_dir() else "-f"
    # Not run from the repository root: checkov would read .checkov.yaml from there by itself, and
    # the raw runs must not skip anything.
    run = subprocess.run(
        ["checkov", flag, str(target.resolve()), "--framework", "kubernetes", "--skip-download",
         "-o", "json", *extra],
        capture_output=True, text=True, cwd=target.resolve().parent,
    )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        sys.exit(f"checkov did not report JSON (exit {run.returncode}):\n{run.stderr[-2000:]}")
    reports = report if isinstance(report, list) else [report]
    if not any("results" in r for r in reports) and not any(r.get("failed") == 0 for r in reports):
        sys.exit(f"checkov reported nothing usable:\n{run.stdout[:2000]}")
    return reports


def checks(reports, kind):
    return [c for r in reports for c in r.get("results", {}).get(kind, [])]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=str(ROOT / "target" / "debug" / "mesh-ingress"))
    parser.add_argument("--out", default=str(ROOT / "target" / "security-scan"))
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)

    truthy_problems = 0
    cases = 0
    for case, text in [*rendered_cases(args.binary), *golden_cases()]:
        cases += 1
        stream = out / "_outputs" / f"{case}.yaml"
        stream.parent.mkdir(parents=True, exist_ok=True)
        stream.write_text(text)
        lint = subprocess.run(
            ["yamllint", "-f", "parsable", "-d", TRUTHY_CONFIG, str(stream)],
            capture_output=True, text=True,
        )
        if lint.returncode != 0 or lint.stdout.strip():
            truthy_problems += 1
            print(f"yamllint truthy, {case}:\n{lint.stdout}{lint.stderr}")
        write_objects(case, generated_objects(text), out / "objects")
    print(f"yamllint truthy: {cases} outputs, {truthy_problems} with findings")

    config = yaml.safe_load((ROOT / ".checkov.yaml").read_text())
    if set(config["skip-check"]) != set(SKIP_SCOPES):
        sys.exit(".checkov.yaml's skip-check and SKIP_SCOPES in this script must name the same checks")

    # checkov's verdict with the checked-in config.
    reports = checkov(out / "objects", "--config-file", str(ROOT / ".checkov.yaml"))
    failed = checks(reports, "failed_checks")
    passed = checks(reports, "passed_checks")
    # The same objects without skips: a skipped check may fire only within its scope.
    raw = checks(checkov(out / "objects"), "failed_checks")
    skipped = [c for c in raw if c["check_id"] in SKIP_SCOPES]
    out_of_scope = [
        c for c in skipped if not any(re.search(p, c["file_path"]) for p in SKIP_SCOPES[c["check_id"]])
    ]
    print(f"checkov over {cases} cases' generated objects: {len(passed)} passed, "
          f"{len(skipped)} skipped with a reason in .checkov.yaml, {len(failed)} failed")
    by_check = {}
    for check in skipped:
        key = (check["check_id"], check["check_name"])
        by_check[key] = by_check.get(key, 0) + 1
    for (check_id, name), count in sorted(by_check.items()):
        print(f"  skipped {check_id} ({name}): {count}")
    for check in failed:
        print(f"  FAILED {check['check_id']} ({check['check_name']}): {check['file_path']}")
    for check in out_of_scope:
        print(f"  OUT OF SKIP SCOPE {check['check_id']} ({check['check_name']}): {check['file_path']}")

    # The comparison with the upstream chart: raw findings, nothing skipped.
    compared = out / "objects" / COMPARED_CASE
    ours = len(checks(checkov(compared), "failed_checks"))
    if CHART.is_file():
        chart = len(checks(checkov(CHART), "failed_checks"))
        print(f"raw findings, one default gateway: mesh-ingress {ours} ({COMPARED_CASE}), "
              f"istio/gateway chart {chart} ({CHART.name})")
    else:
        chart = None
        print(f"raw findings, one default gateway: mesh-ingress {ours}; {CHART} is missing")

    problems = []
    if failed or out_of_scope:
        problems.append(f"{len(failed) + len(out_of_scope)} unexplained checkov finding(s)")
    if truthy_problems:
        problems.append(f"{truthy_problems} output(s) with truthy findings")
    if chart is not None and ours >= chart:
        problems.append(f"as many raw findings as the chart ({ours} >= {chart})")
    if problems:
        sys.exit("security scan failed: " + "; ".join(problems))
    print("security scan: clean")


if __name__ == "__main__":
    main()
