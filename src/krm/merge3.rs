//! Three-way merge of JSON objects: keep what a user changed in a generated object while taking
//! what the config changed, the way `git merge` treats a file both sides edited.
//!
//! `base` is what was generated last time, `user` is what the package holds now, `new` is what the
//! config generates now. A field only one side changed takes that side's value; a field both sides
//! changed to different values is a conflict. Mappings merge key by key. Lists whose entries are
//! mappings with a unique `name` (containers, ports, volumes) merge entry by entry, as Kubernetes'
//! strategic merge does; other lists are one value.

use crate::api::decode::join_key;
use serde_json::{Map, Value};

/// A field both sides changed differently.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    /// Field path in the object (`metadata.annotations["a/b"]`, `spec.template.spec.containers[name=x].image`).
    pub path: String,
    /// The user's value (`None`: the user removed the field).
    pub user: Option<Value>,
    /// The newly generated value (`None`: the config no longer sets it).
    pub new: Option<Value>,
}

/// Merge `user`'s changes to `base` with `new`. Conflicts come back, all of them, when both changed
/// one field differently.
pub fn merge3(base: &Value, user: &Value, new: &Value) -> Result<Value, Vec<Conflict>> {
    let mut conflicts = Vec::new();
    let merged = merge_field("", Some(base), Some(user), Some(new), &mut conflicts);
    if conflicts.is_empty() { Ok(merged.unwrap_or(Value::Null)) } else { Err(conflicts) }
}

fn merge_field(
    path: &str,
    base: Option<&Value>,
    user: Option<&Value>,
    new: Option<&Value>,
    conflicts: &mut Vec<Conflict>,
) -> Option<Value> {
    if user == base || user == new {
        return new.cloned();
    }
    if new == base {
        return user.cloned();
    }
    // All three differ.
    match (base, user, new) {
        (base, Some(Value::Object(user)), Some(Value::Object(new))) if base.is_none_or(Value::is_object) => {
            let empty = Map::new();
            let base = base.and_then(Value::as_object).unwrap_or(&empty);
            Some(Value::Object(merge_maps(path, base, user, new, conflicts)))
        }
        (Some(Value::Array(base)), Some(Value::Array(user)), Some(Value::Array(new)))
            if [base, user, new].iter().all(|list| named(list).is_some()) =>
        {
            Some(Value::Array(merge_named_lists(path, base, user, new, conflicts)))
        }
        _ => {
            conflicts.push(Conflict { path: path.to_string(), user: user.cloned(), new: new.cloned() });
            user.cloned()
        }
    }
}

fn merge_maps(
    path: &str,
    base: &Map<String, Value>,
    user: &Map<String, Value>,
    new: &Map<String, Value>,
    conflicts: &mut Vec<Conflict>,
) -> Map<String, Value> {
    let mut out = Map::new();
    // The generated key order first, then keys only the user added, in the user's order.
    let keys = new.keys().chain(user.keys().filter(|k| !new.contains_key(*k)));
    for key in keys {
        let merged = merge_field(&join_key(path, key), base.get(key), user.get(key), new.get(key), conflicts);
        if let Some(value) = merged {
            out.insert(key.clone(), value);
        }
    }
    out
}

/// The `name` of each entry, when every entry is a mapping with a distinct string `name`.
fn named(list: &[Value]) -> Option<Vec<&str>> {
    let names: Vec<&str> =
        list.iter().map(|v| v.get("name").and_then(Value::as_str)).collect::<Option<_>>()?;
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    (sorted.len() == names.len()).then_some(names)
}

fn merge_named_lists(
    path: &str,
    base: &[Value],
    user: &[Value],
    new: &[Value],
    conflicts: &mut Vec<Conflict>,
) -> Vec<Value> {
    let by_name = |list: &[Value], name: &str| -> Option<Value> {
        list.iter().find(|v| v.get("name").and_then(Value::as_str) == Some(name)).cloned()
    };
    let user_names = named(user).unwrap_or_default();
    let new_names = named(new).unwrap_or_default();
    let names = new_names.iter().chain(user_names.iter().filter(|n| !new_names.contains(n)));
    let mut out = Vec::new();
    for name in names {
        let entry_path = format!("{path}[name={name}]");
        let (b, u, n) = (by_name(base, name), by_name(user, name), by_name(new, name));
        if let Some(value) = merge_field(&entry_path, b.as_ref(), u.as_ref(), n.as_ref(), conflicts) {
            out.push(value);
        }
    }
    out
}

