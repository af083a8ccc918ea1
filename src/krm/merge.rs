//! Putting generated objects into the item list: upsert by identity, prune only what this instance
//! can prove it wrote, keep hand edits, and leave everything else exactly as it came.
//!
//! # What proves an object was written by an instance
//!
//! Both the marker label `mesh-ingress.dev/instance: <instance>` and a digest of the object's
//! content in `mesh-ingress.dev/digest` (see [`super::digest`]) that still matches. A label alone
//! (copied onto a user's own object, or left by a version of this function without digests) proves
//! nothing: such an item is the user's. An item whose digest no longer matches was generated and
//! then edited: its edits are the user's.
//!
//! # What happens to each item
//!
//! - An unedited object this instance generates again is replaced in place. The orchestrator's
//!   annotations (kpt's file path, index and id, kustomize's id) are kept, so the object stays in
//!   the file it is in and kpt copies comments back.
//! - An edited object this instance generates again is three-way merged: the previous generated
//!   version (from the instance's record of its last render), the user's version and the new one.
//!   The user's edits are kept; a field both the user and the config changed is an error naming the
//!   object, each field, and the config field that carries it.
//! - An unedited object this instance no longer generates is pruned; an edited one is kept, with a
//!   warning.
//! - Objects of an instance no config in the package defines (renamed or removed) are reported in a
//!   warning; they are taken over or pruned only when the instance is named in `spec.replaces`, and
//!   only when unedited.
//! - Anything else (the function configs, the user's objects, other instances' objects) is never
//!   changed or removed. A generated object whose identity such an item already has is an error
//!   naming both, except for identities the instance yields (the shared gateway Namespace).
//!
//! New objects are appended, placed in files under `generated/<instance>/` next to the config.

use super::digest;
use super::merge3::{self, Conflict};
use super::object::{
    self, INDEX_ANNOTATION, LEGACY_INDEX_ANNOTATION, LEGACY_PATH_ANNOTATION, ObjectId, PATH_ANNOTATION,
};
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
    /// Placement beside a config read from `config_file` (package-relative; `""` for none). A path
    /// that leaves the package (`..`, an absolute path) is refused: generated files must stay inside.
    pub fn new(config_file: &str) -> Result<Self, String> {
        Self::check(PATH_ANNOTATION, config_file)?;
        let directory = config_file.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("");
        Ok(Placement { directory: directory.trim_end_matches('/').to_string() })
    }

    /// Placement beside the config object `config`. Both of its path annotations
    /// (`internal.config.kubernetes.io/path` and the older `config.kubernetes.io/path`) must stay
    /// inside the package, whichever kpt reads: the error names the annotation and its value.
    pub fn of_config(config: &Value) -> Result<Self, Box<KrmResult>> {
        for annotation in [PATH_ANNOTATION, LEGACY_PATH_ANNOTATION] {
            if let Some(value) = object::annotation(config, annotation) {
                Self::check(annotation, value).map_err(|message| {
                    Box::new(KrmResult::error(message).at(
                        format!("metadata.annotations[{annotation:?}]"),
                        Some(Value::String(value.to_string())),
                    ))
                })?;
            }
        }
        let file = object::annotation(config, PATH_ANNOTATION)
            .or_else(|| object::annotation(config, LEGACY_PATH_ANNOTATION))
            .unwrap_or_default();
        Self::new(file).map_err(|message| Box::new(KrmResult::error(message)))
    }

    /// Refuse a config path (the value of `annotation`) that leads outside the package: absolute
    /// (`/x`, `C:\x`, `\\host\x`), or with a `..` segment (either separator).
    fn check(annotation: &str, config_file: &str) -> Result<(), String> {
        let escapes = config_file.starts_with(['/', '\\'])
            || config_file.split(['/', '\\']).any(|segment| segment == "..")
            || config_file.contains(':');
        if escapes {
            return Err(format!(
                "the config's {annotation} is {}, outside the package; generated files are written \
                 beside the config and must stay inside the package, so the config's path must be relative, without `..`",
                super::result::quote(&Value::String(config_file.to_string()))
            ));
        }
        Ok(())
    }

    /// The package-relative directory of an instance's generated files.
    pub fn instance_directory(&self, instance: &str) -> String {
        let relative = format!("generated/{instance}/");
        if self.directory.is_empty() { relative } else { format!("{}/{relative}", self.directory) }
    }

    /// The package-relative path of a generated file.
    pub fn path(&self, instance: &str, file: &str) -> String {
        format!("{}{file}", self.instance_directory(instance))
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
    /// Edited objects regenerated with the user's edits kept (three-way merge).
    pub merged: usize,
    /// Owned objects removed because the config no longer generates them.
    pub pruned: usize,
    /// Generated objects skipped because the input already holds the user's own version, or
    /// another instance generates them.
    pub deferred: usize,
    /// Objects taken over from another instance (one that no longer generates them, or one named
    /// in `spec.replaces`).
    pub adopted: usize,
}

