//! The control plane as Flux objects: the chart source (a HelmRepository, or one OCIRepository per
//! chart) and a HelmRelease each for the upstream `base` and `istiod` charts; istiod `dependsOn` base,
//! so the CRDs and the validation webhook exist first. The objects live in the mesh root namespace
//! (or `controlPlane.flux.namespace`), so no reference crosses namespaces.
//!
//! Flux orders releases among themselves only: the gateways, applied by a Flux Kustomization, must
//! wait for istiod through that Kustomization's own `dependsOn` (see the README).

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
use crate::types::flux::{
    ChartRef, ChartSpec, ChartTemplate, DependencyReference, HELM_CHART_LAYER, HELM_V2, HelmReleaseSpec,
    HelmRepositorySpec, LayerSelector, OciReference, OciRepositorySpec, SOURCE_V1, SourceRef,
};
use serde_json::Value;

/// Name of the HelmRepository.
pub const HELM_REPOSITORY_NAME: &str = "istio";

/// The namespace of the Flux objects.
pub fn namespace(cp: &ControlPlaneModel) -> String {
    cp.spec.flux.namespace.clone().unwrap_or_else(|| cp.namespace.clone())
}

/// Name of the OCIRepository of a chart.
pub fn oci_repository_name(chart: &str) -> String {
    format!("istio-chart-{chart}")
}

/// Render the source and the two HelmReleases.
pub fn render(model: &Model, cp: &ControlPlaneModel) -> Result<Vec<Generated>, Error> {
    let namespace = namespace(cp);
    let interval = cp.spec.flux.interval.clone();
    let repository = chart_repository(cp);
    let mut out = Vec::new();
    match cp.spec.chart_source {
        ChartSource::Https => {
            let source = Resource::new(
                SOURCE_V1,
                "HelmRepository",
                meta(model, HELM_REPOSITORY_NAME, Some(&namespace)),
                HelmRepositorySpec { url: repository.clone(), interval: interval.clone() },
            );
            out.push(generated(model, &source, WAVE_BASE)?);
        }
        ChartSource::Oci => {
            for chart in ["base", "istiod"] {
                let source = Resource::new(
                    SOURCE_V1,
                    "OCIRepository",
                    meta(model, &oci_repository_name(chart), Some(&namespace)),
                    OciRepositorySpec {
                        url: format!("{}/{chart}", repository.trim_end_matches('/')),
                        interval: interval.clone(),
                        reference: OciReference { tag: cp.spec.version.clone() },
                        layer_selector: LayerSelector {
                            media_type: HELM_CHART_LAYER.to_string(),
                            operation: "copy".to_string(),
                        },
                    },
                );
                out.push(generated(model, &source, WAVE_BASE)?);
            }
        }
    }
    let base = release(model, cp, (BASE_RELEASE, "base"), Vec::new(), helm_base_values(cp));
    let istiod = release(
        model,
        cp,
        (&cp.istiod_release, "istiod"),
        vec![DependencyReference { name: BASE_RELEASE.to_string() }],
        helm_istiod_values(model, cp)?,
    );
    out.push(generated(model, &base, WAVE_BASE)?);
    out.push(generated(model, &istiod, WAVE_ISTIOD)?);
    Ok(out)
}

fn release(
    model: &Model,
    cp: &ControlPlaneModel,
    (name, chart): (&str, &str),
    depends_on: Vec<DependencyReference>,
    values: Value,
) -> Resource<HelmReleaseSpec> {
    let namespace = namespace(cp);
    let (chart_template, chart_ref) = match cp.spec.chart_source {
        ChartSource::Https => (
            Some(ChartTemplate {
                spec: ChartSpec {
                    chart: chart.to_string(),
                    version: cp.spec.version.clone(),
                    source_ref: SourceRef {
                        kind: "HelmRepository".to_string(),
                        name: HELM_REPOSITORY_NAME.to_string(),
                    },
                },
            }),
            None,
        ),
        ChartSource::Oci => {
            (None, Some(ChartRef { kind: "OCIRepository".to_string(), name: oci_repository_name(chart) }))
        }
    };
    Resource::new(
        HELM_V2,
        "HelmRelease",
        meta(model, name, Some(&namespace)),
        HelmReleaseSpec {
            interval: cp.spec.flux.interval.clone(),
            release_name: name.to_string(),
            target_namespace: (namespace != cp.namespace).then(|| cp.namespace.clone()),
            chart: chart_template,
            chart_ref,
            depends_on,
            values,
        },
    )
}
