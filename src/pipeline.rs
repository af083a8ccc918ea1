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
use crate::krm::merge::{self, Placement};
use crate::krm::object::ObjectId;
use crate::krm::result::{self, KrmResult};
use crate::model;
use crate::render;
use crate::validate;
use serde_json::Value;
use std::collections::BTreeSet;

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
    let mut outcome = process_config(items, &config, mode);
    result::sort_results(&mut outcome.results);
    outcome
}

/// Run the function with an already decoded config.
pub fn process_config(mut items: Vec<Value>, config: &Config, mode: Mode) -> Outcome {
    let model = model::resolve(&config.instance, &config.spec);
    let mut results: Vec<KrmResult> =
        validate::validate(&model).into_iter().map(|r| config.result(r)).collect();
    if result::has_errors(&results) {
        return Outcome { items, results, ..Default::default() };
    }
    let generated = match render::render(&model) {
        Ok(generated) => generated,
        Err(e) => {
            results.push(config.result(KrmResult::error(format!("cannot render: {e}"))));
            return Outcome { items, results, ..Default::default() };
        }
    };
    let count = generated.len();
    let mut changes = merge::Summary::default();
    let mut origins: Option<Vec<Option<usize>>> = None;
    let placement = (mode == Mode::Krm).then(|| Placement { directory: config.directory() });
    let deferrable: BTreeSet<ObjectId> = generated
        .iter()
        .filter(|g| g.object.get("kind").and_then(Value::as_str) == Some("Namespace"))
        .filter(|g| crate::krm::object::name(&g.object) == config.spec.namespace)
        .map(|g| g.id())
        .collect();
    match merge::merge(&mut items, generated, &config.instance, placement.as_ref(), &deferrable) {
        Ok(merge::Merged { summary, notes, origins: merged_origins }) => {
            origins = Some(merged_origins);
            results.extend(notes.into_iter().map(|r| config.result(r)));
            // The summary depends only on the config and the input, so a second run reports the same.
            results.push(config.result(KrmResult::info(format!(
                "MeshIngress {:?}: {count} objects for {} gateway(s), {} certificate(s), {} route(s)",
                config.instance,
                model.gateways.len(),
                model.certificates.len(),
                model.routes.len() + usize::from(model.demo.is_some()),
            ))));
            changes = summary;
        }
        Err(errors) => results.extend(errors.into_iter().map(|r| config.result(r))),
    }
    match origins {
        Some(origins) => {
            // The whole package, hand-written objects and generated ones together (it only reads).
            results.extend(crate::analyze::analyze(&items, &config.instance, &config.spec));
            Outcome { items, results, changes, origins }
        }
        None => unchanged(items, results),
    }
}
