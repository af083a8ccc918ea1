//! Nothing a user wrote is lost, whatever the package holds and whatever happens to it: a property
//! test over simulated `kpt fn render` pipelines.
//!
//! A package holds one to three MeshIngress instances (each config in its own file, run in pipeline
//! order, with the config among the items as kpt passes it), user objects in user files (some with
//! the ownership marker copied onto them, some with a copied digest), and whatever earlier renders
//! generated. Between renders, the user acts: edits generated objects (an annotation the config
//! never sets, or a field the config does set), copies one into a file of their own (verbatim or
//! edited), moves one, renames an instance (with or without `spec.replaces`), moves an instance to
//! another gateway namespace (shared or not), deletes an instance's config, or reorders the pipeline.
//!
//! After every render of the whole pipeline (which, as kpt does, changes nothing when any function
//! fails):
//! 1. every item the user wrote (user objects, configs, marker-only objects) is still there and
//!    unchanged;
//! 2. every hand edit of a generated object is still there: the object exists and the edited field
//!    has the user's value, unless the render failed with an error result naming that object;
//! 3. rendering the same pipeline again changes nothing (a fixed point).
//!
//! `PROPTEST_CASES` gives deeper runs (see `tests/support/proptest_config.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/proptest_config.rs"]
mod proptest_config;

use mesh_ingress::commands;
use mesh_ingress::krm::io::{self, Limits};
use mesh_ingress::krm::{digest, object};
use proptest::prelude::*;
use serde_json::{Value, json};

/// One MeshIngress instance of the package: its config file is `slot<slot>.yaml`.
#[derive(Clone, Debug)]
struct Instance {
    slot: usize,
    name: String,
    namespace: String,
    replicas: u32,
    replaces: Vec<String>,
}

impl Instance {
    fn path(&self) -> String {
        format!("slot{}.yaml", self.slot)
    }

    fn config(&self) -> Value {
        json!({
            "apiVersion": "mesh-ingress.dev/v1alpha1",
            "kind": "MeshIngress",
            "metadata": {
                "name": self.name,
                "annotations": {
                    "config.kubernetes.io/local-config": "true",
                    "internal.config.kubernetes.io/path": self.path(),
                    "internal.config.kubernetes.io/index": "0",
                },
            },
            "spec": {
                "namespace": self.namespace,
                "domains": [format!("slot{}.example.com", self.slot)],
                "gateways": [{"name": format!("gw{}", self.slot), "workload": {"replicas": self.replicas}}],
                "certificates": [{"name": format!("tls{}", self.slot), "issuer": "letsencrypt-prod"}],
                "replaces": self.replaces,
            },
        })
    }
}

/// What the user does between renders.
#[derive(Clone, Debug)]
enum Action {
    /// Add an annotation the config never sets to a generated object (the `pick`-th one).
    Annotate { pick: usize, value: u8 },
    /// Change the replicas of a generated Deployment by hand (the config sets that field too).
    Scale { pick: usize, replicas: u32 },
    /// Copy a generated object into a file of the user's (changing the copy when `edit`).
    Copy { pick: usize, edit: bool },
    /// Move a generated object into a file of the user's.
    Move { pick: usize },
    /// Rename an instance; `replaces` names the old name in the new config.
    Rename { slot: usize, replaces: bool },
    /// Move an instance to another gateway namespace.
    Relocate { slot: usize, shared: bool },
    /// Change an instance's replicas in the config.
    Rescale { slot: usize, replicas: u32 },
    /// Delete an instance's config.
    Remove { slot: usize },
    /// Run the pipeline in another order.
    Reorder { rotate: usize },
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (any::<usize>(), any::<u8>()).prop_map(|(pick, value)| Action::Annotate { pick, value }),
        1 => (any::<usize>(), 1u32..6).prop_map(|(pick, replicas)| Action::Scale { pick, replicas }),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(pick, edit)| Action::Copy { pick, edit }),
        1 => any::<usize>().prop_map(|pick| Action::Move { pick }),
        1 => (0usize..3, any::<bool>()).prop_map(|(slot, replaces)| Action::Rename { slot, replaces }),
        1 => (0usize..3, any::<bool>()).prop_map(|(slot, shared)| Action::Relocate { slot, shared }),
        1 => (0usize..3, 1u32..6).prop_map(|(slot, replicas)| Action::Rescale { slot, replicas }),
        1 => (0usize..3).prop_map(|slot| Action::Remove { slot }),
        1 => (0usize..3).prop_map(|rotate| Action::Reorder { rotate }),
    ]
}

