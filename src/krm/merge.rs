//! Putting generated objects into the item list: upsert by identity, prune what this instance no
//! longer generates, and leave everything else exactly as it came.
//!
//! Ownership is the `mesh-ingress.dev/instance` label. An item owned by this instance is replaced
//! in place by its regenerated version, keeping the orchestrator's annotations (kpt's file path,
//! index and id, kustomize's id) so the object stays in the file a user moved it to and kpt can copy
//! comments back. Owned items not generated any more are removed (kpt then deletes emptied files).
//! New objects are appended, placed in files under `generated/<instance>/` next to the config.

use super::object::{self, INDEX_ANNOTATION, ObjectId, PATH_ANNOTATION};
use super::result::KrmResult;
use crate::render::Generated;
use crate::render::labels::INSTANCE_LABEL;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Where new objects are written, for orchestrators that write files (kpt).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Directory of the config file, relative to the package (`""` for the root).
    pub directory: String,
}

impl Placement {
    /// The package-relative path of a generated file.
    pub fn path(&self, instance: &str, file: &str) -> String {
        let relative = format!("generated/{instance}/{file}");
        if self.directory.is_empty() { relative } else { format!("{}/{relative}", self.directory) }
    }
}

/// Counts of what a merge did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Objects added.
    pub created: usize,
    /// Owned objects whose content changed.
    pub updated: usize,
    /// Owned objects regenerated identically.
    pub unchanged: usize,
    /// Owned objects removed because the config no longer generates them.
    pub pruned: usize,
    /// Generated objects skipped because the input already holds the user's own version.
    pub deferred: usize,
}

/// What a merge produced besides the items.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Merged {
    /// Counts.
    pub summary: Summary,
    /// Info results (user objects used instead of generated ones).
    pub notes: Vec<KrmResult>,
    /// For each output item, the index of the input item it is identical to, if any.
    pub origins: Vec<Option<usize>>,
}

/// Whether an item is owned by `instance`.
pub fn owned_by(item: &Value, instance: &str) -> bool {
    object::label(item, INSTANCE_LABEL) == Some(instance)
}

fn describe(item: &Value) -> String {
    let id = ObjectId::of(item);
    match object::file_of(item) {
        Some((path, _)) => format!("{id} (in {path})"),
        None => id.to_string(),
    }
}

