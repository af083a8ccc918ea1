//! Argo CD resources (`argoproj.io/v1alpha1`): the `Application` that installs a Helm chart.
//! Field names follow `../shared/crds/argocd`.

use serde::Serialize;
use serde_json::Value;

/// `argoproj.io/v1alpha1`.
pub const V1ALPHA1: &str = "argoproj.io/v1alpha1";

/// Application spec.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec {
    /// The AppProject.
    pub project: String,
    /// What to install.
    pub source: Source,
    /// Where to install it.
    pub destination: Destination,
    /// How to sync.
    pub sync_policy: SyncPolicy,
    /// Fields of live objects that other controllers own (webhook CA bundles, failure policies).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore_differences: Vec<IgnoreDifference>,
}

/// A Helm chart from a repository.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// Helm repository URL, or an OCI registry path without `oci://`.
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// Chart name.
    pub chart: String,
    /// Chart version.
    pub target_revision: String,
    /// Helm settings.
    pub helm: Helm,
}

/// Helm settings of a source.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Helm {
    /// Release name.
    pub release_name: String,
    /// Values, as an object.
    pub values_object: Value,
}

/// Destination cluster and namespace.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    /// API server URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// Cluster name in Argo CD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Namespace.
    pub namespace: String,
}

/// Sync policy.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPolicy {
    /// Automated sync.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automated: Option<Automated>,
    /// Sync options (`ServerSideApply=true`, ...).
    pub sync_options: Vec<String>,
}

/// Automated sync settings.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Automated {
    /// Delete objects no longer in the source.
    pub prune: bool,
    /// Revert changes made in the cluster.
    pub self_heal: bool,
}

/// Fields to ignore when comparing with the live state.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IgnoreDifference {
    /// API group.
    pub group: String,
    /// Kind.
    pub kind: String,
    /// jq paths of the ignored fields.
    pub jq_path_expressions: Vec<String>,
}
