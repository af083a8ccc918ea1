#!/usr/bin/env bash
# Security scan of the generated objects: checkov (with the reasoned skips in .checkov.yaml) and
# yamllint's truthy rule over every rendered example and golden output. See scripts/security_scan.py.
#
#   scripts/check-security.sh            # needs checkov and yamllint in .ci/venv or on PATH
#   scripts/check-security.sh --install  # creates .ci/venv with the pinned versions first
set -euo pipefail
cd "$(dirname "$0")/.."

install=false
if [ "${1:-}" = "--install" ]; then install=true; shift; fi

# Pinned so a new checkov release cannot change CI's verdict on an unchanged tree.
requirements=(checkov==3.3.30 yamllint==1.38.0)

if [ ! -x .ci/venv/bin/checkov ] || [ ! -x .ci/venv/bin/yamllint ]; then
  if $install; then
    [ -x .ci/venv/bin/python ] || python3 -m venv .ci/venv
    .ci/venv/bin/pip install --quiet --disable-pip-version-check "${requirements[@]}"
  elif ! command -v checkov >/dev/null 2>&1 || ! command -v yamllint >/dev/null 2>&1; then
    echo "checkov and yamllint are missing: run scripts/check-security.sh --install" >&2
    exit 1
  fi
fi
[ -x .ci/venv/bin/checkov ] && export PATH="$PWD/.ci/venv/bin:$PATH"

cargo build --quiet --locked
python=$(command -v python3)
[ -x .ci/venv/bin/python ] && python=.ci/venv/bin/python
# checkov reports its version on stderr at start-up otherwise; say which versions judged the tree.
echo "checkov $(checkov --version), $(yamllint --version)"
exec "$python" scripts/security_scan.py "$@"