/// Merge `generated` into `items`. On a conflict nothing changes and the conflicts are returned.
/// `deferrable` names generated objects that yield to a user's own object of the same identity (the
/// gateway Namespace, which platform teams often create themselves).
pub fn merge(
    items: &mut Vec<Value>,
    generated: Vec<Generated>,
    instance: &str,
    placement: Option<&Placement>,
    deferrable: &BTreeSet<ObjectId>,
) -> Result<Merged, Vec<KrmResult>> {
    let mut errors = Vec::new();
    let mut notes = Vec::new();
    let mut summary = Summary::default();

    let mut seen: HashMap<ObjectId, usize> = HashMap::new();
    for (index, g) in generated.iter().enumerate() {
        if let Some(first) = seen.insert(g.id(), index) {
            errors.push(KrmResult::error(format!(
                "the config generates {} twice (objects {} and {}); rename one of the entries that produce it",
                g.id(),
                first,
                index
            )));
        }
    }

    // Index the input: which items share an identity with a generated object.
    let mut by_id: HashMap<ObjectId, Vec<usize>> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        by_id.entry(ObjectId::of(item)).or_default().push(index);
    }

    let mut replacement: BTreeMap<usize, Value> = BTreeMap::new();
    let mut drop: BTreeSet<usize> = BTreeSet::new();
    let mut new_objects: Vec<Generated> = Vec::new();
    for g in generated {
        let id = g.id();
        let matches = by_id.get(&id).cloned().unwrap_or_default();
        let (mine, others): (Vec<usize>, Vec<usize>) =
            matches.iter().partition(|&&i| owned_by(&items[i], instance));
        if let Some(&other) = others.first() {
            let item = &items[other];
            // The gateway Namespace yields to one that already exists, whoever made it: a platform
            // team's, or another instance's that shares the gateway namespace.
            if deferrable.contains(&id) {
                summary.deferred += 1;
                if object::label(item, "istio-injection") == Some("disabled") {
                    errors.push(KrmResult::error(format!(
                        "{} is labelled istio-injection=disabled, so the gateway pods would never be injected and keep `image: auto`; remove the label",
                        describe(item)
                    )).code("IST0146"));
                } else {
                    notes.push(KrmResult::info(format!(
                        "{} comes from the input; it is used as is and not generated",
                        describe(item)
                    )));
                }
                drop.extend(mine.iter().copied());
                continue;
            }
            let message = match object::label(item, INSTANCE_LABEL) {
                Some(owner) => format!(
                    "{} would be generated, but MeshIngress instance {owner:?} already generates it; two instances cannot own one object: rename it in one of them (an issuer can be shared by naming it in certificates without generating it)",
                    describe(item)
                ),
                None => format!(
                    "{} would be generated, but the input already has it, managed by no MeshIngress; remove one of them",
                    describe(item)
                ),
            };
            errors.push(KrmResult::error(message));
            continue;
        }
        match mine.split_first() {
            Some((&target, extra)) => {
                let fresh = with_orchestrator_annotations(g.object, &items[target]);
                if fresh == items[target] {
                    summary.unchanged += 1;
                } else {
                    summary.updated += 1;
                }
                replacement.insert(target, fresh);
                // Copies of one object (from an append-only generator run, kptdev/kpt#938) collapse to one.
                drop.extend(extra.iter().copied());
            }
            None => new_objects.push(g),
        }
    }

    for (index, item) in items.iter().enumerate() {
        if owned_by(item, instance) && !replacement.contains_key(&index) && !drop.contains(&index) {
            drop.insert(index);
            summary.pruned += 1;
        }
    }

    // Files written by someone else are off limits: new objects must not land in them.
    let mut foreign_paths: BTreeSet<String> = BTreeSet::new();
    let mut used_indexes: HashMap<String, u64> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        if drop.contains(&index) {
            continue;
        }
        if let Some((path, file_index)) = object::file_of(item) {
            if !owned_by(item, instance) {
                foreign_paths.insert(path.clone());
            }
            let next = used_indexes.entry(path).or_insert(0);
            *next = (*next).max(file_index + 1);
        }
    }
    let mut placed = Vec::new();
    for g in new_objects {
        let mut value = g.object;
        if let Some(placement) = placement {
            let path = placement.path(instance, &g.file);
            if foreign_paths.contains(&path) {
                errors.push(KrmResult::error(format!(
                    "{path} holds objects this instance did not generate; move them elsewhere, since generated files live under {}",
                    placement.path(instance, "")
                )));
                continue;
            }
            let next = used_indexes.entry(path.clone()).or_insert(0);
            set_annotations(
                &mut value,
                [(PATH_ANNOTATION.to_string(), path), (INDEX_ANNOTATION.to_string(), next.to_string())],
            );
            *next += 1;
        }
        summary.created += 1;
        placed.push(value);
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    let old = std::mem::take(items);
    let mut origins = Vec::with_capacity(old.len() + placed.len());
    for (index, item) in old.into_iter().enumerate() {
        if let Some(fresh) = replacement.remove(&index) {
            origins.push((fresh == item).then_some(index));
            items.push(fresh);
        } else if !drop.contains(&index) {
            origins.push(Some(index));
            items.push(item);
        }
    }
    origins.extend(placed.iter().map(|_| None));
    items.extend(placed);
    Ok(Merged { summary, notes, origins })
}

