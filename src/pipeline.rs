//! The function itself, independent of how it is called: config in, items in, items and results out.
//!
//! 1. decode the config (all schema problems at once),
//! 2. resolve defaults and run every semantic rule,
//! 3. render, then merge the generated objects into the items (upsert, prune, place files),
//! 4. check the whole package, passing items and generated objects together ([`crate::analyze`]).
//!
//! Any error stops before step 3, and the items come back untouched. Step 4 only reports: with
//! `spec.analysis.userObjects: Error` its errors fail the run (kpt and kustomize then write nothing).

use crate::api::{self, Config};
use crate::krm::digest;
use crate::krm::merge::{self, Placement};
use crate::krm::object::ObjectId;
use crate::krm::result::{self, KrmResult};
use crate::model::{self, Model};
use crate::ownership;
use crate::render::{self, Generated};
use crate::validate;
use serde_json::Value;

/// How the caller uses the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A KRM orchestrator (kpt, kustomize) that writes objects to files: new objects get a file path.
    Krm,
    /// A plain YAML stream (the legacy kustomize plugin, `mesh-ingress render`, Argo CD): no paths.
    Stream,
}

/// What processing produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// The items to write.
    pub items: Vec<Value>,
    /// Results, sorted.
    pub results: Vec<KrmResult>,
    /// What the merge changed compared with the input (for logs; not part of the output).
    pub changes: merge::Summary,
    /// For each output item, the index of the identical input item, if any (so its text can be reused).
    pub origins: Vec<Option<usize>>,
}

fn unchanged(items: Vec<Value>, results: Vec<KrmResult>) -> Outcome {
    let origins = (0..items.len()).map(Some).collect();
    Outcome { items, results, changes: merge::Summary::default(), origins }
}

impl Outcome {
    /// Whether any result is an error.
    pub fn failed(&self) -> bool {
        result::has_errors(&self.results)
    }
}

/// Run the function over `items` with `function_config`.
pub fn process(items: Vec<Value>, function_config: Option<&Value>, mode: Mode) -> Outcome {
    let config = match api::decode_config(function_config) {
        Ok(config) => config,
        Err(error) => {
            let mut results = error.results;
            // Run the semantic rules on what could be read, but never render a config with errors.
            if let Some(recovered) = &error.recovered {
                let model = model::resolve(&recovered.instance, &recovered.spec);
                let under_removed = |r: &KrmResult| {
                    let path = r.field.as_ref().map(|f| f.path.as_str()).unwrap_or("");
                    error.removed.iter().any(|removed| {
                        path.strip_prefix(removed.as_str()).is_some_and(|rest| {
                            rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')
                        })
                    })
                };
                results.extend(
                    validate::validate(&model)
                        .into_iter()
                        .filter(|r| !under_removed(r))
                        .map(|r| recovered.result(r)),
                );
            }
            result::sort_results(&mut results);
            return Outcome { items, results, ..Default::default() };
        }
    };
    let mut outcome = process_config(items, &config, function_config, mode);
    result::sort_results(&mut outcome.results);
    outcome
}

/// Validate and render a decoded config the way every run does: the results (all severities), and
/// the generated objects when there is no error, each stamped with its digest. With `raw` (the
/// config as the orchestrator sent it) and a KRM orchestrator, the instance's record is among them.
pub fn generate(
    config: &Config,
    raw: Option<&Value>,
    mode: Mode,
) -> (Model, Vec<KrmResult>, Option<Vec<Generated>>) {
    let model = model::resolve(&config.instance, &config.spec);
    let mut results: Vec<KrmResult> = validate::validate(&model)
        .into_iter()
        .chain(config.notes.iter().cloned())
        .map(|r| config.result(r))
        .collect();
    if result::has_errors(&results) {
        return (model, results, None);
    }
    let mut generated = match render::render(&model) {
        Ok(generated) => generated,
        Err(e) => {
            results.push(config.result(KrmResult::error(format!("cannot render: {e}"))));
            return (model, results, None);
        }
    };
    if let (Some(raw), Mode::Krm) = (raw, mode) {
        generated.push(render::record::render(&model, raw));
    }
    for g in &mut generated {
        digest::stamp(&mut g.object);
    }
    (model, results, Some(generated))
}

