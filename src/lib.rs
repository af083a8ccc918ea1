//! mesh-ingress: a KRM function that expands one `MeshIngress` config into a complete, validated
//! Istio ingress stack.

pub mod error;
pub mod krm;

pub use error::Error;
pub use krm::ResourceList;