/// A user's object in a user file; `marker` copies the ownership label (of `owner`), `digest`
/// copies a digest annotation too.
fn user_object(index: usize, owner: &str, marker: bool, digest: bool) -> Value {
    let mut item = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": format!("user-{index}"),
            "namespace": "istio-ingress",
            "annotations": {"internal.config.kubernetes.io/path": format!("user/{index}.yaml")},
        },
        "data": {"note": format!("written by hand {index}")},
    });
    if marker {
        item["metadata"]["labels"] = json!({"mesh-ingress.dev/instance": owner});
    }
    if digest {
        item["metadata"]["annotations"]["mesh-ingress.dev/digest"] = json!(COPIED_DIGEST);
    }
    item
}

/// A hand edit the user made: the object, a JSON pointer and the value the user set.
#[derive(Clone, Debug)]
struct Edit {
    id: object::ObjectId,
    file: Option<String>,
    pointer: String,
    value: Value,
}

#[derive(Clone, Debug)]
struct Package {
    items: Vec<Value>,
    instances: Vec<Instance>,
    order: Vec<usize>,
    edits: Vec<Edit>,
    next_name: usize,
}

/// What one render of the pipeline produced.
struct Render {
    ok: bool,
    /// The slot of the instance whose run failed.
    failed: Option<usize>,
    /// Every error message of the run that failed.
    errors: Vec<String>,
}

fn run_once(items: &[Value], config: &Value) -> (i32, Value) {
    let list = json!({
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": items,
        "functionConfig": config,
    });
    let input = io::to_yaml(&list).unwrap();
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let code = commands::on_large_stack(|| {
        commands::krm(input.as_bytes(), &Limits::default(), &mut stdout, &mut stderr)
    })
    .unwrap()
    .unwrap();
    let out =
        io::parse_document(std::str::from_utf8(&stdout).unwrap(), "stdout", &Limits::default()).unwrap();
    (code, out)
}