/// Run the function with an already decoded config (`raw`: the config as sent, for the record).
pub fn process_config(mut items: Vec<Value>, config: &Config, raw: Option<&Value>, mode: Mode) -> Outcome {
    let (model, mut results, generated) = generate(config, raw, mode);
    // The other configs of the package: clusters of one mesh must agree (validate::control_plane).
    let others = ownership::other_configs(&items, &config.instance);
    let peers: Vec<validate::control_plane::Peer<'_>> = others
        .iter()
        .map(|other| validate::control_plane::Peer { instance: &other.instance, spec: &other.spec })
        .collect();
    results.extend(
        validate::control_plane::mesh_peers(&config.spec, &peers).into_iter().map(|r| config.result(r)),
    );
    let generated = generated.filter(|_| !result::has_errors(&results));
    let Some(mut generated) = generated else {
        return Outcome { items, results, ..Default::default() };
    };
    let placement = match mode {
        Mode::Krm => {
            let placement = match raw {
                Some(raw) => Placement::of_config(raw),
                None => Placement::new(config.file.as_ref().map(|f| f.path.as_str()).unwrap_or_default())
                    .map_err(|message| Box::new(KrmResult::error(message))),
            };
            match placement {
                Ok(placement) => Some(placement),
                Err(error) => {
                    results.push(config.result(*error));
                    return Outcome { items, results, ..Default::default() };
                }
            }
        }
        Mode::Stream => None,
    };
    let objects_of = |other: &Config, raw: &Value| generate(other, Some(raw), mode).2;
    let neighbours = ownership::neighbours(&items, config, &generated, &objects_of);
    let bases = ownership::bases(&items, &config.instance, &config.spec.replaces, &objects_of);
    // A gateway Namespace shared with other instances is generated by the first of them by name, so
    // the outcome does not depend on the order the instances run in.
    generated.retain(|g| match neighbours.yielded.get(&g.id()) {
        Some(owner) => {
            results.push(config.result(KrmResult::info(format!(
                "{} is shared with MeshIngress instance {owner:?}, which generates it (the first by name of the instances that use it)",
                g.id()
            ))));
            false
        }
        None => true,
    });
    let count = generated.len();
    let function_config = ObjectId::of(raw.unwrap_or(&Value::Null));
    let is_config = |item: &Value| {
        ownership::is_mesh_ingress(item) || (raw.is_some() && ObjectId::of(item) == function_config)
    };
    let config_field = |id: &ObjectId, field: &str| ownership::config_field(&model, id, field);
    let context = merge::Context {
        instance: &config.instance,
        placement: placement.as_ref(),
        deferrable: &neighbours.shareable,
        package: &neighbours.package,
        bases: &bases,
        is_config: &is_config,
        config_field: &config_field,
    };
    match merge::merge(&mut items, generated, &context) {
        Ok(merge::Merged { summary, notes, origins }) => {
            results.extend(notes.into_iter().map(|r| config.result(r)));
            // The summary depends only on the config and the input, so a second run reports the same.
            results.push(config.result(KrmResult::info(format!(
                "MeshIngress {:?}: {count} objects for {} gateway(s), {} certificate(s), {} route(s)",
                config.instance,
                model.gateways.len(),
                model.certificates.len(),
                model.routes.len() + usize::from(model.demo.is_some()),
            ))));
            results.extend(
                validate::general::cacerts_in_the_package(&model, &items)
                    .into_iter()
                    .map(|r| config.result(r)),
            );
            // The whole package, hand-written objects and generated ones together (it only reads).
            results.extend(crate::analyze::analyze(&items, &config.instance, &config.spec));
            let severity = config.spec.analysis.user_objects;
            results.extend(
                crate::analyze::service_ports::check(&model, &items, severity)
                    .into_iter()
                    .map(|r| config.result(r)),
            );
            Outcome { items, results, changes: summary, origins }
        }
        Err(errors) => {
            results.extend(errors.into_iter().map(|r| config.result(r)));
            unchanged(items, results)
        }
    }
}
