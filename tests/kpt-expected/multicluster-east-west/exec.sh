#! /bin/bash
# One kpt package per cluster (cluster1/, cluster2/), rendered together, then checked against each
# other: clusters of one mesh share meshID, root CA issuer and trust domain and differ in clusterName.
# mesh-ingress must be on PATH.
set -eo pipefail
kpt fn render . --allow-exec
mesh-ingress check .
