//! Flux resources: `helm.toolkit.fluxcd.io/v2` HelmRelease and its chart sources
//! (`source.toolkit.fluxcd.io/v1` HelmRepository and OCIRepository). Field names follow
//! `../shared/crds/flux`.

use serde::Serialize;
use serde_json::Value;

/// `helm.toolkit.fluxcd.io/v2`.
pub const HELM_V2: &str = "helm.toolkit.fluxcd.io/v2";
/// `source.toolkit.fluxcd.io/v1`.
pub const SOURCE_V1: &str = "source.toolkit.fluxcd.io/v1";
/// The media type of a Helm chart's content layer in an OCI artifact.
pub const HELM_CHART_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

/// HelmRepository spec.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmRepositorySpec {
    /// Repository URL.
    pub url: String,
    /// How often the index is fetched.
    pub interval: String,
}

/// OCIRepository spec (one chart).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OciRepositorySpec {
    /// `oci://` URL of the chart.
    pub url: String,
    /// How often the registry is checked.
    pub interval: String,
    /// The tag to pull.
    #[serde(rename = "ref")]
    pub reference: OciReference,
    /// The chart layer, copied as the packaged chart Helm reads.
    pub layer_selector: LayerSelector,
}

/// An OCI artifact reference.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OciReference {
    /// Tag.
    pub tag: String,
}

/// Which layer of the artifact is used, and how.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerSelector {
    /// Media type.
    pub media_type: String,
    /// `copy`: keep the layer as is (a packaged chart).
    pub operation: String,
}

/// HelmRelease spec.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmReleaseSpec {
    /// Reconcile interval.
    pub interval: String,
    /// Release name.
    pub release_name: String,
    /// Namespace to install into, when it is not the HelmRelease's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_namespace: Option<String>,
    /// A chart from a HelmRepository. Exclusive with `chartRef`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart: Option<ChartTemplate>,
    /// A chart from an OCIRepository. Exclusive with `chart`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart_ref: Option<ChartRef>,
    /// HelmReleases that must be ready first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<DependencyReference>,
    /// Values.
    pub values: Value,
}

/// The chart template of a HelmRelease.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartTemplate {
    /// Its spec.
    pub spec: ChartSpec,
}

/// A chart in a HelmRepository.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartSpec {
    /// Chart name.
    pub chart: String,
    /// Chart version.
    pub version: String,
    /// The HelmRepository.
    pub source_ref: SourceRef,
}

/// A reference to a source.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRef {
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
}

/// A reference to the OCIRepository holding the chart.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartRef {
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
}

/// A HelmRelease that must be ready first.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DependencyReference {
    /// Name (same namespace).
    pub name: String,
}
