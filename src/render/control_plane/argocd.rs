//! The control plane as Argo CD Applications: one for the upstream `base` chart (CRDs, the config
//! validation webhook) and one for `istiod`, each with its values in `valuesObject`. With
//! `spec.argocd.syncWaves` they sync in waves -2 and -1, before the namespaces (0) and gateways; an
//! app-of-apps parent only waits for a child Application's health when Argo CD's Application health
//! check is restored (`resource.customizations.health.argoproj.io_Application` in `argocd-cm`).
//!
//! istiod writes two fields of the webhooks the charts install (the CA bundle, and the failure policy
//! it flips to `Fail` once it serves); the Applications ignore them, so self-heal does not undo it.

use super::{
    BASE_RELEASE, WAVE_BASE, WAVE_ISTIOD, chart_repository, generated, helm_base_values, helm_istiod_values,
    meta,
};
use crate::api::v1alpha1::ChartSource;
use crate::error::Error;
use crate::model::Model;
use crate::model::control_plane::ControlPlaneModel;
use crate::render::Generated;
use crate::types::Resource;
use crate::types::argocd::{
    ApplicationSpec, Automated, Destination, Helm, IgnoreDifference, Source, SyncPolicy, V1ALPHA1,
};
use serde_json::Value;

const ADMISSION: &str = "admissionregistration.k8s.io";
const CA_BUNDLE: &str = ".webhooks[]?.clientConfig.caBundle";
const FAILURE_POLICY: &str = ".webhooks[]?.failurePolicy";

/// Render the two Applications.
pub fn render(model: &Model, cp: &ControlPlaneModel) -> Result<Vec<Generated>, Error> {
    let base = application(
        model,
        cp,
        (BASE_RELEASE, "base"),
        helm_base_values(cp),
        vec![ignore("ValidatingWebhookConfiguration", &[FAILURE_POLICY])],
    );
    let istiod = application(
        model,
        cp,
        (&cp.istiod_release, "istiod"),
        helm_istiod_values(model, cp)?,
        vec![
            ignore("MutatingWebhookConfiguration", &[CA_BUNDLE]),
            ignore("ValidatingWebhookConfiguration", &[CA_BUNDLE, FAILURE_POLICY]),
        ],
    );
    Ok(vec![generated(model, &base, WAVE_BASE)?, generated(model, &istiod, WAVE_ISTIOD)?])
}

fn ignore(kind: &str, paths: &[&str]) -> IgnoreDifference {
    IgnoreDifference {
        group: ADMISSION.to_string(),
        kind: kind.to_string(),
        jq_path_expressions: paths.iter().map(|p| p.to_string()).collect(),
    }
}

/// Argo CD's Helm-over-OCI form names the registry without its scheme (the repository is registered
/// with `enableOCI: "true"`).
fn repo_url(cp: &ControlPlaneModel) -> String {
    let repository = chart_repository(cp);
    match cp.spec.chart_source {
        ChartSource::Oci => repository.strip_prefix("oci://").unwrap_or(&repository).to_string(),
        ChartSource::Https => repository,
    }
}

fn application(
    model: &Model,
    cp: &ControlPlaneModel,
    (release, chart): (&str, &str),
    values: Value,
    ignore_differences: Vec<IgnoreDifference>,
) -> Resource<ApplicationSpec> {
    let settings = &cp.spec.argocd;
    let server = match (&settings.destination_server, &settings.destination_name) {
        (None, None) => Some("https://kubernetes.default.svc".to_string()),
        (server, _) => server.clone(),
    };
    Resource::new(
        V1ALPHA1,
        "Application",
        meta(model, &format!("{release}{}", cp.cluster_suffix), Some(&settings.namespace)),
        ApplicationSpec {
            project: settings.project.clone(),
            source: Source {
                repo_url: repo_url(cp),
                chart: chart.to_string(),
                target_revision: cp.spec.version.clone(),
                helm: Helm { release_name: release.to_string(), values_object: values },
            },
            destination: Destination {
                server,
                name: settings.destination_name.clone(),
                namespace: cp.namespace.clone(),
            },
            sync_policy: SyncPolicy {
                automated: settings.automated.then_some(Automated { prune: true, self_heal: true }),
                // Server-side apply: the CRDs of `base` exceed the client-side apply annotation limit.
                sync_options: [
                    "CreateNamespace=true",
                    "ServerSideApply=true",
                    "RespectIgnoreDifferences=true",
                ]
                .map(String::from)
                .to_vec(),
            },
            ignore_differences,
        },
    )
}
