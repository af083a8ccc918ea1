//! mesh-ingress: a KRM function that expands one `MeshIngress` config into a complete, validated
//! Istio ingress stack.

pub mod api;
pub mod error;
pub mod krm;
pub mod types;

pub use error::Error;
pub use krm::ResourceList;
