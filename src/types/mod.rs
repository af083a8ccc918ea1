//! Serde types for the custom resources this function emits, written by hand for the few fields it
//! sets (generated crates pull in several old kube and k8s-openapi versions; see
//! `../shared/research/rust-crates-and-yaml.md`). Core Kubernetes kinds come from `k8s-openapi`.
//!
//! Field names and enum spellings follow the upstream CRDs in `../shared/crds`; the conformance
//! test validates every golden output against them.

pub mod argocd;
pub mod cert_manager;
pub mod flux;
pub mod gateway_api;
pub mod istio;
pub mod sail;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

/// A custom resource: `apiVersion`, `kind`, `metadata` and a typed `spec`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource<S> {
    /// `apiVersion`.
    pub api_version: &'static str,
    /// `kind`.
    pub kind: &'static str,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: S,
}

impl<S> Resource<S> {
    /// A resource of the given type.
    pub fn new(api_version: &'static str, kind: &'static str, metadata: ObjectMeta, spec: S) -> Self {
        Resource { api_version, kind, metadata, spec }
    }
}
