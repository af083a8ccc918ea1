//! Benchmark input: a ResourceList of N realistic Kubernetes objects of about 1 KB each, laid out as
//! kpt and kustomize send it (block style, `items:` at column 0, one item per column-0 dash), followed
//! by a function config.
//!
//! Shared by the criterion benches and `examples/bench_input.rs` (which `scripts/bench` calls), so the
//! in-process and whole-process figures are taken on the same bytes. The output depends only on N and
//! the config: no clock, no randomness.

use std::fmt::Write;

/// The realistic config the benches render (`benches/data/realistic.yaml`).
pub const REALISTIC_CONFIG: &str = include_str!("../data/realistic.yaml");

/// The items, as the `items:` block of a ResourceList (each line ends with a newline).
pub fn items(count: usize) -> String {
    let mut out = String::with_capacity(count * 1100);
    for index in 0..count {
        item(&mut out, index);
    }
    out
}

/// A whole ResourceList: `count` items and `config` as the function config.
pub fn resource_list(count: usize, config: &str) -> String {
    let mut out = String::from("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n");
    out.push_str(if count == 0 { "items: []\n" } else { "items:\n" });
    out.push_str(&items(count));
    out.push_str("functionConfig:\n");
    for line in config.lines().filter(|l| !l.trim_start().starts_with('#')) {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

// Four kinds in turn, the mix an application package has: a Deployment (about 1.5 KB), a Service
// (about 0.8 KB), a ConfigMap with an embedded file (about 1 KB), and a HorizontalPodAutoscaler
// (about 0.8 KB). Every item carries the annotations kpt adds (path, index), recommended labels and a
// few common annotations, so the reader sees the nesting, quoting and block scalars of real packages.
fn item(out: &mut String, index: usize) {
    let app = format!("app-{index:06}");
    let team = format!("team-{:02}", index % 40);
    let file = format!("apps/{team}/{app}.yaml");
    let version = format!("1.{}.{}", index % 17, index % 5);
    let header = |out: &mut String, api_version: &str, kind: &str| {
        let _ = write!(
            out,
            "- apiVersion: {api_version}\n  kind: {kind}\n  metadata:\n    name: {app}\n    namespace: {team}\n    labels:\n      app.kubernetes.io/name: {app}\n      app.kubernetes.io/instance: {app}-prod\n      app.kubernetes.io/version: \"{version}\"\n      app.kubernetes.io/part-of: shop\n      app.kubernetes.io/managed-by: kpt\n    annotations:\n      config.kubernetes.io/index: '{}'\n      internal.config.kubernetes.io/index: '{}'\n      internal.config.kubernetes.io/path: '{file}'\n      config.kubernetes.io/path: '{file}'\n",
            index % 4,
            index % 4,
        );
    };
    match index % 4 {
        0 => {
            header(out, "apps/v1", "Deployment");
            let _ = write!(
                out,
                "      owner: platform@example.com\n  spec:\n    replicas: {replicas}\n    revisionHistoryLimit: 5\n    selector:\n      matchLabels:\n        app.kubernetes.io/name: {app}\n    strategy:\n      type: RollingUpdate\n      rollingUpdate: {{maxSurge: 25%, maxUnavailable: 0}}\n    template:\n      metadata:\n        labels:\n          app.kubernetes.io/name: {app}\n          sidecar.istio.io/inject: \"true\"\n      spec:\n        serviceAccountName: {app}\n        securityContext: {{runAsNonRoot: true, seccompProfile: {{type: RuntimeDefault}}}}\n        containers:\n        - name: app\n          image: registry.example.com/{team}/{app}:{version}\n          args: [--port=8080, --log-level=info]\n          ports:\n          - {{name: http, containerPort: 8080, protocol: TCP}}\n          env:\n          - name: DATABASE_URL\n            valueFrom:\n              secretKeyRef: {{name: {app}-db, key: url}}\n          - {{name: FEATURE_FLAGS, value: \"checkout,search\"}}\n          resources:\n            requests: {{cpu: 100m, memory: 128Mi}}\n            limits: {{memory: 256Mi}}\n          readinessProbe:\n            httpGet: {{path: /healthz, port: http}}\n            periodSeconds: 10\n",
                replicas = 2 + index % 3,
            );
        }
        1 => {
            header(out, "v1", "Service");
            let _ = write!(
                out,
                "      service.beta.kubernetes.io/aws-load-balancer-internal: \"true\"\n  spec:\n    type: ClusterIP\n    selector:\n      app.kubernetes.io/name: {app}\n    ports:\n    - name: http\n      port: 80\n      targetPort: http\n      protocol: TCP\n    - name: metrics\n      port: 9090\n      targetPort: 9090\n",
            );
        }
        2 => {
            header(out, "v1", "ConfigMap");
            let _ = write!(
                out,
                "  data:\n    LOG_LEVEL: info\n    ENABLED: \"yes\"\n    RETRIES: \"3\"\n    app.properties: |\n      # {app} settings\n      server.port=8080\n      cache.ttl=300\n      upstream=http://backend.{team}.svc.cluster.local:8080\n      tracing.sample=0.1\n",
            );
        }
        _ => {
            header(out, "autoscaling/v2", "HorizontalPodAutoscaler");
            let _ = write!(
                out,
                "  spec:\n    scaleTargetRef:\n      apiVersion: apps/v1\n      kind: Deployment\n      name: {app}\n    minReplicas: 2\n    maxReplicas: {max}\n    metrics:\n    - type: Resource\n      resource:\n        name: cpu\n        target:\n          type: Utilization\n          averageUtilization: 75\n",
                max = 5 + index % 10,
            );
        }
    }
}
