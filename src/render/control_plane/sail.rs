//! The control plane for the Sail Operator: a cluster-scoped `sailoperator.io/v1` Istio, from which
//! the operator creates an IstioRevision and istiod, and an IstioRevisionTag for each revision tag
//! (the `default` tag, or the stable label of a `RevisionBased` Istio).
//!
//! The Istio is named after the revision (`default` without one): with the `InPlace` strategy the
//! operator names the revision after the Istio, so the injection labels find it; the operator
//! itself maps the name `default` to the unnamed revision (`istio-injection: enabled`).

use super::{WAVE_BASE, WAVE_ISTIOD, generated, meta, sail_values};
use crate::error::Error;
use crate::model::Model;
use crate::model::control_plane::ControlPlaneModel;
use crate::render::Generated;
use crate::types::Resource;
use crate::types::sail::{IstioRevisionTagSpec, IstioSpec, TargetRef, UpdateStrategy, V1};

/// Render the Istio and its revision tags.
pub fn render(model: &Model, cp: &ControlPlaneModel) -> Result<Vec<Generated>, Error> {
    let istio = Resource::new(
        V1,
        "Istio",
        meta(model, &cp.istio_name, None),
        IstioSpec {
            version: format!("v{}", cp.spec.version),
            namespace: cp.namespace.clone(),
            profile: cp.traits.sail.unwrap_or("default").to_string(),
            update_strategy: UpdateStrategy { type_: cp.spec.sail.update_strategy.as_str().to_string() },
            values: sail_values(model, cp)?,
        },
    );
    // The Istio first: the operator resolves a tag's target when it exists.
    let mut out = vec![generated(model, &istio, WAVE_BASE)?];
    for tag in &cp.tags {
        let object = Resource::new(
            V1,
            "IstioRevisionTag",
            meta(model, tag, None),
            IstioRevisionTagSpec {
                target_ref: TargetRef { kind: "Istio".to_string(), name: cp.istio_name.clone() },
            },
        );
        out.push(generated(model, &object, WAVE_ISTIOD)?);
    }
    Ok(out)
}