impl Package {
    /// `kpt fn render`: every function in order; on a failure nothing changes.
    fn render(&mut self) -> Render {
        let mut items = self.items.clone();
        for &slot in &self.order {
            let Some(instance) = self.instances.iter().find(|i| i.slot == slot) else { continue };
            let config = items
                .iter()
                .find(|item| {
                    object::annotation(item, "internal.config.kubernetes.io/path") == Some(&instance.path())
                })
                .cloned()
                .unwrap();
            let (code, out) = run_once(&items, &config);
            if code != 0 {
                let errors = out["results"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .filter(|r| r["severity"] == "error")
                    .map(|r| r["message"].as_str().unwrap_or_default().to_string())
                    .collect();
                return Render { ok: false, failed: Some(slot), errors };
            }
            items = out["items"].as_array().cloned().unwrap_or_default();
        }
        self.items = items;
        Render { ok: true, failed: None, errors: Vec::new() }
    }

    fn set_config(&mut self, instance: &Instance) {
        let config = instance.config();
        let path = instance.path();
        match self.items.iter().position(|item| {
            object::annotation(item, "internal.config.kubernetes.io/path") == Some(path.as_str())
        }) {
            Some(index) => self.items[index] = config,
            None => self.items.push(config),
        }
    }

    /// Generated objects (of configured or former instances), by index.
    fn generated(&self) -> Vec<usize> {
        (0..self.items.len())
            .filter(|&i| {
                digest::recorded(&self.items[i]).is_some()
                    && object::kind(&self.items[i]) != "MeshIngressRecord"
                    && object::label(&self.items[i], "mesh-ingress.dev/instance").is_some()
            })
            .collect()
    }

    fn pick(&self, pick: usize, kind: Option<&str>) -> Option<usize> {
        let candidates: Vec<usize> = self
            .generated()
            .into_iter()
            .filter(|&i| kind.is_none_or(|k| object::kind(&self.items[i]) == k))
            .collect();
        (!candidates.is_empty()).then(|| candidates[pick % candidates.len()])
    }

    fn edit(&mut self, index: usize, pointer: &str, value: Value) {
        // Setting a field to the value it has is no edit.
        if self.items[index].pointer(pointer) == Some(&value) {
            return;
        }
        let item = &mut self.items[index];
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let key = key.replace("~1", "/");
        let mut target = item.pointer_mut(parent).unwrap();
        if target.is_null() {
            *target = json!({});
            target = item.pointer_mut(parent).unwrap();
        }
        target.as_object_mut().unwrap().insert(key, value.clone());
        let item = &self.items[index];
        let id = object::ObjectId::of(item);
        // A later edit of the same field replaces the earlier one.
        self.edits.retain(|e| !(e.id == id && e.pointer == pointer));
        self.edits.push(Edit {
            id,
            file: object::file_of(item).map(|(p, _)| p),
            pointer: pointer.to_string(),
            value,
        });
    }

    fn apply(&mut self, action: &Action) {
        match action {
            Action::Annotate { pick, value } => {
                if let Some(index) = self.pick(*pick, None) {
                    if self.items[index]["metadata"]["annotations"].is_null() {
                        self.items[index]["metadata"]["annotations"] = json!({});
                    }
                    self.edit(
                        index,
                        "/metadata/annotations/example.com~1note",
                        json!(format!("note {value}")),
                    );
                }
            }
            Action::Scale { pick, replicas } => {
                if let Some(index) = self.pick(*pick, Some("Deployment")) {
                    self.edit(index, "/spec/replicas", json!(replicas));
                }
            }
            Action::Copy { pick, edit } => {
                if let Some(index) = self.pick(*pick, None) {
                    let mut copy = self.items[index].clone();
                    let file = format!("user/copy-{}.yaml", self.items.len());
                    copy["metadata"]["annotations"]["internal.config.kubernetes.io/path"] = json!(file);
                    copy["metadata"]["annotations"]["internal.config.kubernetes.io/index"] = json!("0");
                    if *edit {
                        copy["metadata"]["annotations"]["example.com/copied"] = json!("yes");
                    }
                    self.items.push(copy);
                    if *edit {
                        let last = self.items.len() - 1;
                        let item = &self.items[last];
                        self.edits.push(Edit {
                            id: object::ObjectId::of(item),
                            file: Some(file),
                            pointer: "/metadata/annotations/example.com~1copied".to_string(),
                            value: json!("yes"),
                        });
                    }
                }
            }
            Action::Move { pick } => {
                if let Some(index) = self.pick(*pick, None) {
                    let file = format!("user/moved-{index}.yaml");
                    for edit in
                        self.edits.iter_mut().filter(|e| e.id == object::ObjectId::of(&self.items[index]))
                    {
                        edit.file = Some(file.clone());
                    }
                    self.items[index]["metadata"]["annotations"]["internal.config.kubernetes.io/path"] =
                        json!(file);
                    self.items[index]["metadata"]["annotations"]["internal.config.kubernetes.io/index"] =
                        json!("0");
                }
            }
            Action::Rename { slot, replaces } => {
                if let Some(position) = self.instances.iter().position(|i| i.slot == *slot) {
                    let old = self.instances[position].name.clone();
                    self.next_name += 1;
                    let instance = &mut self.instances[position];
                    instance.name = format!("i{}", self.next_name);
                    instance.replaces = if *replaces { vec![old] } else { Vec::new() };
                    let instance = instance.clone();
                    self.set_config(&instance);
                }
            }
            Action::Relocate { slot, shared } => {
                if let Some(position) = self.instances.iter().position(|i| i.slot == *slot) {
                    let instance = &mut self.instances[position];
                    instance.namespace = if *shared {
                        "istio-ingress".to_string()
                    } else {
                        format!("ingress-{}", instance.slot)
                    };
                    let instance = instance.clone();
                    self.set_config(&instance);
                }
            }
            Action::Rescale { slot, replicas } => {
                if let Some(position) = self.instances.iter().position(|i| i.slot == *slot) {
                    self.instances[position].replicas = *replicas;
                    let instance = self.instances[position].clone();
                    self.set_config(&instance);
                }
            }
            Action::Remove { slot } => {
                if self.instances.len() > 1
                    && let Some(position) = self.instances.iter().position(|i| i.slot == *slot)
                {
                    let path = self.instances.remove(position).path();
                    self.items.retain(|item| {
                        object::annotation(item, "internal.config.kubernetes.io/path") != Some(path.as_str())
                    });
                    self.order.retain(|s| s != slot);
                }
            }
            Action::Reorder { rotate } => {
                let n = self.order.len().max(1);
                self.order.rotate_left(rotate % n);
            }
        }
    }
}

/// Items the user wrote: everything without a digest annotation (user objects, marker-only objects,
/// configs) and user objects with a digest copied from elsewhere.
fn user_written(items: &[Value]) -> Vec<Value> {
    items
        .iter()
        .filter(|item| {
            object::kind(item) == "MeshIngress" || digest::recorded(item).is_none_or(|d| d == COPIED_DIGEST)
        })
        .cloned()
        .collect()
}

/// The digest the test copies onto user objects: it matches nothing.
const COPIED_DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

fn check(package: &mut Package, actions: &[Action]) -> Result<(), TestCaseError> {
    let written = user_written(&package.items);
    let first = package.render();
    prop_assert!(first.ok, "the first render fails: {:?}", first.errors);
    for item in &written {
        prop_assert!(package.items.contains(item), "the first render lost {}", object::ObjectId::of(item));
    }
    for action in actions {
        package.apply(action);
        let before = package.items.clone();
        let written = user_written(&before);
        let render = package.render();
        if !render.ok {
            // kpt changes nothing on a failure; the user sees what to fix. Undo the action's
            // consequences the way a user would: hand edits that clash are dropped (the object is
            // deleted so the generated version comes back), duplicates are removed.
            prop_assert!(!render.errors.is_empty(), "a failed render without an error result");
            recover(package, &render);
            let again = package.render();
            prop_assert!(
                again.ok,
                "still failing after the user's fix: {:?} then {:?}",
                render.errors,
                again.errors
            );
            continue;
        }
        // 1. Every item the user wrote is still there, unchanged.
        for item in &written {
            prop_assert!(
                package.items.contains(item),
                "after {action:?}, the user's item {} is gone or changed",
                object::ObjectId::of(item)
            );
        }
        // 2. Every hand edit is still there.
        for edit in &package.edits {
            let kept = package.items.iter().any(|item| {
                object::ObjectId::of(item) == edit.id && item.pointer(&edit.pointer) == Some(&edit.value)
            });
            prop_assert!(kept, "after {action:?}, the hand edit {edit:?} is lost");
        }
        // 3. A fixed point.
        let once = package.items.clone();
        let again = package.render();
        prop_assert!(again.ok, "the second render fails: {:?}", again.errors);
        prop_assert!(package.items == once, "after {action:?}, a second render changed the package");
    }
    Ok(())
}

/// What a user does after a failed render, following the messages: delete the objects the errors
/// name as edited or duplicated (taking the generated version), or name the old instance in
/// spec.replaces after a rename, or delete copies that collide.
fn recover(package: &mut Package, render: &Render) {
    let text = render.errors.join("\n");
    if text.contains("spec.replaces") {
        // Name every orphaned owner in spec.replaces of every instance that collides with it.
        let owners: Vec<String> = package
            .items
            .iter()
            .filter_map(|item| object::label(item, "mesh-ingress.dev/instance").map(str::to_string))
            .filter(|owner| !package.instances.iter().any(|i| &i.name == owner))
            .filter(|owner| text.contains(&format!("instance \"{owner}\"")))
            .collect();
        // The instance whose run failed is the one renamed from them.
        let failed = package.instances.iter().position(|i| Some(i.slot) == render.failed);
        if let Some(position) = failed {
            for owner in &owners {
                if !package.instances[position].replaces.contains(owner) {
                    package.instances[position].replaces.push(owner.clone());
                }
            }
            let instance = package.instances[position].clone();
            package.set_config(&instance);
        }
    }
    // Objects named as edited by hand, or in the package twice: delete the user's copies and edits.
    let named: Vec<usize> = (0..package.items.len())
        .filter(|&i| {
            let item = &package.items[i];
            let id = object::ObjectId::of(item).to_string();
            digest::recorded(item).is_some()
                && !digest::is_unedited(item)
                && object::kind(item) != "MeshIngress"
                && text.contains(&id)
        })
        .collect();
    for index in named.into_iter().rev() {
        let id = object::ObjectId::of(&package.items[index]);
        package.edits.retain(|e| e.id != id);
        package.items.remove(index);
    }
}

fn package() -> impl Strategy<Value = (Package, Vec<Action>)> {
    let instances = (1usize..=3, prop::collection::vec((any::<bool>(), 1u32..4), 3));
    let users = prop::collection::vec((0usize..4, any::<bool>(), any::<bool>()), 0..4);
    let actions = prop::collection::vec(action(), 1..6);
    (instances, users, actions).prop_map(|((count, knobs), users, actions)| {
        let instances: Vec<Instance> = (0..count)
            .map(|slot| Instance {
                slot,
                name: format!("i{slot}"),
                namespace: if knobs[slot].0 {
                    "istio-ingress".to_string()
                } else {
                    format!("ingress-{slot}")
                },
                replicas: knobs[slot].1,
                replaces: Vec::new(),
            })
            .collect();
        let owners = ["i0", "i1", "i2", "gone"];
        let mut items: Vec<Value> = users
            .iter()
            .enumerate()
            .map(|(index, (owner, marker, digest))| {
                user_object(index, owners[*owner], *marker, *marker && *digest)
            })
            .collect();
        items.extend(instances.iter().map(Instance::config));
        let order = (0..count).collect();
        (Package { items, instances, order, edits: Vec::new(), next_name: 10 }, actions)
    })
}

proptest! {
    #![proptest_config(proptest_config::proptest_config(24))]

    #[test]
    fn nothing_the_user_wrote_is_lost((mut package, actions) in package()) {
        check(&mut package, &actions)?;
    }
}