/// The regenerated object, with the orchestrator's annotations of its previous version.
fn with_orchestrator_annotations(fresh: Value, previous: &Value) -> Value {
    let kept: Vec<(String, String)> = object::annotations(previous)
        .map(|map| {
            map.iter()
                .filter(|(k, _)| object::is_orchestrator_annotation(k))
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let mut fresh = fresh;
    set_annotations(&mut fresh, kept);
    fresh
}

/// Add annotations and keep the map sorted, so the result does not depend on insertion order.
fn set_annotations(object: &mut Value, entries: impl IntoIterator<Item = (String, String)>) {
    let mut entries = entries.into_iter().peekable();
    if entries.peek().is_none() {
        return;
    }
    let Some(annotations) = object::annotations_mut(object) else {
        return;
    };
    for (key, value) in entries {
        annotations.insert(key, Value::String(value));
    }
    let mut sorted: Vec<(String, Value)> = std::mem::take(annotations).into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    *annotations = sorted.into_iter().collect::<Map<String, Value>>();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn generated(kind: &str, name: &str, data: &str) -> Generated {
        Generated {
            object: json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "ns", "labels": {INSTANCE_LABEL: "a"}}, "data": {"k": data}}),
            file: "f.yaml".to_string(),
        }
    }

    fn none() -> BTreeSet<ObjectId> {
        BTreeSet::new()
    }

    #[test]
    fn appends_then_replaces_in_place_and_prunes() {
        let user = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "user", "annotations": {"internal.config.kubernetes.io/path": "user.yaml"}}});
        let mut items = vec![user.clone()];
        let placement = Placement { directory: String::new() };
        let Merged { summary, .. } = merge(
            &mut items,
            vec![generated("ConfigMap", "x", "1"), generated("ConfigMap", "y", "1")],
            "a",
            Some(&placement),
            &none(),
        )
        .unwrap();
        assert_eq!(summary.created, 2);
        assert_eq!(items[0], user);
        assert_eq!(object::file_of(&items[1]), Some(("generated/a/f.yaml".to_string(), 0)));
        assert_eq!(object::file_of(&items[2]), Some(("generated/a/f.yaml".to_string(), 1)));

        // Re-render: x unchanged, y dropped, z new. x keeps its place and annotations.
        let before_x = items[1].clone();
        let Merged { summary, .. } = merge(
            &mut items,
            vec![generated("ConfigMap", "x", "1"), generated("ConfigMap", "z", "2")],
            "a",
            Some(&placement),
            &none(),
        )
        .unwrap();
        assert_eq!((summary.unchanged, summary.pruned, summary.created), (1, 1, 1));
        assert_eq!(items[1], before_x);
        assert_eq!(object::name(&items[2]), "z");
        // The pruned object's index is free again; the kept one's is not.
        assert_eq!(object::file_of(&items[2]), Some(("generated/a/f.yaml".to_string(), 1)));
    }

    #[test]
    fn fixed_point() {
        let mut items = vec![];
        let placement = Placement { directory: "pkg".to_string() };
        merge(&mut items, vec![generated("ConfigMap", "x", "1")], "a", Some(&placement), &none()).unwrap();
        let once = items.clone();
        merge(&mut items, vec![generated("ConfigMap", "x", "1")], "a", Some(&placement), &none()).unwrap();
        assert_eq!(items, once);
    }

    #[test]
    fn refuses_to_take_over_foreign_objects_or_files() {
        let foreign =
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "ns"}});
        let mut items = vec![foreign.clone()];
        let errors =
            merge(&mut items, vec![generated("ConfigMap", "x", "1")], "a", None, &none()).unwrap_err();
        assert!(errors[0].message.contains("managed by no MeshIngress"), "{errors:?}");
        assert_eq!(items, vec![foreign]);

        let squatter = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "annotations": {"internal.config.kubernetes.io/path": "generated/a/f.yaml"}}});
        let mut items = vec![squatter];
        let placement = Placement { directory: String::new() };
        let errors =
            merge(&mut items, vec![generated("ConfigMap", "x", "1")], "a", Some(&placement), &none())
                .unwrap_err();
        assert!(errors[0].message.contains("did not generate"), "{errors:?}");
    }

    #[test]
    fn other_instances_are_left_alone() {
        let theirs = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "t", "labels": {INSTANCE_LABEL: "b"}}});
        let mut items = vec![theirs.clone()];
        merge(&mut items, vec![], "a", None, &none()).unwrap();
        assert_eq!(items, vec![theirs]);
    }
}
