#! /bin/bash
# The ConfigMap form: kpt turns the arguments into a ConfigMap "function-input"; the instance name is
# data.name. mesh-ingress must be on PATH.
set -eo pipefail
kpt fn eval . --exec mesh-ingress -- name=shop domains=shop.example.com email=ops@example.com namespaces=shop acmeServer=staging