/// The field paths where two objects differ (leaves of mappings and named lists; other lists whole).
pub fn changed_paths(before: &Value, after: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff("", Some(before), Some(after), &mut out);
    out
}

fn diff(path: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<String>) {
    if a == b {
        return;
    }
    let empty = Map::new();
    match (a, b) {
        // A mapping added or removed as a whole is reported key by key, so each field is named.
        (Some(Value::Object(_)), Some(Value::Object(_)) | None) | (None, Some(Value::Object(_))) => {
            let a = a.and_then(Value::as_object).unwrap_or(&empty);
            let b = b.and_then(Value::as_object).unwrap_or(&empty);
            for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
                diff(&join_key(path, key), a.get(key), b.get(key), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if named(a).is_some() && named(b).is_some() => {
            let names_a = named(a).unwrap_or_default();
            let names_b = named(b).unwrap_or_default();
            for name in names_a.iter().chain(names_b.iter().filter(|n| !names_a.contains(n))) {
                let find = |list: &[Value]| {
                    list.iter().find(|v| v.get("name").and_then(Value::as_str) == Some(name)).cloned()
                };
                let entry = format!("{path}[name={name}]");
                match (find(a), find(b)) {
                    (Some(x), Some(y)) => diff(&entry, Some(&x), Some(&y), out),
                    // An entry added or removed as a whole is named as the entry.
                    _ => out.push(entry),
                }
            }
        }
        _ => out.push(path.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn takes_each_side_s_changes() {
        let base = json!({"metadata": {"name": "x", "labels": {"a": "1"}}, "spec": {"replicas": 2}});
        let user = json!({"metadata": {"name": "x", "labels": {"a": "1"}, "annotations": {"role": "r"}}, "spec": {"replicas": 2}});
        let new = json!({"metadata": {"name": "x", "labels": {"a": "2"}}, "spec": {"replicas": 3}});
        let merged = merge3(&base, &user, &new).unwrap();
        assert_eq!(
            merged,
            json!({"metadata": {"name": "x", "labels": {"a": "2"}, "annotations": {"role": "r"}}, "spec": {"replicas": 3}})
        );
        // Idempotent: merging again with the new version as base changes nothing.
        assert_eq!(merge3(&new, &merged, &new).unwrap(), merged);
    }

    #[test]
    fn both_sides_changing_a_field_is_a_conflict() {
        let base = json!({"spec": {"replicas": 2, "x": 1}});
        let user = json!({"spec": {"replicas": 4}});
        let new = json!({"spec": {"replicas": 3, "x": 2}});
        let conflicts = merge3(&base, &user, &new).unwrap_err();
        let paths: Vec<&str> = conflicts.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["spec.replicas", "spec.x"]);
        assert_eq!(conflicts[1].user, None);
    }

    #[test]
    fn named_lists_merge_entry_by_entry() {
        let base = json!({"containers": [{"name": "a", "image": "1", "env": []}]});
        let user = json!({"containers": [{"name": "a", "image": "1", "env": [{"name": "X", "value": "y"}]}, {"name": "sidecar"}]});
        let new = json!({"containers": [{"name": "a", "image": "2", "env": []}]});
        let merged = merge3(&base, &user, &new).unwrap();
        assert_eq!(
            merged,
            json!({"containers": [{"name": "a", "image": "2", "env": [{"name": "X", "value": "y"}]}, {"name": "sidecar"}]})
        );
        assert_eq!(
            changed_paths(&base, &user),
            ["containers[name=a].env[name=X]", "containers[name=sidecar]"]
        );
    }

    #[test]
    fn plain_lists_are_one_value() {
        let base = json!({"hosts": ["a"]});
        let user = json!({"hosts": ["a", "b"]});
        let new = json!({"hosts": ["c"]});
        assert_eq!(merge3(&base, &user, &new).unwrap_err()[0].path, "hosts");
        assert_eq!(changed_paths(&base, &user), ["hosts"]);
    }
}