/// What a merge produced besides the items.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Merged {
    /// Counts.
    pub summary: Summary,
    /// Info and warning results (user objects used instead of generated ones, kept edits, orphans).
    pub notes: Vec<KrmResult>,
    /// For each output item, the index of the input item it is identical to, if any.
    pub origins: Vec<Option<usize>>,
}

/// Who wrote an item, as far as can be proven.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provenance<'a> {
    /// A function config (a MeshIngress, or the config of this run): never changed or removed.
    Config,
    /// Generated by the named instance and unchanged since: its digest matches.
    Generated(&'a str),
    /// Generated by the named instance and edited since: it carries a digest that no longer matches.
    Edited(&'a str),
    /// Carries the marker of the named instance but no digest: not provably generated.
    Marked(&'a str),
    /// Anything else: the user's.
    User,
}

impl<'a> Provenance<'a> {
    /// The provenance of an item (`is_config` decides what counts as a function config).
    pub fn of(item: &'a Value, is_config: &dyn Fn(&Value) -> bool) -> Self {
        if is_config(item) {
            return Provenance::Config;
        }
        match (object::label(item, INSTANCE_LABEL), digest::recorded(item)) {
            (Some(instance), Some(_)) if digest::is_unedited(item) => Provenance::Generated(instance),
            (Some(instance), Some(_)) => Provenance::Edited(instance),
            (Some(instance), None) => Provenance::Marked(instance),
            (None, _) => Provenance::User,
        }
    }

    /// The instance named by the item's marker, if any.
    pub fn instance(self) -> Option<&'a str> {
        match self {
            Provenance::Generated(i) | Provenance::Edited(i) | Provenance::Marked(i) => Some(i),
            Provenance::Config | Provenance::User => None,
        }
    }
}

/// What the package holds besides this instance's own config and objects.
#[derive(Clone, Debug, Default)]
pub struct Package {
    /// The other instances a config in the package defines, with the identities each one generates
    /// (`None` when its config cannot be rendered, so what it generates is unknown).
    pub instances: BTreeMap<String, Option<BTreeSet<ObjectId>>>,
    /// Former instance names whose unedited objects this instance may take over or prune
    /// (`spec.replaces`).
    pub replaces: BTreeSet<String>,
}

impl Package {
    /// Whether the named instance is defined by a config in the package.
    fn configured(&self, instance: &str) -> bool {
        self.instances.contains_key(instance)
    }

    /// Whether another instance generates (or may generate) an identity.
    fn generates(&self, instance: &str, id: &ObjectId) -> bool {
        match self.instances.get(instance) {
            Some(Some(ids)) => ids.contains(id),
            // Unknown: assume it does, so its objects are never taken.
            Some(None) => true,
            None => false,
        }
    }
}

/// Everything a merge needs besides the items and the generated objects.
pub struct Context<'a> {
    /// This instance's name.
    pub instance: &'a str,
    /// Where new objects go (kpt), or `None` for a plain stream.
    pub placement: Option<&'a Placement>,
    /// Generated objects that yield to an item of the same identity, whoever wrote it (the gateway
    /// Namespace, which platform teams often create themselves).
    pub deferrable: &'a BTreeSet<ObjectId>,
    /// The rest of the package.
    pub package: &'a Package,
    /// The previous generated version of each object (the base of three-way merges), when known.
    pub bases: &'a HashMap<ObjectId, Value>,
    /// Whether an item is a function config.
    pub is_config: &'a dyn Fn(&Value) -> bool,
    /// The config field that sets a field of a generated object, for messages.
    pub config_field: &'a dyn Fn(&ObjectId, &str) -> Option<String>,
}

fn describe(item: &Value) -> String {
    let id = ObjectId::of(item);
    match object::file_of(item) {
        Some((path, _)) => format!("{id} (in {path})"),
        None => id.to_string(),
    }
}

/// How many objects a message lists before it says "and N more".
const LISTED: usize = 10;

fn list(names: &[String]) -> String {
    let mut out = names.iter().take(LISTED).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > LISTED {
        out.push_str(&format!(" and {} more", names.len() - LISTED));
    }
    out
}

/// The plan for one input item.
enum Plan {
    /// Keep as is.
    Keep,
    /// Replace with this value.
    Replace(Value),
    /// Remove.
    Drop,
}

