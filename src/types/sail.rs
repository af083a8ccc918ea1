//! Sail Operator resources (`sailoperator.io/v1`): the `Istio` that the operator turns into an
//! IstioRevision and istiod, and `IstioRevisionTag`, a stable injection label for a revision.
//! Field names follow `../shared/crds/sail-operator`.

use serde::Serialize;
use serde_json::Value;

/// `sailoperator.io/v1`.
pub const V1: &str = "sailoperator.io/v1";

/// Istio spec.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IstioSpec {
    /// Istio version, `v1.MINOR.PATCH`.
    pub version: String,
    /// Namespace istiod is installed in.
    pub namespace: String,
    /// Built-in profile.
    pub profile: String,
    /// How a version change is rolled out.
    pub update_strategy: UpdateStrategy,
    /// Helm values of the charts, in Sail's typed form (istiod settings under `pilot`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Value>,
}

/// Update strategy of an Istio.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStrategy {
    /// `InPlace` or `RevisionBased`.
    #[serde(rename = "type")]
    pub type_: String,
}

/// IstioRevisionTag spec.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IstioRevisionTagSpec {
    /// The Istio (or IstioRevision) the tag follows.
    pub target_ref: TargetRef,
}

/// A reference to an Istio or IstioRevision.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetRef {
    /// `Istio` or `IstioRevision`.
    pub kind: String,
    /// Its name.
    pub name: String,
}
