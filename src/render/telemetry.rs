//! Mesh tracing: a `telemetry.istio.io/v1` Telemetry in the mesh root namespace, which applies to the
//! whole mesh. Its provider must be defined in istiod's `meshConfig.extensionProviders`.

use super::Generated;
use super::labels::{Component, metadata};
use super::mtls::MESH_FILE;
use crate::error::Error;
use crate::model::Model;
use crate::types::Resource;
use crate::types::istio::{ProviderRef, TELEMETRY_V1, TelemetrySpec, Tracing};

/// Name of the mesh-wide Telemetry (one without a selector per root namespace, IST0160).
pub const MESH_TELEMETRY: &str = "mesh-default";

/// Render the mesh-wide Telemetry, when configured.
pub fn render(model: &Model) -> Result<Vec<Generated>, Error> {
    let Some(telemetry) = &model.spec.telemetry else { return Ok(Vec::new()) };
    let object = Resource::new(
        TELEMETRY_V1,
        "Telemetry",
        metadata(
            model,
            MESH_TELEMETRY,
            Some(&model.spec.mtls.root_namespace),
            "mesh-ingress",
            Component::Telemetry,
        ),
        TelemetrySpec {
            tracing: vec![Tracing {
                providers: vec![ProviderRef { name: telemetry.provider.clone() }],
                random_sampling_percentage: telemetry.sampling_percentage,
            }],
        },
    );
    Ok(vec![Generated::new(&object, MESH_FILE)?])
}
