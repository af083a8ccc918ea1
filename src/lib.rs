//! mesh-ingress: a KRM function that expands one `MeshIngress` config into a complete, validated
//! Istio ingress stack (gateway workloads like the istio/gateway chart renders them, Istio Gateways
//! with HTTPS and an HTTP redirect, cert-manager Certificates and ClusterIssuers, mTLS and
//! authorization policies, injection-labelled namespaces, cloud load balancer presets, routes and a
//! demo app), passing every other item through untouched.
//!
//! The pieces, in the order data flows through them:
//! - [`krm`]: the ResourceList wire format, YAML in and out, results, upsert and prune;
//! - [`api`]: the MeshIngress v1alpha1 types, their schema, and config decoding;
//! - [`model`]: defaults and cross-references resolved;
//! - [`validate`]: every semantic rule, all problems at once;
//! - [`render`]: one module per emitted concern;
//! - [`analyze`]: checks over the whole package, hand-written objects and generated ones together;
//! - [`pipeline`] and [`commands`]: the function as kpt, kustomize and Argo CD call it;
//! - [`graph`]: a picture of what a config renders, and why each object exists.

pub mod analyze;
pub mod api;
pub mod commands;
pub mod error;
pub mod graph;
pub mod krm;
pub mod model;
pub mod ownership;
pub mod pipeline;
pub mod render;
pub mod types;
pub mod validate;

pub use error::Error;
pub use krm::ResourceList;
pub use pipeline::{Mode, Outcome, process};