/// Merge `generated` into `items`. On a conflict nothing changes and the conflicts are returned.
pub fn merge(
    items: &mut Vec<Value>,
    generated: Vec<Generated>,
    cx: &Context<'_>,
) -> Result<Merged, Vec<KrmResult>> {
    let mut errors = Vec::new();
    let mut notes = Vec::new();
    let mut summary = Summary::default();
    let instance = cx.instance;

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

    let provenance: Vec<Provenance<'_>> =
        items.iter().map(|item| Provenance::of(item, cx.is_config)).collect();
    let mut by_id: HashMap<ObjectId, Vec<usize>> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        by_id.entry(ObjectId::of(item)).or_default().push(index);
    }
    // Items of instances no config defines, which this instance may take over or prune.
    let replaceable = |p: Provenance<'_>| -> bool {
        p.instance()
            .is_some_and(|i| i != instance && !cx.package.configured(i) && cx.package.replaces.contains(i))
    };

    let mut plans: BTreeMap<usize, Plan> = BTreeMap::new();
    let mut new_objects: Vec<Generated> = Vec::new();
    let mut unclaimed: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut adopted_from: BTreeSet<&str> = BTreeSet::new();
    for g in generated {
        let id = g.id();
        let matches = by_id.get(&id).cloned().unwrap_or_default();
        if matches.is_empty() {
            new_objects.push(g);
            continue;
        }
        let mut fresh = g.object;
        // Classify every item of this identity.
        let mut mine_unedited = Vec::new();
        let mut mine_edited = Vec::new();
        let mut blockers = Vec::new();
        for &index in &matches {
            let item = &items[index];
            match provenance[index] {
                Provenance::Generated(owner) if owner == instance => mine_unedited.push(index),
                p @ Provenance::Edited(owner) if owner == instance || replaceable(p) => {
                    mine_edited.push(index)
                }
                // Taken over, when unedited: objects of a former instance this one replaces; objects
                // of an instance that no longer generates them; and a shared gateway Namespace left by
                // an instance no config defines any more (nobody else will ever regenerate it).
                p @ Provenance::Generated(owner)
                    if replaceable(p)
                        || (cx.package.configured(owner) && !cx.package.generates(owner, &id))
                        || (cx.deferrable.contains(&id) && !cx.package.configured(owner)) =>
                {
                    mine_unedited.push(index);
                    summary.adopted += 1;
                    adopted_from.insert(owner);
                }
                // The same content as generated (an object from a version without digests, or an
                // identical copy): replacing it loses nothing.
                _ if digest::same_content(item, &fresh) => mine_unedited.push(index),
                _ => blockers.push(index),
            }
        }
        if let Some(&other) = blockers.first() {
            let item = &items[other];
            if cx.deferrable.contains(&id) && !matches!(provenance[other], Provenance::Config) {
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
                // Our own unedited copies yield too; edited ones stay (they hold the user's edits).
                for &index in &mine_unedited {
                    if matches!(provenance[index], Provenance::Generated(owner) if owner == instance) {
                        plans.insert(index, Plan::Drop);
                        summary.pruned += 1;
                    }
                }
                continue;
            }
            match provenance[other] {
                // Every object of a renamed instance collides: one error for all of them.
                Provenance::Generated(owner) if !cx.package.configured(owner) => {
                    unclaimed.entry(owner).or_default().push(describe(item));
                }
                p => errors.push(KrmResult::error(collision_message(item, p, cx, &id))),
            }
            continue;
        }
        if mine_edited.len() + mine_unedited.len() > 1 && !mine_edited.is_empty() {
            let places: Vec<String> =
                mine_edited.iter().chain(&mine_unedited).map(|&i| describe(&items[i])).collect();
            errors.push(KrmResult::error(format!(
                "{id} is in the package {} times ({}), and at least one copy was edited by hand; keep one of them",
                places.len(),
                places.join(", ")
            )));
            continue;
        }
        if let Some(&target) = mine_edited.first() {
            let user = &items[target];
            match edited(user, &fresh, cx.bases.get(&id)) {
                Ok((merged, fields)) => {
                    let merged_changes = merged != *user;
                    let hints = hints(&id, &fields, cx);
                    notes.push(KrmResult::info(format!(
                        "kept the hand edits of {}: {}{hints}",
                        describe(user),
                        list(&fields)
                    )));
                    summary.merged += usize::from(merged_changes);
                    summary.unchanged += usize::from(!merged_changes);
                    plans.insert(target, Plan::Replace(merged));
                }
                Err(message) => errors.push(KrmResult::error(message)),
            }
            continue;
        }
        // Unedited copies: the first is replaced in place, further copies (an append-only
        // generator run, kptdev/kpt#938, or a verbatim copy) collapse into it.
        let Some((&target, extra)) = mine_unedited.split_first() else { continue };
        let previous = &items[target];
        let taken_from_other = object::label(previous, INSTANCE_LABEL).is_some_and(|owner| owner != instance);
        let keep_place = !taken_from_other
            || object::file_of(previous).is_none_or(|(path, _)| !under_other_instance(&path, cx));
        fresh = with_orchestrator_annotations(fresh, previous, keep_place);
        if !keep_place {
            // Moved out of the other instance's directory: placed like a new object.
            for &index in std::iter::once(&target).chain(extra) {
                plans.insert(index, Plan::Drop);
            }
            new_objects.push(Generated { object: fresh, file: g.file });
            continue;
        }
        if fresh == *previous {
            summary.unchanged += 1;
        } else {
            summary.updated += 1;
        }
        plans.insert(target, Plan::Replace(fresh));
        for &index in extra {
            plans.insert(index, Plan::Drop);
        }
    }

    for (owner, objects) in &unclaimed {
        errors.push(KrmResult::error(format!(
            "{} object(s) would be generated, but MeshIngress instance {owner:?} generated them, and no config in this package defines {owner:?} (renamed or removed?): {}; add {owner:?} to spec.replaces to take its objects over, or delete them",
            objects.len(),
            list(objects)
        )));
    }
    if !adopted_from.is_empty() {
        let owners: Vec<String> = adopted_from.iter().map(|o| format!("{o:?}")).collect();
        notes.push(KrmResult::info(format!(
            "took over {} unedited object(s) from MeshIngress instance(s) {}",
            summary.adopted,
            owners.join(", ")
        )));
    }

    // Items generated here before, or by a replaced instance, that are not generated any more.
    let mut kept_edits = Vec::new();
    let mut unproven = Vec::new();
    let mut orphans: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        if plans.contains_key(&index) {
            continue;
        }
        let p = provenance[index];
        match p {
            Provenance::Generated(owner) if owner == instance || replaceable(p) => {
                plans.insert(index, Plan::Drop);
                summary.pruned += 1;
            }
            Provenance::Edited(owner) if owner == instance || replaceable(p) => {
                kept_edits.push(describe(item))
            }
            Provenance::Marked(owner) if owner == instance => unproven.push(describe(item)),
            Provenance::Generated(owner) | Provenance::Edited(owner) | Provenance::Marked(owner)
                if owner != instance && !cx.package.configured(owner) =>
            {
                orphans.entry(owner).or_default().push(describe(item));
            }
            _ => {}
        }
    }
    if !kept_edits.is_empty() {
        notes.push(KrmResult::warning(format!(
            "{} object(s) generated by instance {instance:?} were edited by hand and are no longer generated, so they are kept: {}; delete them if they are not wanted",
            kept_edits.len(),
            list(&kept_edits)
        )));
    }
    if !unproven.is_empty() {
        notes.push(KrmResult::warning(format!(
            "{} object(s) carry {INSTANCE_LABEL}: {instance} but no {} annotation, so this instance cannot prove it wrote them and leaves them alone: {}; if they are old generated objects, delete them and render again",
            unproven.len(),
            digest::DIGEST_ANNOTATION,
            list(&unproven)
        )));
    }
    for (owner, objects) in orphans {
        let how = if cx.package.replaces.contains(owner) {
            "they were edited by hand or carry no digest, so they are kept; delete them if they are not wanted".to_string()
        } else {
            format!(
                "if {owner:?} was renamed or removed, add it to spec.replaces of the instance that replaces it to take over or prune the unedited ones, or delete them"
            )
        };
        notes.push(KrmResult::warning(format!(
            "{} object(s) were generated by MeshIngress instance {owner:?}, which no config in this package defines: {}; {how}",
            objects.len(),
            list(&objects)
        )));
    }

    // Files written by someone else are off limits: new objects must not land in them.
    let mut foreign_paths: BTreeSet<String> = BTreeSet::new();
    let mut used_indexes: HashMap<String, u64> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        if matches!(plans.get(&index), Some(Plan::Drop)) {
            continue;
        }
        if let Some((path, file_index)) = object::file_of(item) {
            if !matches!(provenance[index], Provenance::Generated(owner) | Provenance::Edited(owner) if owner == instance)
                && !matches!(plans.get(&index), Some(Plan::Replace(_)))
            {
                foreign_paths.insert(path.clone());
            }
            let next = used_indexes.entry(path).or_insert(0);
            *next = (*next).max(file_index + 1);
        }
    }
    let mut placed = Vec::new();
    for g in new_objects {
        let mut value = g.object;
        if let Some(placement) = cx.placement {
            let path = placement.path(instance, &g.file);
            if foreign_paths.contains(&path) {
                errors.push(KrmResult::error(format!(
                    "{path} holds objects this instance did not generate; move them elsewhere, since generated files live under {}",
                    placement.instance_directory(instance)
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
        match plans.remove(&index).unwrap_or(Plan::Keep) {
            Plan::Keep => {
                origins.push(Some(index));
                items.push(item);
            }
            Plan::Replace(fresh) => {
                origins.push((fresh == item).then_some(index));
                items.push(fresh);
            }
            Plan::Drop => {}
        }
    }
    origins.extend(placed.iter().map(|_| None));
    items.extend(placed);
    Ok(Merged { summary, notes, origins })
}

/// Whether a path lies in the generated directory of an instance other than this one.
fn under_other_instance(path: &str, cx: &Context<'_>) -> bool {
    let Some(placement) = cx.placement else { return false };
    let root = match placement.directory.as_str() {
        "" => "generated/".to_string(),
        directory => format!("{directory}/generated/"),
    };
    path.strip_prefix(root.as_str())
        .is_some_and(|rest| rest.split_once('/').is_some_and(|(owner, _)| owner != cx.instance))
}

fn collision_message(item: &Value, provenance: Provenance<'_>, cx: &Context<'_>, id: &ObjectId) -> String {
    let what = describe(item);
    match provenance {
        Provenance::Config => format!(
            "{what} would be generated, but it is a function config; rename the generated object's entry in the config"
        ),
        Provenance::Generated(owner) | Provenance::Edited(owner) | Provenance::Marked(owner)
            if cx.package.configured(owner) =>
        {
            format!(
                "{what} would be generated, but MeshIngress instance {owner:?} already generates it; two instances cannot own one object: rename it in one of them (an issuer can be shared by naming it in certificates without generating it)"
            )
        }
        Provenance::Generated(owner) => format!(
            "{what} would be generated, but MeshIngress instance {owner:?} generated it, and no config in this package defines {owner:?}; add {owner:?} to spec.replaces to take its objects over, or delete it"
        ),
        Provenance::Edited(owner) => format!(
            "{what} would be generated, but it was generated by MeshIngress instance {owner:?} (which no config in this package defines) and then edited by hand; merge your edits into this config and delete it, or rename the entry that generates {id}"
        ),
        Provenance::Marked(owner) => format!(
            "{what} would be generated, but the input already has it, marked {INSTANCE_LABEL}: {owner} without a {} annotation, so it cannot be proven generated; delete it to let this instance generate it, or remove the entry that generates it",
            digest::DIGEST_ANNOTATION
        ),
        Provenance::User => format!(
            "{what} would be generated, but the input already has it, managed by no MeshIngress; remove one of them"
        ),
    }
}

/// Three-way merge of an edited object: the merged object and the edited fields, or an error message.
fn edited(user: &Value, fresh: &Value, base: Option<&Value>) -> Result<(Value, Vec<String>), String> {
    let recorded = digest::recorded(user).unwrap_or_default();
    // The base is the previous generated version when its digest is the one the object carries;
    // when the config has not changed what it generates, the new version is that base.
    let base = match base {
        Some(base) if digest::content_digest(base) == recorded => Some(base),
        _ if digest::content_digest(fresh) == recorded => Some(fresh),
        _ => None,
    };
    let strip = |v: &Value| strip_bookkeeping(v);
    let (user_clean, fresh_clean) = (strip(user), strip(fresh));
    let Some(base) = base else {
        let fields = merge3::changed_paths(&fresh_clean, &user_clean);
        return Err(format!(
            "{} was edited by hand (it no longer matches its {} annotation) and the config now generates a different version; \
             the previous generated version is unknown (this instance has no record of its last render), so the edits cannot be merged. \
             Fields that differ from the new version: {}. Move the edits into the config, or delete the object to take the generated version",
            describe(user),
            digest::DIGEST_ANNOTATION,
            list(&fields)
        ));
    };
    let base_clean = strip(base);
    let fields = merge3::changed_paths(&base_clean, &user_clean);
    match merge3::merge3(&base_clean, &user_clean, &fresh_clean) {
        Ok(mut merged) => {
            restore_bookkeeping(&mut merged, user, fresh);
            Ok((merged, fields))
        }
        Err(conflicts) => Err(conflict_message(user, &conflicts)),
    }
}

fn conflict_message(user: &Value, conflicts: &[Conflict]) -> String {
    let fields: Vec<String> = conflicts
        .iter()
        .map(|c| {
            let side = |v: &Option<Value>| {
                v.as_ref().map(super::result::quote).unwrap_or_else(|| "(removed)".to_string())
            };
            format!("{} (edited: {}; generated now: {})", c.path, side(&c.user), side(&c.new))
        })
        .collect();
    format!(
        "{} was edited by hand, and the config now changes the same field(s): {}. Move the edit into the config, or delete the object to take the generated version",
        describe(user),
        list(&fields)
    )
}

/// The object without the digest and orchestrator annotations (not part of what anyone edits).
fn strip_bookkeeping(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(annotations) =
        object.get_mut("metadata").and_then(|m| m.get_mut("annotations")).and_then(Value::as_object_mut)
    {
        annotations.retain(|k, _| k != digest::DIGEST_ANNOTATION && !object::is_orchestrator_annotation(k));
        if annotations.is_empty()
            && let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut)
        {
            metadata.remove("annotations");
        }
    }
    object
}

/// Put back the new digest and the user's orchestrator annotations.
fn restore_bookkeeping(merged: &mut Value, user: &Value, fresh: &Value) {
    let mut entries: Vec<(String, String)> = object::annotations(user)
        .map(|map| {
            map.iter()
                .filter(|(k, _)| object::is_orchestrator_annotation(k))
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    if let Some(d) = digest::recorded(fresh) {
        entries.push((digest::DIGEST_ANNOTATION.to_string(), d.to_string()));
    }
    set_annotations(merged, entries);
}

fn hints(id: &ObjectId, fields: &[String], cx: &Context<'_>) -> String {
    let mut carried: Vec<String> = fields.iter().filter_map(|f| (cx.config_field)(id, f)).collect();
    carried.sort();
    carried.dedup();
    if carried.is_empty() {
        String::new()
    } else {
        format!(" (the config can carry them: {})", carried.join(", "))
    }
}

/// The regenerated object, with the orchestrator's annotations of its previous version (without its
/// file placement when `keep_place` is false).
fn with_orchestrator_annotations(fresh: Value, previous: &Value, keep_place: bool) -> Value {
    let placement = [PATH_ANNOTATION, INDEX_ANNOTATION, LEGACY_PATH_ANNOTATION, LEGACY_INDEX_ANNOTATION];
    let kept: Vec<(String, String)> = object::annotations(previous)
        .map(|map| {
            map.iter()
                .filter(|(k, _)| object::is_orchestrator_annotation(k))
                .filter(|(k, _)| keep_place || !placement.contains(&k.as_str()))
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let mut fresh = fresh;
    set_annotations(&mut fresh, kept);
    fresh
}

/// Add annotations and keep the map sorted, so the result does not depend on insertion order.
pub fn set_annotations(object: &mut Value, entries: impl IntoIterator<Item = (String, String)>) {
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

    fn object(kind: &str, name: &str, instance: Option<&str>, data: &str) -> Value {
        let mut labels = Map::new();
        if let Some(instance) = instance {
            labels.insert(INSTANCE_LABEL.to_string(), json!(instance));
        }
        json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "ns", "labels": labels}, "data": {"k": data}})
    }

    fn generated(kind: &str, name: &str, data: &str) -> Generated {
        let mut object = object(kind, name, Some("a"), data);
        digest::stamp(&mut object);
        Generated { object, file: "f.yaml".to_string() }
    }

    fn at(mut item: Value, path: &str) -> Value {
        set_annotations(&mut item, [(PATH_ANNOTATION.to_string(), path.to_string())]);
        item
    }

    struct Fixture {
        placement: Placement,
        deferrable: BTreeSet<ObjectId>,
        package: Package,
        bases: HashMap<ObjectId, Value>,
    }

    impl Fixture {
        fn new() -> Self {
            Fixture {
                placement: Placement::new("").unwrap(),
                deferrable: BTreeSet::new(),
                package: Package::default(),
                bases: HashMap::new(),
            }
        }

        fn run(&self, items: &mut Vec<Value>, generated: Vec<Generated>) -> Result<Merged, Vec<KrmResult>> {
            let is_config = |item: &Value| object::kind(item) == "MeshIngress";
            let config_field = |_: &ObjectId, field: &str| {
                (field == "metadata.annotations.role").then(|| "spec.role".to_string())
            };
            let cx = Context {
                instance: "a",
                placement: Some(&self.placement),
                deferrable: &self.deferrable,
                package: &self.package,
                bases: &self.bases,
                is_config: &is_config,
                config_field: &config_field,
            };
            merge(items, generated, &cx)
        }
    }

    #[test]
    fn appends_then_replaces_in_place_and_prunes() {
        let user = at(object("ConfigMap", "user", None, "u"), "user.yaml");
        let mut items = vec![user.clone()];
        let fx = Fixture::new();
        let Merged { summary, .. } = fx
            .run(&mut items, vec![generated("ConfigMap", "x", "1"), generated("ConfigMap", "y", "1")])
            .unwrap();
        assert_eq!(summary.created, 2);
        assert_eq!(items[0], user);
        assert_eq!(object::file_of(&items[1]), Some(("generated/a/f.yaml".to_string(), 0)));
        assert_eq!(object::file_of(&items[2]), Some(("generated/a/f.yaml".to_string(), 1)));

        // Re-render: x unchanged, y dropped, z new. x keeps its place and annotations.
        let before_x = items[1].clone();
        let Merged { summary, .. } = fx
            .run(&mut items, vec![generated("ConfigMap", "x", "1"), generated("ConfigMap", "z", "2")])
            .unwrap();
        assert_eq!((summary.unchanged, summary.pruned, summary.created), (1, 1, 1));
        assert_eq!(items[1], before_x);
        assert_eq!(object::name(&items[2]), "z");
        assert_eq!(object::file_of(&items[2]), Some(("generated/a/f.yaml".to_string(), 1)));
    }

    #[test]
    fn fixed_point() {
        let mut items = vec![];
        let fx = Fixture::new();
        fx.run(&mut items, vec![generated("ConfigMap", "x", "1")]).unwrap();
        let once = items.clone();
        fx.run(&mut items, vec![generated("ConfigMap", "x", "1")]).unwrap();
        assert_eq!(items, once);
    }

    #[test]
    fn a_copied_label_is_no_proof_and_configs_are_never_touched() {
        let copied = at(object("ConfigMap", "mine", Some("a"), "u"), "user.yaml");
        let config = json!({"apiVersion": "mesh-ingress.dev/v1alpha1", "kind": "MeshIngress", "metadata": {"name": "a", "labels": {INSTANCE_LABEL: "a"}}});
        let mut items = vec![copied.clone(), config.clone()];
        let merged = Fixture::new().run(&mut items, vec![]).unwrap();
        assert_eq!(items, vec![copied, config]);
        assert!(merged.notes[0].message.contains("cannot prove it wrote them"), "{:?}", merged.notes);
    }

    #[test]
    fn refuses_to_take_over_foreign_objects_or_files() {
        let foreign = object("ConfigMap", "x", None, "u");
        let mut items = vec![foreign.clone()];
        let errors = Fixture::new().run(&mut items, vec![generated("ConfigMap", "x", "1")]).unwrap_err();
        assert!(errors[0].message.contains("managed by no MeshIngress"), "{errors:?}");
        assert_eq!(items, vec![foreign]);

        let squatter = at(object("Secret", "s", None, "u"), "generated/a/f.yaml");
        let mut items = vec![squatter];
        let errors = Fixture::new().run(&mut items, vec![generated("ConfigMap", "x", "1")]).unwrap_err();
        assert!(errors[0].message.contains("did not generate"), "{errors:?}");
    }

    #[test]
    fn edits_are_merged_with_the_base_or_refused_with_each_field() {
        let mut fx = Fixture::new();
        let base = generated("ConfigMap", "x", "1");
        fx.bases.insert(base.id(), base.object.clone());
        let mut edited = at(base.object.clone(), "generated/a/f.yaml");
        object::annotations_mut(&mut edited).unwrap().insert("role".into(), json!("r"));

        // The config changes another field: the edit is kept.
        let mut items = vec![edited.clone()];
        let merged = fx.run(&mut items, vec![generated("ConfigMap", "x", "2")]).unwrap();
        assert_eq!(items[0]["data"]["k"], "2");
        assert_eq!(items[0]["metadata"]["annotations"]["role"], "r");
        assert!(merged.notes[0].message.contains("spec.role"), "{:?}", merged.notes);
        // And it stays kept: the merged object is a fixed point against the new base.
        let new_base = generated("ConfigMap", "x", "2");
        fx.bases.insert(new_base.id(), new_base.object.clone());
        let once = items.clone();
        fx.run(&mut items, vec![generated("ConfigMap", "x", "2")]).unwrap();
        assert_eq!(items, once);

        // Both change one field: an error naming it, and nothing changes.
        let mut conflicting = edited.clone();
        conflicting["data"]["k"] = json!("mine");
        fx.bases.insert(base.id(), base.object.clone());
        let mut items = vec![conflicting.clone()];
        let errors = fx.run(&mut items, vec![generated("ConfigMap", "x", "2")]).unwrap_err();
        assert!(errors[0].message.contains("data.k (edited: \"mine\"; generated now: \"2\")"), "{errors:?}");
        assert_eq!(items, vec![conflicting]);

        // An edited object the config no longer generates is kept.
        let mut items = vec![edited.clone()];
        let merged = fx.run(&mut items, vec![]).unwrap();
        assert_eq!(items, vec![edited]);
        assert!(merged.notes[0].message.contains("are kept"), "{:?}", merged.notes);
    }

    #[test]
    fn an_edited_copy_beside_the_original_is_an_error() {
        let original = at(generated("ConfigMap", "x", "1").object, "generated/a/f.yaml");
        let mut copy = at(original.clone(), "mine.yaml");
        copy["data"]["k"] = json!("mine");
        let mut items = vec![original, copy];
        let before = items.clone();
        let errors = Fixture::new().run(&mut items, vec![generated("ConfigMap", "x", "1")]).unwrap_err();
        assert!(errors[0].message.contains("2 times"), "{errors:?}");
        assert_eq!(items, before);
    }

    #[test]
    fn orphans_are_reported_and_taken_over_only_when_replaced() {
        let mut old = generated("ConfigMap", "x", "1").object;
        old["metadata"]["labels"][INSTANCE_LABEL] = json!("old");
        digest::stamp(&mut old);
        let mut gone = generated("ConfigMap", "gone", "1").object;
        gone["metadata"]["labels"][INSTANCE_LABEL] = json!("old");
        digest::stamp(&mut gone);

        let mut items = vec![gone.clone()];
        let merged = Fixture::new().run(&mut items, vec![]).unwrap();
        assert_eq!(items, vec![gone.clone()]);
        assert!(merged.notes[0].message.contains("no config in this package defines"), "{:?}", merged.notes);

        let mut items = vec![old.clone()];
        let errors = Fixture::new().run(&mut items, vec![generated("ConfigMap", "x", "1")]).unwrap_err();
        assert!(errors[0].message.contains("spec.replaces"), "{errors:?}");

        let mut fx = Fixture::new();
        fx.package.replaces.insert("old".to_string());
        let mut items = vec![old, gone];
        let merged = fx.run(&mut items, vec![generated("ConfigMap", "x", "1")]).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(object::label(&items[0], INSTANCE_LABEL), Some("a"));
        assert_eq!((merged.summary.adopted, merged.summary.pruned), (1, 1));
    }

    #[test]
    fn objects_another_instance_stopped_generating_are_taken_over() {
        let mut theirs = at(generated("Namespace", "shared", "1").object, "generated/b/ns.yaml");
        theirs["metadata"]["labels"][INSTANCE_LABEL] = json!("b");
        digest::stamp(&mut theirs);
        let mut fx = Fixture::new();
        fx.package.instances.insert("b".to_string(), Some(BTreeSet::new()));
        let mut items = vec![theirs];
        fx.run(&mut items, vec![generated("Namespace", "shared", "1")]).unwrap();
        assert_eq!(object::label(&items[0], INSTANCE_LABEL), Some("a"));
        // Moved out of b's directory into a's.
        assert_eq!(object::file_of(&items[0]).unwrap().0, "generated/a/f.yaml");

        // While b still generates it, it is b's.
        fx.package
            .instances
            .insert("b".to_string(), Some(BTreeSet::from([generated("Namespace", "shared", "1").id()])));
        let mut theirs = items[0].clone();
        theirs["metadata"]["labels"][INSTANCE_LABEL] = json!("b");
        digest::stamp(&mut theirs);
        let mut items = vec![theirs];
        let errors = fx.run(&mut items, vec![generated("Namespace", "shared", "1")]).unwrap_err();
        assert!(errors[0].message.contains("already generates it"), "{errors:?}");
    }

    #[test]
    fn paths_outside_the_package_are_refused() {
        assert!(Placement::new("../x.yaml").is_err());
        assert!(Placement::new("/abs/x.yaml").is_err());
        assert!(Placement::new("a/../../b.yaml").is_err());
        assert!(Placement::new("a\\..\\..\\b.yaml").is_err());
        assert!(Placement::new("C:/b.yaml").is_err());
        let config =
            |annotations: Value| json!({"kind": "MeshIngress", "metadata": {"annotations": annotations}});
        let error = Placement::of_config(&config(
            json!({PATH_ANNOTATION: "a.yaml", LEGACY_PATH_ANNOTATION: "../a.yaml"}),
        ))
        .unwrap_err();
        assert!(error.message.starts_with("the config's config.kubernetes.io/path is \"../a.yaml\""));
        assert_eq!(error.field.unwrap().path, "metadata.annotations[\"config.kubernetes.io/path\"]");
        let error = Placement::of_config(&config(json!({PATH_ANNOTATION: "/a.yaml"}))).unwrap_err();
        assert_eq!(error.field.unwrap().path, "metadata.annotations[\"internal.config.kubernetes.io/path\"]");
        assert_eq!(
            Placement::of_config(&config(json!({LEGACY_PATH_ANNOTATION: "sub/m.yaml"}))).unwrap().directory,
            "sub"
        );
        assert_eq!(
            Placement::new("sub/dir/m.yaml").unwrap().path("i", "f.yaml"),
            "sub/dir/generated/i/f.yaml"
        );
        assert_eq!(Placement::new("m.yaml").unwrap().path("i", "f.yaml"), "generated/i/f.yaml");
    }
}
