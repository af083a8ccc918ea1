//! A local emulation of Argo CD's config management plugin (CMP) sidecar, `argocd-cmp-server`, and
//! of the repo-server code around it, so a test can run a `plugin.yaml` the way Argo CD would and
//! see the objects or the error text a user would see in the UI.
//!
//! It follows `../shared/research/argocd-cmp-contract.md` (§6, "Design of a local CMP harness"),
//! which cites the Argo CD sources it mirrors:
//!
//! - [`PluginConfig::load`]: `ReadPluginConfig` / `ValidatePluginConfig`
//!   (`cmpserver/plugin/config.go`), YAML 1.1 typing, first document only, keys matched like Go's
//!   `encoding/json` (case-insensitively), plus a strict schema check Argo CD does not do.
//! - Source overrides kept in Git: `.argocd-source.yaml` and `.argocd-source-<app>.yaml` in the
//!   app directory are merged into `spec.source.plugin` (`mergeSourceParameters`).
//! - Plugin resolution: `DetectConfigManagementPlugin` / `cmpSupports`
//!   (`util/app/discovery/discovery.go`): a named plugin must be `name[-version]`, and its
//!   discovery must still match.
//! - The work directory: the repository tarball (`util/io/files/tar.go`) untarred into
//!   `<tmp>/_cmp_server/<uuid>/` with modes reset to 0644/0755 unless `preserveFileMode`.
//! - Discovery: `matchRepository` (`cmpserver/plugin/plugin.go`): Go `filepath.Glob` for
//!   `fileName`, a `**` glob for `find.glob`, or `find.command`.
//! - The environment: `newEnv`, `getPluginEnvs`, `getPluginParamEnvs`
//!   (`reposerver/repository/repository.go`), `Env.Envsubst`, `ApplicationSourcePluginParameters.
//!   Environ` (`pkg/apis/application/v1alpha1/types.go`) and the sidecar's `environ()`, with the
//!   version differences of [`Profile`].
//! - Commands: `runCommand` (direct exec, no shell; app dir as cwd; stdin `/dev/null`; own process
//!   group; one deadline; SIGKILL of the leader, SIGTERM, 5 s, SIGKILL of the group) and `CmdError`.
//! - Output: `kube.SplitYAMLToString` in the sidecar and `kube.SplitYAML` in the repo-server
//!   (gitops-engine), list expansion, and the error wrapping of both.
//!
//! On top of what Argo CD checks, [`generate`] applies strict checks (see [`Options`]) that catch
//! output Argo CD would accept but that fails later or silently (no objects, duplicates, no name).
//!
//! What it cannot emulate: the real gRPC transport and its 100 MiB message limit (a size budget
//! stands in), go-yaml's exact parse-error texts (serde-saphyr's are used), apimachinery v0.36's
//! JSON-to-YAML fallback, Go's random map order for `PARAM_<map>_<key>` (sorted here), the request
//! context's cancellation after a successful run (which TERMs leftover background processes),
//! `provideGitCreds`, dynamic parameter announcements, and the sidecar container itself (image,
//! uid 999, read-only root file system): a host process with a chosen PATH and HOME stands in.
//! The repository is the working tree (minus the tar exclusions), not a Git checkout, so untracked
//! files travel too; `find.glob` only approximates `mattn/go-zglob`; Go's `unicode.IsSpace` and
//! `IsPrint` are approximated by Rust's character classes.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mesh_ingress::krm::io::{self as krm_io, Limits};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Where the repo-server and the sidecars keep the plugin sockets (`ARGOCD_PLUGINSOCKFILEPATH`).
pub const PLUGIN_SOCKET_DIR: &str = "/home/argocd/cmp-server/plugins";
/// The default request deadline (the controller's and API server's repo-server timeout).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// `cmpTimeoutBuffer`: the sidecar stops this long before the request deadline.
pub const CMP_TIMEOUT_BUFFER: Duration = Duration::from_millis(100);
/// How long a timed-out command's process group has between SIGTERM and SIGKILL (v2.9+).
pub const CLEANUP_TIMEOUT: Duration = Duration::from_secs(5);
/// The default output budget of the strict check (Argo CD's gRPC limit is 100 MiB).
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 16 * 1024 * 1024;
/// The tar exclusions used by default: `.git` and `target` (Go `filepath.Match` on the relative path).
pub const DEFAULT_TAR_EXCLUSIONS: &[&str] = &[".git", "target"];
/// A fixed commit SHA used as the resolved revision when an [`App`] names none.
pub const DEFAULT_REVISION: &str = "f913b6cbf58aa5ae5ca1f8a2b149477aebcbd9d8";

// ------------------------------------------------------------------------------------------------
// plugin.yaml
// ------------------------------------------------------------------------------------------------

/// A command of `plugin.yaml` (`init`, `generate`, `discover.find`, `parameters.dynamic`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PluginCommand {
    /// `command`: the program and its first arguments.
    pub command: Vec<String>,
    /// `args`: appended to `command`.
    pub args: Vec<String>,
}

impl PluginCommand {
    /// The argument vector Argo CD executes: `command + args`.
    pub fn argv(&self) -> Vec<String> {
        self.command.iter().chain(self.args.iter()).cloned().collect()
    }

    /// Whether the command is configured (`len(command) > 0`).
    pub fn is_set(&self) -> bool {
        !self.command.is_empty()
    }
}

/// `spec.discover` of `plugin.yaml`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discover {
    /// `fileName`: a Go `filepath.Glob` pattern relative to the app directory.
    pub file_name: String,
    /// `find.glob`: a `**`-capable glob relative to the app directory.
    pub glob: String,
    /// `find.command` / `find.args`.
    pub find: PluginCommand,
}

impl Discover {
    /// `Discover.IsDefined()`.
    pub fn is_defined(&self) -> bool {
        !self.file_name.is_empty() || !self.glob.is_empty() || self.find.is_set()
    }
}

/// A `ConfigManagementPlugin` as the cmp-server reads it.
#[derive(Clone, Debug)]
pub struct PluginConfig {
    /// The first YAML document of the file, as JSON.
    pub raw: Value,
    /// `metadata.name`.
    pub name: String,
    /// `spec.version`.
    pub version: String,
    /// `spec.init`.
    pub init: PluginCommand,
    /// `spec.generate`.
    pub generate: PluginCommand,
    /// `spec.discover`.
    pub discover: Discover,
    /// `spec.parameters.static`, as written.
    pub static_parameters: Vec<Value>,
    /// `spec.parameters.dynamic`.
    pub dynamic: PluginCommand,
    /// `spec.preserveFileMode`.
    pub preserve_file_mode: bool,
    /// `spec.provideGitCreds` (not emulated beyond being read).
    pub provide_git_creds: bool,
}

impl PluginConfig {
    /// Read a `plugin.yaml` like `ReadPluginConfig`, then apply the strict schema check.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("open {}: {e}", path.display()))?;
        Self::parse(&text)
    }

    /// [`PluginConfig::load`] without the strict check: exactly what Argo CD accepts.
    pub fn load_lenient(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("open {}: {e}", path.display()))?;
        Self::parse_lenient(&text)
    }

    /// Parse `plugin.yaml` text like Argo CD, then apply the strict schema check.
    pub fn parse(text: &str) -> Result<Self, String> {
        let config = Self::parse_lenient(text)?;
        let mut problems = strict_plugin_problems(&config.raw);
        if yaml_documents(text).len() > 1 {
            problems.push("the file holds more than one YAML document; Argo CD reads only the first".into());
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(format!(
                "plugin.yaml fails the harness's strict schema check (Argo CD would not notice): {}",
                problems.join("; ")
            ))
        }
    }

    /// Parse `plugin.yaml` text exactly as far as Argo CD does: YAML to JSON (first document),
    /// Go `encoding/json` into `PluginConfig`, then the three `ValidatePluginConfig` checks.
    pub fn parse_lenient(text: &str) -> Result<Self, String> {
        let first = yaml_documents(text).into_iter().next().unwrap_or_default();
        let raw = match krm_io::parse_documents(&first, "plugin.yaml", &Limits::default()) {
            Ok(docs) => docs.into_iter().next().unwrap_or(Value::Null),
            Err(e) => return Err(format!("error converting YAML to JSON: {e}")),
        };
        let config = decode_plugin_config(&raw)?;
        // ValidatePluginConfig, in order, with Argo CD's messages.
        if config.name.is_empty() {
            return Err("invalid plugin configuration file. metadata.name should be non-empty".into());
        }
        let kind = go_field(&raw, "kind").and_then(Value::as_str).unwrap_or_default();
        if kind != "ConfigManagementPlugin" {
            return Err(format!(
                "invalid plugin configuration file. kind should be ConfigManagementPlugin, found {kind}"
            ));
        }
        if config.generate.command.is_empty() {
            return Err("invalid plugin configuration file. spec.generate command should be non-empty".into());
        }
        Ok(config)
    }

    /// The name Applications use and the socket is named after: `name-version`, or `name`.
    pub fn plugin_name(&self) -> String {
        if self.version.is_empty() { self.name.clone() } else { format!("{}-{}", self.name, self.version) }
    }
}

/// Go `encoding/json` field lookup: an exact or case-insensitive key match; the last match wins.
fn go_field<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    value
        .as_object()?
        .iter()
        .filter(|(k, _)| k.as_str() == name || k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .next_back()
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A Go-like `UnmarshalTypeError` text.
fn type_error(value: &Value, go_struct: &str, path: &str, go_type: &str) -> String {
    format!(
        "json: cannot unmarshal {} into Go struct field {go_struct}.{path} of type {go_type}",
        json_type(value)
    )
}

fn decode_string(parent: &Value, key: &str, go_struct: &str, path: &str) -> Result<String, String> {
    match go_field(parent, key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(type_error(other, go_struct, path, "string")),
    }
}

fn decode_bool(parent: &Value, key: &str, go_struct: &str, path: &str) -> Result<bool, String> {
    match go_field(parent, key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(type_error(other, go_struct, path, "bool")),
    }
}

fn decode_strings(parent: &Value, key: &str, go_struct: &str, path: &str) -> Result<Vec<String>, String> {
    match go_field(parent, key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Null => Ok(String::new()),
                Value::String(s) => Ok(s.clone()),
                other => Err(type_error(other, go_struct, path, "string")),
            })
            .collect(),
        Some(other) => Err(type_error(other, go_struct, path, "[]string")),
    }
}

fn decode_object<'a>(
    parent: &'a Value,
    key: &str,
    go_struct: &str,
    path: &str,
    go_type: &str,
) -> Result<Option<&'a Value>, String> {
    match go_field(parent, key) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v)),
        Some(other) => Err(type_error(other, go_struct, path, go_type)),
    }
}

fn decode_command(parent: &Value, key: &str, go_struct: &str, path: &str) -> Result<PluginCommand, String> {
    let Some(node) = decode_object(parent, key, go_struct, path, "plugin.Command")? else {
        return Ok(PluginCommand::default());
    };
    Ok(PluginCommand {
        command: decode_strings(node, "command", "Command", &format!("{path}.command"))?,
        args: decode_strings(node, "args", "Command", &format!("{path}.args"))?,
    })
}

fn decode_plugin_config(raw: &Value) -> Result<PluginConfig, String> {
    if !matches!(raw, Value::Object(_) | Value::Null) {
        return Err(format!(
            "error unmarshaling JSON: json: cannot unmarshal {} into Go value of type plugin.PluginConfig",
            json_type(raw)
        ));
    }
    decode_string(raw, "apiVersion", "TypeMeta", "apiVersion")?;
    decode_string(raw, "kind", "TypeMeta", "kind")?;
    let empty = Value::Object(Map::new());
    let metadata =
        decode_object(raw, "metadata", "PluginConfig", "metadata", "v1.ObjectMeta")?.unwrap_or(&empty);
    let name = decode_string(metadata, "name", "ObjectMeta", "metadata.name")?;
    let spec =
        decode_object(raw, "spec", "PluginConfig", "spec", "plugin.PluginConfigSpec")?.unwrap_or(&empty);
    let version = decode_string(spec, "version", "PluginConfigSpec", "spec.version")?;
    let init = decode_command(spec, "init", "PluginConfigSpec", "spec.init")?;
    let generate = decode_command(spec, "generate", "PluginConfigSpec", "spec.generate")?;
    let discover_node =
        decode_object(spec, "discover", "PluginConfigSpec", "spec.discover", "plugin.Discover")?
            .unwrap_or(&empty);
    let find_node = decode_object(discover_node, "find", "Discover", "spec.discover.find", "plugin.Find")?
        .unwrap_or(&empty);
    let discover = Discover {
        file_name: decode_string(discover_node, "fileName", "Discover", "spec.discover.fileName")?,
        glob: decode_string(find_node, "glob", "Find", "spec.discover.find.glob")?,
        find: PluginCommand {
            command: decode_strings(find_node, "command", "Find", "spec.discover.find.command")?,
            args: decode_strings(find_node, "args", "Find", "spec.discover.find.args")?,
        },
    };
    // `Parameters` has no json tag: its JSON key is "Parameters", matched case-insensitively; the
    // same goes for "Static" and "Dynamic" inside it.
    let parameters =
        decode_object(spec, "Parameters", "PluginConfigSpec", "spec.Parameters", "plugin.Parameters")?
            .unwrap_or(&empty);
    let static_parameters = match go_field(parameters, "Static") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("spec.Parameters.Static[{i}]");
                if item.is_null() {
                    continue;
                }
                if !item.is_object() {
                    return Err(type_error(item, "Parameters", &path, "apiclient.ParameterAnnouncement"));
                }
                for key in ["name", "title", "tooltip", "itemType", "collectionType", "string"] {
                    decode_string(item, key, "ParameterAnnouncement", &format!("{path}.{key}"))?;
                }
                decode_bool(item, "required", "ParameterAnnouncement", &format!("{path}.required"))?;
                decode_strings(item, "array", "ParameterAnnouncement", &format!("{path}.array"))?;
                match go_field(item, "map") {
                    None | Some(Value::Null) => {}
                    Some(Value::Object(map)) => {
                        for value in map.values() {
                            if !matches!(value, Value::String(_) | Value::Null) {
                                return Err(type_error(value, "ParameterAnnouncement", &path, "string"));
                            }
                        }
                    }
                    Some(other) => {
                        return Err(type_error(other, "ParameterAnnouncement", &path, "map[string]string"));
                    }
                }
            }
            items.clone()
        }
        Some(other) => {
            return Err(type_error(
                other,
                "Parameters",
                "spec.Parameters.Static",
                "[]*apiclient.ParameterAnnouncement",
            ));
        }
    };
    let dynamic = decode_command(parameters, "Dynamic", "Parameters", "spec.Parameters.Dynamic")?;
    Ok(PluginConfig {
        raw: raw.clone(),
        name,
        version,
        init,
        generate,
        discover,
        static_parameters,
        dynamic,
        preserve_file_mode: decode_bool(
            spec,
            "preserveFileMode",
            "PluginConfigSpec",
            "spec.preserveFileMode",
        )?,
        provide_git_creds: decode_bool(spec, "provideGitCreds", "PluginConfigSpec", "spec.provideGitCreds")?,
    })
}

const OBJECT_META_KEYS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

/// The closest of `known` to `key`, for "did you mean".
fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (levenshtein(&key.to_lowercase(), &k.to_lowercase()), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(row[j]).min(row[j + 1]) };
            prev = cur;
        }
    }
    row[b.len()]
}

fn check_keys(node: &Value, path: &str, known: &[&str], problems: &mut Vec<String>) {
    let Some(map) = node.as_object() else {
        if !node.is_null() {
            problems.push(format!("{path} must be a mapping, not a {}", json_type(node)));
        }
        return;
    };
    for key in map.keys() {
        if !known.contains(&key.as_str()) {
            let hint = closest(key, known).map(|k| format!(" (did you mean {k:?}?)")).unwrap_or_default();
            let at = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            problems.push(format!("unknown key {at:?}{hint}; Argo CD ignores it silently"));
        }
    }
}

fn check_string(node: &Value, key: &str, path: &str, problems: &mut Vec<String>) {
    if let Some(value) = node.get(key)
        && !value.is_string()
    {
        problems.push(format!(
            "{path}.{key} must be a string, not a {} (quote it: YAML 1.1 types unquoted scalars)",
            json_type(value)
        ));
    }
}

fn check_string_list(node: &Value, key: &str, path: &str, problems: &mut Vec<String>) {
    match node.get(key) {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if !item.is_string() {
                    problems.push(format!("{path}.{key}[{i}] must be a string, not a {}", json_type(item)));
                }
            }
        }
        Some(other) => {
            problems.push(format!("{path}.{key} must be a list of strings, not a {}", json_type(other)))
        }
    }
}

fn check_bool(node: &Value, key: &str, path: &str, problems: &mut Vec<String>) {
    if let Some(value) = node.get(key)
        && !value.is_boolean()
    {
        problems.push(format!("{path}.{key} must be a boolean, not a {}", json_type(value)));
    }
}

fn check_command(node: Option<&Value>, path: &str, problems: &mut Vec<String>) {
    let Some(node) = node else { return };
    check_keys(node, path, &["command", "args"], problems);
    check_string_list(node, "command", path, problems);
    check_string_list(node, "args", path, problems);
    if node.get("args").is_some() && node.get("command").is_none() {
        problems.push(format!("{path} has args but no command"));
    }
}

/// The strict schema check of `plugin.yaml` that Argo CD does not do (exact key spelling, types,
/// parameter announcements, one discovery method).
pub fn strict_plugin_problems(raw: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if !raw.is_object() {
        problems.push(format!("plugin.yaml must be a mapping, not a {}", json_type(raw)));
        return problems;
    }
    check_keys(raw, "", &["apiVersion", "kind", "metadata", "spec"], &mut problems);
    if raw.get("apiVersion").and_then(Value::as_str) != Some("argoproj.io/v1alpha1") {
        problems.push("apiVersion should be argoproj.io/v1alpha1".into());
    }
    if let Some(metadata) = raw.get("metadata") {
        check_keys(metadata, "metadata", OBJECT_META_KEYS, &mut problems);
        check_string(metadata, "name", "metadata", &mut problems);
    }
    let Some(spec) = raw.get("spec") else {
        problems.push("spec is missing".into());
        return problems;
    };
    check_keys(
        spec,
        "spec",
        &["version", "init", "generate", "discover", "parameters", "preserveFileMode", "provideGitCreds"],
        &mut problems,
    );
    check_string(spec, "version", "spec", &mut problems);
    let name = raw.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
    let version = spec.get("version").and_then(Value::as_str).unwrap_or_default();
    if format!("{name}{version}").contains('/') {
        problems
            .push("metadata.name and spec.version make the socket file name; they must not hold '/'".into());
    }
    check_command(spec.get("init"), "spec.init", &mut problems);
    check_command(spec.get("generate"), "spec.generate", &mut problems);
    check_bool(spec, "preserveFileMode", "spec", &mut problems);
    check_bool(spec, "provideGitCreds", "spec", &mut problems);
    if let Some(discover) = spec.get("discover") {
        check_keys(discover, "spec.discover", &["fileName", "find"], &mut problems);
        check_string(discover, "fileName", "spec.discover", &mut problems);
        if let Some(find) = discover.get("find") {
            check_keys(find, "spec.discover.find", &["command", "args", "glob"], &mut problems);
            check_string(find, "glob", "spec.discover.find", &mut problems);
            check_string_list(find, "command", "spec.discover.find", &mut problems);
            check_string_list(find, "args", "spec.discover.find", &mut problems);
            if find.get("glob").is_some() && find.get("command").is_some() {
                problems.push("spec.discover.find sets both glob and command; only glob is evaluated".into());
            }
        }
        if discover.get("fileName").is_some() && discover.get("find").is_some() {
            problems.push("spec.discover sets both fileName and find; only fileName is evaluated".into());
        }
    }
    if let Some(parameters) = spec.get("parameters") {
        check_keys(parameters, "spec.parameters", &["static", "dynamic"], &mut problems);
        check_command(parameters.get("dynamic"), "spec.parameters.dynamic", &mut problems);
        match parameters.get("static") {
            None => {}
            Some(Value::Array(items)) => {
                let mut names = BTreeSet::new();
                for (i, item) in items.iter().enumerate() {
                    let path = format!("spec.parameters.static[{i}]");
                    check_keys(
                        item,
                        &path,
                        &[
                            "name",
                            "title",
                            "tooltip",
                            "required",
                            "itemType",
                            "collectionType",
                            "string",
                            "array",
                            "map",
                        ],
                        &mut problems,
                    );
                    for key in ["name", "title", "tooltip", "itemType", "collectionType", "string"] {
                        check_string(item, key, &path, &mut problems);
                    }
                    check_bool(item, "required", &path, &mut problems);
                    check_string_list(item, "array", &path, &mut problems);
                    match item.get("map") {
                        None => {}
                        Some(Value::Object(map)) => {
                            for (k, v) in map {
                                if !v.is_string() {
                                    problems.push(format!(
                                        "{path}.map.{k} must be a string, not a {}",
                                        json_type(v)
                                    ));
                                }
                            }
                        }
                        Some(other) => {
                            problems.push(format!("{path}.map must be a mapping, not a {}", json_type(other)))
                        }
                    }
                    let name = item.get("name").and_then(Value::as_str).unwrap_or_default();
                    if name.is_empty() {
                        problems.push(format!("{path}.name is missing"));
                    } else if !names.insert(name.to_string()) {
                        problems.push(format!("{path}.name {name:?} is announced twice"));
                    }
                    let collection = item.get("collectionType").and_then(Value::as_str);
                    if let Some(c) = collection
                        && !["", "string", "array", "map"].contains(&c)
                    {
                        problems.push(format!(
                            "{path}.collectionType {c:?} is not one of \"string\", \"array\", \"map\""
                        ));
                    }
                    let collection = collection.unwrap_or("");
                    if item.get("array").is_some() && collection != "array" {
                        problems.push(format!(
                            "{path} has an array default but collectionType is not \"array\" (Argo CD does not infer it)"
                        ));
                    }
                    if item.get("map").is_some() && collection != "map" {
                        problems.push(format!(
                            "{path} has a map default but collectionType is not \"map\" (Argo CD does not infer it)"
                        ));
                    }
                    if item.get("string").is_some() && (collection == "array" || collection == "map") {
                        problems.push(format!(
                            "{path} has a string default but collectionType is {collection:?}"
                        ));
                    }
                }
            }
            Some(other) => {
                problems.push(format!("spec.parameters.static must be a list, not a {}", json_type(other)))
            }
        }
    }
    problems
}

// ------------------------------------------------------------------------------------------------
// The Application
// ------------------------------------------------------------------------------------------------

/// One `spec.source.plugin.parameters` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parameter {
    /// `name`.
    pub name: String,
    /// `string`.
    pub string: Option<String>,
    /// `array`.
    pub array: Option<Vec<String>>,
    /// `map`.
    pub map: Option<BTreeMap<String, String>>,
}

impl Parameter {
    /// The parameter as Argo CD marshals it: its Go struct's field order (name, string, map,
    /// array), unset fields left out.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), Value::String(self.name.clone()));
        if let Some(s) = &self.string {
            m.insert("string".into(), Value::String(s.clone()));
        }
        if let Some(map) = &self.map {
            m.insert("map".into(), serde_json::json!(map));
        }
        if let Some(array) = &self.array {
            m.insert("array".into(), serde_json::json!(array));
        }
        Value::Object(m)
    }

    /// A string parameter.
    pub fn string(name: &str, value: &str) -> Self {
        Parameter { name: name.into(), string: Some(value.into()), ..Default::default() }
    }

    /// An array parameter.
    pub fn array(name: &str, values: &[&str]) -> Self {
        Parameter {
            name: name.into(),
            array: Some(values.iter().map(|v| v.to_string()).collect()),
            ..Default::default()
        }
    }

    /// A map parameter.
    pub fn map(name: &str, entries: &[(&str, &str)]) -> Self {
        Parameter {
            name: name.into(),
            map: Some(entries.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
            ..Default::default()
        }
    }
}

/// `spec.source.plugin` of an Application.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppPlugin {
    /// `name`: empty means "find a plugin by discovery".
    pub name: String,
    /// `env`: `(name, value)` pairs, passed as `ARGOCD_ENV_<name>` after interpolation.
    pub env: Vec<(String, String)>,
    /// `parameters`.
    pub parameters: Vec<Parameter>,
}

/// What the repo-server knows about an Application when it generates manifests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` (the namespace the Application lives in).
    pub app_namespace: String,
    /// The Argo CD control-plane namespace.
    pub controller_namespace: String,
    /// `spec.destination.namespace`.
    pub dest_namespace: String,
    /// `spec.project`.
    pub project: String,
    /// The resolved revision (commit SHA).
    pub revision: String,
    /// `spec.source.repoURL`.
    pub repo_url: String,
    /// `spec.source.path`.
    pub path: String,
    /// `spec.source.targetRevision`.
    pub target_revision: String,
    /// The destination cluster's version, `1.29.3` (with or without a leading `v`).
    pub kube_version: String,
    /// The destination cluster's API versions (`group/version` and `group/version/Kind`).
    pub api_versions: Vec<String>,
    /// `spec.source.plugin`; `None` when the Application has no plugin section.
    pub plugin: Option<AppPlugin>,
}

impl App {
    /// An Application in the `argocd` namespace with typical defaults, sourcing `path`.
    pub fn new(name: &str, path: &str) -> Self {
        App {
            name: name.into(),
            app_namespace: "argocd".into(),
            controller_namespace: "argocd".into(),
            dest_namespace: String::new(),
            project: "default".into(),
            revision: DEFAULT_REVISION.into(),
            repo_url: "https://github.com/mesh-ingress/mesh-ingress.git".into(),
            path: path.into(),
            target_revision: "HEAD".into(),
            kube_version: "1.32.4".into(),
            api_versions: [
                "v1",
                "v1/ConfigMap",
                "v1/Namespace",
                "v1/Service",
                "apps/v1",
                "apps/v1/Deployment",
                "networking.istio.io/v1",
                "networking.istio.io/v1/Gateway",
                "cert-manager.io/v1",
                "cert-manager.io/v1/Certificate",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            plugin: None,
        }
    }

    /// An Application built from an `argoproj.io/v1alpha1` `Application` manifest: `metadata.name`
    /// and `namespace`, `spec.project`, `spec.destination.namespace` and `spec.source.*`.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let doc = krm_io::parse_document(&text, &path.display().to_string(), &Limits::default())
            .map_err(|e| e.to_string())?;
        Self::from_value(&doc).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// [`App::from_file`] on a parsed manifest.
    pub fn from_value(doc: &Value) -> Result<Self, String> {
        let text = |pointer: &str| -> Result<String, String> {
            match doc.pointer(pointer) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(other) => Err(format!("{pointer} must be a string, not a {}", json_type(other))),
            }
        };
        if text("/kind")? != "Application" || text("/apiVersion")? != "argoproj.io/v1alpha1" {
            return Err("not an argoproj.io/v1alpha1 Application".into());
        }
        if doc.pointer("/spec/sources").is_some() {
            return Err("multi-source Applications (spec.sources) are not emulated".into());
        }
        if doc.pointer("/spec/source").is_none() {
            return Err("spec.source is missing".into());
        }
        let mut app = App::new(&text("/metadata/name")?, &text("/spec/source/path")?);
        if app.name.is_empty() {
            return Err("metadata.name is missing".into());
        }
        let namespace = text("/metadata/namespace")?;
        if !namespace.is_empty() {
            app.app_namespace = namespace;
        }
        app.project = text("/spec/project")?;
        app.dest_namespace = text("/spec/destination/namespace")?;
        app.repo_url = text("/spec/source/repoURL")?;
        app.target_revision = text("/spec/source/targetRevision")?;
        app.plugin = match doc.pointer("/spec/source/plugin") {
            None => None,
            Some(plugin) => Some(parse_app_plugin(plugin)?),
        };
        Ok(app)
    }

    /// `Application.InstanceName(controllerNamespace)`: the name, or `<namespace>_<name>` for an
    /// Application outside the control-plane namespace.
    pub fn instance_name(&self) -> String {
        if self.app_namespace.is_empty() || self.app_namespace == self.controller_namespace {
            self.name.clone()
        } else {
            format!("{}_{}", self.app_namespace, self.name)
        }
    }
}

fn parse_app_plugin(plugin: &Value) -> Result<AppPlugin, String> {
    let Some(map) = plugin.as_object() else {
        return if plugin.is_null() {
            Ok(AppPlugin::default())
        } else {
            Err("spec.source.plugin must be a mapping".into())
        };
    };
    let string_at = |v: Option<&Value>, what: &str| -> Result<String, String> {
        match v {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(format!("{what} must be a string, not a {}", json_type(other))),
        }
    };
    let mut out = AppPlugin::default();
    for (key, value) in map {
        match key.as_str() {
            "name" => out.name = string_at(Some(value), "spec.source.plugin.name")?,
            "env" => {
                for (i, entry) in value.as_array().into_iter().flatten().enumerate() {
                    let what = format!("spec.source.plugin.env[{i}]");
                    for k in entry.as_object().into_iter().flat_map(|m| m.keys()) {
                        if k != "name" && k != "value" {
                            return Err(format!("{what}: unknown field {k:?}"));
                        }
                    }
                    out.env.push((
                        string_at(entry.get("name"), &format!("{what}.name"))?,
                        string_at(entry.get("value"), &format!("{what}.value"))?,
                    ));
                }
            }
            "parameters" => {
                for (i, entry) in value.as_array().into_iter().flatten().enumerate() {
                    let what = format!("spec.source.plugin.parameters[{i}]");
                    let mut parameter = Parameter::default();
                    for (k, v) in entry.as_object().into_iter().flatten() {
                        match k.as_str() {
                            "name" => parameter.name = string_at(Some(v), &format!("{what}.name"))?,
                            "string" => {
                                parameter.string = Some(string_at(Some(v), &format!("{what}.string"))?)
                            }
                            "array" => {
                                let items = v.as_array().ok_or(format!("{what}.array must be a list"))?;
                                parameter.array = Some(
                                    items
                                        .iter()
                                        .map(|item| string_at(Some(item), &format!("{what}.array[]")))
                                        .collect::<Result<_, _>>()?,
                                );
                            }
                            "map" => {
                                let entries = v.as_object().ok_or(format!("{what}.map must be a mapping"))?;
                                parameter.map = Some(
                                    entries
                                        .iter()
                                        .map(|(mk, mv)| {
                                            Ok((
                                                mk.clone(),
                                                string_at(Some(mv), &format!("{what}.map.{mk}"))?,
                                            ))
                                        })
                                        .collect::<Result<_, String>>()?,
                                );
                            }
                            other => return Err(format!("{what}: unknown field {other:?}")),
                        }
                    }
                    out.parameters.push(parameter);
                }
            }
            other => return Err(format!("spec.source.plugin: unknown field {other:?}")),
        }
    }
    Ok(out)
}

/// RFC 7386 JSON merge patch (`jsonpatch.MergePatch`).
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let map = target.as_object_mut().unwrap();
    for (key, value) in patch {
        if value.is_null() {
            map.remove(key);
        } else {
            merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

fn app_plugin_json(plugin: &AppPlugin) -> Value {
    let mut out = Map::new();
    if !plugin.name.is_empty() {
        out.insert("name".into(), Value::String(plugin.name.clone()));
    }
    if !plugin.env.is_empty() {
        let env = plugin.env.iter().map(|(n, v)| serde_json::json!({"name": n, "value": v})).collect();
        out.insert("env".into(), Value::Array(env));
    }
    if !plugin.parameters.is_empty() {
        let parameters = plugin.parameters.iter().map(Parameter::to_json).collect();
        out.insert("parameters".into(), Value::Array(parameters));
    }
    Value::Object(out)
}

/// `mergeSourceParameters`: `.argocd-source.yaml`, then `.argocd-source-<instance name>.yaml`, in
/// the app directory of the repository, merged into the source (JSON merge patch). Only the
/// `plugin` section matters here; other tool sections are ignored.
pub fn apply_source_overrides(app: &App, repo_root: &Path) -> Result<App, String> {
    let dir = repo_root.join(&app.path);
    let mut source = serde_json::json!({});
    if let Some(plugin) = &app.plugin {
        source["plugin"] = app_plugin_json(plugin);
    }
    let mut changed = false;
    for file in [".argocd-source.yaml".to_string(), format!(".argocd-source-{}.yaml", app.instance_name())] {
        let path = dir.join(&file);
        if !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let patch = krm_io::parse_documents(&text, &file, &Limits::default())
            .map_err(|e| format!("{}: {e}", path.display()))?
            .into_iter()
            .next()
            .unwrap_or(Value::Null);
        merge_patch(&mut source, &patch);
        changed = true;
    }
    let mut app = app.clone();
    if changed {
        app.plugin = match source.get("plugin") {
            None | Some(Value::Null) => None,
            Some(plugin) => Some(parse_app_plugin(plugin)?),
        };
    }
    Ok(app)
}

// ------------------------------------------------------------------------------------------------
// Version profiles
// ------------------------------------------------------------------------------------------------

/// Which Argo CD release line to emulate, for the differences of §3.3 and §3.6.
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Argo CD v2.`minor` (v2.6 or later for parameters): empty values dropped, no
    /// `ARGOCD_APP_PROJECT_NAME`, `REVISION_SHORT` from v2.9 and `_8` from v2.14, `KUBE_VERSION`
    /// as `1.29`, errors prefixed `plugin sidecar failed. `.
    V2_x(u32),
    /// Argo CD v3.4 and later: empty values passed, `PROJECT_NAME`, `KUBE_VERSION` as `1.29.3`,
    /// errors prefixed `CMP processing failed for application "<app>": `.
    V3_4_plus,
}

impl Profile {
    /// The newest v2 release line, v2.14.
    pub const V2_LATEST: Profile = Profile::V2_x(14);

    /// Whether entries with an empty value reach the plugin (v3.0+).
    pub fn passes_empty_values(self) -> bool {
        matches!(self, Profile::V3_4_plus)
    }

    /// Whether `ARGOCD_APP_PROJECT_NAME` is set (v3.0+).
    pub fn has_project_name(self) -> bool {
        matches!(self, Profile::V3_4_plus)
    }

    /// Whether `ARGOCD_APP_REVISION_SHORT` is set (v2.9+).
    pub fn has_revision_short(self) -> bool {
        match self {
            Profile::V2_x(minor) => minor >= 9,
            Profile::V3_4_plus => true,
        }
    }

    /// Whether `ARGOCD_APP_REVISION_SHORT_8` is set (v2.14+).
    pub fn has_revision_short_8(self) -> bool {
        match self {
            Profile::V2_x(minor) => minor >= 14,
            Profile::V3_4_plus => true,
        }
    }

    /// Whether `ARGOCD_APP_PARAMETERS` and `PARAM_*` are set (v2.6+).
    pub fn has_parameters(self) -> bool {
        match self {
            Profile::V2_x(minor) => minor >= 6,
            Profile::V3_4_plus => true,
        }
    }

    /// `KUBE_VERSION` for a cluster version such as `v1.29.3`.
    pub fn kube_version(self, version: &str) -> String {
        let version = version.trim_start_matches('v');
        match self {
            Profile::V2_x(_) => version.split('.').take(2).collect::<Vec<_>>().join(".").replace('+', ""),
            Profile::V3_4_plus => version.to_string(),
        }
    }

    /// The repo-server's prefix on every plugin error.
    pub fn error_prefix(self, app: &App) -> String {
        match self {
            Profile::V2_x(_) => "plugin sidecar failed. ".into(),
            Profile::V3_4_plus => {
                format!("CMP processing failed for application {}: ", go_quote(&app.instance_name()))
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Options, the sidecar environment and temporary directories
// ------------------------------------------------------------------------------------------------

/// How to run a plugin.
#[derive(Clone, Debug)]
pub struct Options {
    /// The Argo CD version to emulate.
    pub profile: Profile,
    /// The request deadline; the sidecar works until `timeout - 100 ms`.
    pub timeout: Duration,
    /// The sidecar container's own environment (`os.Environ()` of the cmp-server). Nothing else
    /// from the test runner is passed on.
    pub sidecar_env: Vec<(String, String)>,
    /// Tar exclusions (`--plugin-tar-exclude`), Go `filepath.Match` patterns on relative paths.
    pub tar_exclusions: Vec<String>,
    /// Strict: the fewest objects accepted (Argo CD accepts zero; the default here is one).
    pub min_objects: usize,
    /// Strict: the largest accepted stdout, in bytes.
    pub max_output_bytes: usize,
}

impl Options {
    /// Defaults for `profile`: a 60 s deadline and the mesh-ingress sidecar environment of
    /// [`sidecar_env`].
    pub fn new(profile: Profile) -> Self {
        Options {
            profile,
            timeout: DEFAULT_TIMEOUT,
            sidecar_env: sidecar_env(),
            tar_exclusions: DEFAULT_TAR_EXCLUSIONS.iter().map(|s| s.to_string()).collect(),
            min_objects: 1,
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
        }
    }
}

fn base_temp_dir() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        // Directories of earlier, finished test processes: they hold hard links that would keep
        // old builds of the binary on disk.
        for entry in std::fs::read_dir(std::env::temp_dir()).into_iter().flatten().filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("mesh-ingress-cmp-").and_then(|p| p.parse::<u32>().ok())
                && !Path::new(&format!("/proc/{pid}")).exists()
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let dir = std::env::temp_dir().join(format!("mesh-ingress-cmp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

/// A fresh, empty temporary directory (under one per-process directory).
pub fn fresh_dir(label: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = base_temp_dir().join(format!("{label}-{n}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A directory holding only the mesh-ingress binary, named `mesh-ingress` (the sidecar image's
/// `/usr/local/bin`). Made once per test process, as a hard link or else a copy.
pub fn sidecar_bin_dir() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = base_temp_dir().join("sidecar-bin");
        std::fs::create_dir_all(&dir).unwrap();
        let source = PathBuf::from(env!("CARGO_BIN_EXE_mesh-ingress"));
        let target = dir.join("mesh-ingress");
        if std::fs::hard_link(&source, &target).is_err() {
            std::fs::copy(&source, &target).unwrap();
        }
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).unwrap();
        dir
    })
}

/// The sidecar's environment: `PATH` holding only the mesh-ingress binary, `HOME` a fresh empty
/// directory (the Component sets `HOME=/tmp`, an emptyDir).
pub fn sidecar_env() -> Vec<(String, String)> {
    vec![
        ("PATH".into(), sidecar_bin_dir().display().to_string()),
        ("HOME".into(), fresh_dir("home").display().to_string()),
    ]
}

fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut bytes);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

// ------------------------------------------------------------------------------------------------
// The environment (§3.3)
// ------------------------------------------------------------------------------------------------

/// Go `os.Expand` with Argo CD's mapping (`$$` is `$`, unknown names are empty).
pub fn envsubst(s: &str, vars: &BTreeMap<String, String>) -> String {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut j = 0;
    let special = |c: u8| b"*#$@!?-0123456789".contains(&c);
    let alnum = |c: u8| c == b'_' || c.is_ascii_alphanumeric();
    while j < b.len() {
        if b[j] == b'$' && j + 1 < b.len() {
            out.extend_from_slice(&b[i..j]);
            let rest = &b[j + 1..];
            let (name, w): (&[u8], usize) = if rest[0] == b'{' {
                if rest.len() > 2 && special(rest[1]) && rest[2] == b'}' {
                    (&rest[1..2], 3)
                } else {
                    match rest.iter().skip(1).position(|&c| c == b'}') {
                        Some(0) => (&[][..], 2),
                        Some(p) => (&rest[1..p + 1], p + 2),
                        None => (&[][..], 1),
                    }
                }
            } else if special(rest[0]) {
                (&rest[0..1], 1)
            } else {
                let n = rest.iter().take_while(|&&c| alnum(c)).count();
                (&rest[..n], n)
            };
            if name.is_empty() && w > 0 {
                // Bad syntax: the characters are eaten.
            } else if name.is_empty() {
                out.push(b'$');
            } else {
                let name = String::from_utf8_lossy(name);
                if name == "$" {
                    out.push(b'$');
                } else {
                    out.extend_from_slice(vars.get(name.as_ref()).map(String::as_bytes).unwrap_or_default());
                }
            }
            j += w;
            i = j + 1;
        }
        j += 1;
    }
    if out.is_empty() && i == 0 {
        return s.to_string();
    }
    out.extend_from_slice(&b[i.min(b.len())..]);
    String::from_utf8_lossy(&out).into_owned()
}

/// Argo CD's `escaped()`: upper case, then every character outside `A-Z0-9_` becomes `_`.
pub fn escaped(name: &str) -> String {
    name.chars()
        .map(|c| {
            let mut upper = c.to_uppercase();
            let u = match (upper.next(), upper.next()) {
                (Some(u), None) => u,
                _ => c,
            };
            if u.is_ascii_uppercase() || u.is_ascii_digit() || u == '_' { u } else { '_' }
        })
        .collect()
}

/// `ARGOCD_APP_PARAMETERS`: Go's `json.Marshal` of the parameters (`null` for none).
pub fn parameters_json(parameters: &[Parameter]) -> String {
    if parameters.is_empty() {
        return "null".into();
    }
    let items: Vec<String> = parameters.iter().map(|p| go_json(&p.to_json())).collect();
    format!("[{}]", items.join(","))
}

/// Rows 1-14 of §3.3 as the repo-server sends them (before the sidecar drops any), in order.
/// `with_kube` adds rows 10-11 (absent in the discovery pass of an app without a plugin section).
pub fn request_env(app: &App, profile: Profile, with_kube: bool) -> Vec<(String, String)> {
    let short = |n: usize| app.revision.chars().take(n).collect::<String>();
    let mut rows: Vec<(String, String)> = vec![
        ("ARGOCD_APP_NAME".into(), app.instance_name()),
        ("ARGOCD_APP_NAMESPACE".into(), app.dest_namespace.clone()),
    ];
    if profile.has_project_name() {
        rows.push(("ARGOCD_APP_PROJECT_NAME".into(), app.project.clone()));
    }
    rows.push(("ARGOCD_APP_REVISION".into(), app.revision.clone()));
    if profile.has_revision_short() {
        rows.push(("ARGOCD_APP_REVISION_SHORT".into(), short(7)));
    }
    if profile.has_revision_short_8() {
        rows.push(("ARGOCD_APP_REVISION_SHORT_8".into(), short(8)));
    }
    rows.push(("ARGOCD_APP_SOURCE_REPO_URL".into(), app.repo_url.clone()));
    rows.push(("ARGOCD_APP_SOURCE_PATH".into(), app.path.clone()));
    rows.push(("ARGOCD_APP_SOURCE_TARGET_REVISION".into(), app.target_revision.clone()));
    if !with_kube {
        return rows;
    }
    rows.push(("KUBE_VERSION".into(), profile.kube_version(&app.kube_version)));
    let api_versions: BTreeSet<&str> = app.api_versions.iter().map(String::as_str).collect();
    rows.push(("KUBE_API_VERSIONS".into(), api_versions.into_iter().collect::<Vec<_>>().join(",")));
    if let Some(plugin) = &app.plugin {
        let vars: BTreeMap<String, String> = rows.iter().cloned().collect();
        for (name, value) in &plugin.env {
            rows.push((format!("ARGOCD_ENV_{name}"), envsubst(value, &vars)));
        }
        if profile.has_parameters() {
            rows.push(("ARGOCD_APP_PARAMETERS".into(), parameters_json(&plugin.parameters)));
            for p in &plugin.parameters {
                let base = format!("PARAM_{}", escaped(&p.name));
                if let Some(s) = &p.string {
                    rows.push((base.clone(), s.clone()));
                }
                for (k, v) in p.map.iter().flatten() {
                    rows.push((format!("{base}_{}", escaped(k)), v.clone()));
                }
                for (i, v) in p.array.iter().flatten().enumerate() {
                    rows.push((format!("{base}_{i}"), v.clone()));
                }
            }
        }
    }
    rows
}

/// The environment a plugin command gets: the sidecar's own, then the request entries the
/// sidecar's `environ()` keeps (a name; before v3 also a value); duplicates resolve last-wins.
pub fn command_env(
    sidecar: &[(String, String)],
    request: &[(String, String)],
    profile: Profile,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = Vec::new();
    let kept =
        request.iter().filter(|(n, v)| !n.is_empty() && (profile.passes_empty_values() || !v.is_empty()));
    for (name, value) in sidecar.iter().chain(kept) {
        env.retain(|(n, _)| n != name);
        env.push((name.clone(), value.clone()));
    }
    env
}

// ------------------------------------------------------------------------------------------------
// Go helpers: JSON, quoting, paths, globs
// ------------------------------------------------------------------------------------------------

fn go_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn go_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap();
        let exp: i32 = exp.parse().unwrap();
        if exp < 0 { format!("{mantissa}e-{}", -exp) } else { format!("{mantissa}e+{exp:02}") }
    } else {
        format!("{f}")
    }
}

fn go_json_into(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() {
                out.push_str(&n.to_string());
            } else {
                out.push_str(&go_float(n.as_f64().unwrap_or_default()));
            }
        }
        Value::String(s) => go_json_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json_into(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json_string(key, out);
                out.push(':');
                go_json_into(&map[key], out);
            }
            out.push('}');
        }
    }
}

/// Compact JSON as Go's `encoding/json` writes it: sorted keys, `<`, `>`, `&`, U+2028 and U+2029
/// escaped as `\u003c`…, `\b`/`\f` short escapes, other control characters as `\u00XX`.
pub fn go_json(value: &Value) -> String {
    let mut out = String::new();
    go_json_into(value, &mut out);
    out
}

/// Go `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c == ' ' || !(c.is_control() || c.is_whitespace()) => out.push(c),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// `GetCommandArgsToLog`: arguments joined by spaces, those with whitespace `strconv.Quote`d and
/// empty ones shown as `""`.
pub fn args_to_log(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if a.is_empty() {
                "\"\"".to_string()
            } else if a.chars().any(char::is_whitespace) {
                go_quote(a)
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Go `path.Clean` (Unix).
pub fn go_clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Go `filepath.Join`: non-empty elements joined by `/`, then cleaned.
pub fn go_join(parts: &[&str]) -> String {
    let kept: Vec<&str> = parts.iter().copied().filter(|p| !p.is_empty()).collect();
    if kept.is_empty() { String::new() } else { go_clean(&kept.join("/")) }
}

/// Go `filepath.Match`'s `ErrBadPattern` text.
pub const ERR_BAD_PATTERN: &str = "syntax error in pattern";

fn scan_chunk(pattern: &[char]) -> (bool, &[char], &[char]) {
    let mut p = pattern;
    let mut star = false;
    while let Some('*') = p.first() {
        p = &p[1..];
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' if i + 1 < p.len() => i += 1,
            '[' => in_range = true,
            ']' => in_range = false,
            '*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &p[..i], &p[i..])
}

fn get_esc(chunk: &[char]) -> Result<(char, &[char]), ()> {
    if chunk.is_empty() || chunk[0] == '-' || chunk[0] == ']' {
        return Err(());
    }
    let mut chunk = chunk;
    if chunk[0] == '\\' {
        chunk = &chunk[1..];
        if chunk.is_empty() {
            return Err(());
        }
    }
    let r = chunk[0];
    let rest = &chunk[1..];
    if rest.is_empty() {
        return Err(());
    }
    Ok((r, rest))
}

fn match_chunk<'a>(chunk: &[char], s: &'a [char]) -> Result<Option<&'a [char]>, ()> {
    let mut chunk = chunk;
    let mut s = s;
    let mut failed = false;
    while !chunk.is_empty() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match chunk[0] {
            '[' => {
                let mut r = '\0';
                if !failed {
                    r = s[0];
                    s = &s[1..];
                }
                chunk = &chunk[1..];
                let mut negated = false;
                if chunk.first() == Some(&'^') {
                    negated = true;
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if chunk.first() == Some(&']') && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if chunk[0] == '-' {
                        let (h, rest) = get_esc(&chunk[1..])?;
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            '?' => {
                if !failed {
                    if s[0] == '/' {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
            c => {
                let c = if c == '\\' {
                    chunk = &chunk[1..];
                    if chunk.is_empty() {
                        return Err(());
                    }
                    chunk[0]
                } else {
                    c
                };
                if !failed {
                    if c != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    Ok(if failed { None } else { Some(s) })
}

/// Go `filepath.Match` (Unix): `Err` is `ErrBadPattern`.
pub fn go_match(pattern: &str, name: &str) -> Result<bool, String> {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    let bad = |_| ERR_BAD_PATTERN.to_string();
    let mut pattern = &pattern[..];
    let mut name = &name[..];
    'outer: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            return Ok(!name.contains(&'/'));
        }
        let result = match_chunk(chunk, name);
        if let Ok(Some(t)) = result
            && (t.is_empty() || !pattern.is_empty())
        {
            name = t;
            continue;
        }
        result.map_err(bad)?;
        if star {
            let mut i = 0;
            while i < name.len() && name[i] != '/' {
                let result = match_chunk(chunk, &name[i + 1..]);
                if let Ok(Some(t)) = result {
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'outer;
                }
                result.map_err(bad)?;
                i += 1;
            }
        }
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, &[]).map_err(bad)?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

fn has_meta(path: &str) -> bool {
    path.contains(['*', '?', '[', '\\'])
}

fn glob_dir(dir: &str, pattern: &str, matches: &mut Vec<String>) -> Result<(), String> {
    let Ok(meta) = std::fs::metadata(dir) else { return Ok(()) };
    if !meta.is_dir() {
        return Ok(());
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    let mut names: Vec<String> =
        entries.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    for name in names {
        if go_match(pattern, &name)? {
            matches.push(go_join(&[dir, &name]));
        }
    }
    Ok(())
}

/// Go `filepath.Glob` (Unix): no `**`; I/O errors are ignored; a malformed pattern is an error.
pub fn go_glob(pattern: &str) -> Result<Vec<String>, String> {
    go_match(pattern, "")?;
    if !has_meta(pattern) {
        return Ok(if std::fs::symlink_metadata(pattern).is_ok() {
            vec![pattern.to_string()]
        } else {
            Vec::new()
        });
    }
    let (dir, file) = match pattern.rfind('/') {
        Some(i) => (&pattern[..=i], &pattern[i + 1..]),
        None => ("", pattern),
    };
    let dir = match dir {
        "" => ".".to_string(),
        "/" => "/".to_string(),
        d => d[..d.len() - 1].to_string(),
    };
    let mut matches = Vec::new();
    if !has_meta(&dir) {
        glob_dir(&dir, file, &mut matches)?;
        return Ok(matches);
    }
    if dir == pattern {
        return Err(ERR_BAD_PATTERN.into());
    }
    for d in go_glob(&dir)? {
        glob_dir(&d, file, &mut matches)?;
    }
    Ok(matches)
}

/// A `**`-capable glob in the manner of `mattn/go-zglob` (`**` spans any number of directories).
pub fn double_star_glob(pattern: &str) -> Result<Vec<String>, String> {
    let rooted = pattern.starts_with('/');
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    let mut matches = Vec::new();
    fn walk(dir: &Path, parts: &[&str], matches: &mut Vec<String>) -> Result<(), String> {
        let Some((first, rest)) = parts.split_first() else {
            matches.push(dir.display().to_string());
            return Ok(());
        };
        if *first == "**" {
            walk(dir, rest, matches)?;
            let mut entries: Vec<_> =
                std::fs::read_dir(dir).into_iter().flatten().filter_map(Result::ok).collect();
            entries.sort_by_key(|e| e.file_name());
            for entry in entries {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    walk(&entry.path(), parts, matches)?;
                }
            }
            return Ok(());
        }
        if !has_meta(first) {
            let next = dir.join(first);
            if std::fs::symlink_metadata(&next).is_ok() {
                walk(&next, rest, matches)?;
            }
            return Ok(());
        }
        let mut entries: Vec<_> =
            std::fs::read_dir(dir).into_iter().flatten().filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            if go_match(first, &entry.file_name().to_string_lossy())? {
                walk(&entry.path(), rest, matches)?;
            }
        }
        Ok(())
    }
    walk(Path::new(if rooted { "/" } else { "." }), &parts, &mut matches)?;
    matches.sort();
    matches.dedup();
    Ok(matches)
}

// ------------------------------------------------------------------------------------------------
// The work directory (tarball + Untgz)
// ------------------------------------------------------------------------------------------------

/// Copy `from` into `to` like Argo CD's tarball and `Untgz`: `filepath.Walk` order, exclusions
/// matched on the relative path (a matched directory is skipped whole), only regular files,
/// directories and symlinks; modes 0644/0755 unless `preserve_modes`; symlinks must resolve inside
/// `to` and are relativised. Returns the number of regular files.
pub fn copy_tree(
    from: &Path,
    to: &Path,
    exclusions: &[String],
    preserve_modes: bool,
) -> Result<usize, String> {
    fn walk(
        root: &Path,
        rel: &str,
        to: &Path,
        exclusions: &[String],
        preserve: bool,
        files: &mut usize,
    ) -> Result<(), String> {
        let source = if rel == "." { root.to_path_buf() } else { root.join(rel) };
        let meta = match std::fs::symlink_metadata(&source) {
            Ok(meta) => meta,
            // Gone since the directory was listed (someone edits the tree meanwhile): skip it.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(format!("error walking in {:?}: {e}", root.display())),
        };
        for pattern in exclusions {
            if go_match(pattern, rel)
                .map_err(|e| format!("error verifying exclusion pattern {pattern:?}: {e}"))?
            {
                return Ok(());
            }
        }
        let target = if rel == "." { to.to_path_buf() } else { to.join(rel) };
        let kind = meta.file_type();
        let mode = meta.permissions().mode() & 0o7777;
        if kind.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| format!("error creating nested folders: {e}"))?;
            if rel != "." {
                let mode = if preserve { mode } else { 0o755 };
                std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode))
                    .map_err(|e| e.to_string())?;
            }
            let mut names: Vec<String> = match std::fs::read_dir(&source) {
                Ok(entries) => entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(format!("error walking in {:?}: {e}", root.display())),
            };
            names.sort();
            for name in names {
                let child = if rel == "." { name } else { format!("{rel}/{name}") };
                walk(root, &child, to, exclusions, preserve, files)?;
            }
        } else if kind.is_file() {
            let parent = target.parent().unwrap();
            std::fs::create_dir_all(parent).map_err(|e| format!("error creating nested folders: {e}"))?;
            match std::fs::copy(&source, &target) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(format!("error creating file {:?}: {e}", target.display())),
            }
            let mode = if preserve { mode } else { 0o644 };
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode))
                .map_err(|e| e.to_string())?;
            *files += 1;
        } else if kind.is_symlink() {
            let link = std::fs::read_link(&source).map_err(|e| format!("error getting link target: {e}"))?;
            let dir = target.parent().unwrap();
            let link_target =
                PathBuf::from(go_join(&[&dir.display().to_string(), &link.display().to_string()]));
            let real = std::fs::canonicalize(&link_target).unwrap_or_else(|_| link_target.clone());
            let to_real = std::fs::canonicalize(to).unwrap_or_else(|_| to.to_path_buf());
            if !real.starts_with(&to_real) && !real.starts_with(to) {
                return Err(format!("illegal filepath in symlink: {}", link_target.display()));
            }
            let base = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
            let relative = relative_path(&base, &real);
            std::os::unix::fs::symlink(&relative, &target)
                .map_err(|e| format!("error creating symlink: {e}"))?;
        }
        Ok(())
    }
    let mut files = 0;
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    walk(from, ".", to, exclusions, preserve_modes, &mut files)?;
    Ok(files)
}

/// The path of `to` relative to the directory `from` (both absolute, lexically).
pub fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() { PathBuf::from(".") } else { out }
}

/// One sidecar work directory, `<sidecar tmp>/_cmp_server/<uuid>`, deleted on drop.
struct WorkDir {
    sidecar_tmp: PathBuf,
    dir: PathBuf,
}

/// Paths under `repo` that git ignores, relative, as exact-match exclusions; none outside a work tree.
pub fn git_ignored(repo: &Path) -> Vec<String> {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["ls-files", "--others", "--ignored", "--exclude-standard", "--directory"])
        .output();
    match output {
        Ok(output) if output.status.success() => String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|line| line.trim_end_matches('/').to_string())
            // Exclusions are `filepath.Match` patterns: escape what would otherwise match more.
            .map(|path| {
                path.replace('\\', "\\\\").replace('*', "\\*").replace('?', "\\?").replace('[', "\\[")
            })
            .filter(|path| !path.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

impl WorkDir {
    fn create(repo_root: &Path, options: &Options, preserve: bool) -> Result<(Self, usize), String> {
        let sidecar_tmp = fresh_dir("sidecar-tmp");
        let server = sidecar_tmp.join("_cmp_server");
        std::fs::create_dir_all(&server).map_err(|e| e.to_string())?;
        std::fs::set_permissions(&server, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| e.to_string())?;
        let dir = server.join(random_uuid());
        std::fs::create_dir_all(&dir).map_err(|e| format!("error creating tempDir: {e}"))?;
        let work = WorkDir { sidecar_tmp, dir };
        // The repo-server works on a clean clone, which holds nothing git ignores: leave out this
        // checkout's build output (target/, fuzz/target/, venvs) as a clone would.
        let mut exclusions = options.tar_exclusions.clone();
        exclusions.extend(git_ignored(repo_root));
        let files = copy_tree(repo_root, &work.dir, &exclusions, preserve)?;
        Ok((work, files))
    }

    /// `appPath := filepath.Clean(filepath.Join(workDir, appRelPath))`, refused outside workDir.
    fn app_dir(&self, rel: &str) -> Result<PathBuf, String> {
        let work = self.dir.display().to_string();
        let app = go_clean(&go_join(&[&work, rel]));
        if !app.starts_with(&work) {
            return Err("illegal appPath: out of workDir bound".into());
        }
        Ok(PathBuf::from(app))
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.sidecar_tmp);
    }
}

// ------------------------------------------------------------------------------------------------
// Running commands (runCommand)
// ------------------------------------------------------------------------------------------------

/// What a command printed.
#[derive(Clone, Debug, Default)]
pub struct CommandOutput {
    /// stdout, with one trailing `\n` trimmed.
    pub stdout: Vec<u8>,
    /// stderr, as printed.
    pub stderr: String,
}

fn errno_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(2) => "no such file or directory".into(),
        Some(7) => "argument list too long".into(),
        Some(8) => "exec format error".into(),
        Some(13) => "permission denied".into(),
        Some(20) => "not a directory".into(),
        Some(26) => "text file busy".into(),
        Some(36) => "file name too long".into(),
        Some(40) => "too many levels of symbolic links".into(),
        _ => e.to_string(),
    }
}

fn signal_text(signal: i32) -> String {
    match signal {
        1 => "hangup".into(),
        2 => "interrupt".into(),
        3 => "quit".into(),
        4 => "illegal instruction".into(),
        5 => "trace/breakpoint trap".into(),
        6 => "aborted".into(),
        7 => "bus error".into(),
        8 => "floating point exception".into(),
        9 => "killed".into(),
        10 => "user defined signal 1".into(),
        11 => "segmentation fault".into(),
        12 => "user defined signal 2".into(),
        13 => "broken pipe".into(),
        14 => "alarm clock".into(),
        15 => "terminated".into(),
        n => format!("signal {n}"),
    }
}

/// Go's `ProcessState.String()` for a failed command: `exit status N` or `signal: killed`.
fn exit_text(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        format!("exit status {code}")
    } else if let Some(signal) = status.signal() {
        let core = if status.core_dumped() { " (core dumped)" } else { "" };
        format!("signal: {}{core}", signal_text(signal))
    } else {
        "unknown exit status".into()
    }
}

/// `exec.LookPath` against the sidecar's PATH.
fn look_path(name: &str, path_var: &str) -> Result<PathBuf, String> {
    for dir in path_var.split(':').filter(|_| !path_var.is_empty()) {
        let dir = if dir.is_empty() { "." } else { dir };
        let candidate = Path::new(dir).join(name);
        if let Ok(meta) = std::fs::metadata(&candidate)
            && !meta.is_dir()
            && meta.permissions().mode() & 0o111 != 0
        {
            return Ok(candidate);
        }
    }
    Err(format!("exec: {}: executable file not found in $PATH", go_quote(name)))
}

fn signal_group(pgid: u32, signal: &str) {
    // No libc here (unsafe code is forbidden): procps kill signals a process group given -PGID.
    let _ = Command::new("/bin/kill")
        .args(["-s", signal, "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// `runCommand`: run `command + args` directly (no shell) in `dir` with exactly `env`, stdin
/// `/dev/null`, in its own process group, until `deadline`. On the deadline the leader gets
/// SIGKILL and the group SIGTERM, then SIGKILL 5 s later if it still holds the pipes. Errors read
/// like Argo CD's: a start failure's raw Go error, or `CmdError`.
pub fn run_command(
    command: &PluginCommand,
    dir: &Path,
    env: &[(String, String)],
    deadline: Instant,
) -> Result<CommandOutput, String> {
    let argv = command.argv();
    if command.command.is_empty() {
        return Err("Command is empty".into());
    }
    if Instant::now() >= deadline {
        return Err("context deadline exceeded".into());
    }
    let name = &argv[0];
    let program = if name.contains('/') {
        if Path::new(name).is_absolute() { PathBuf::from(name) } else { dir.join(name) }
    } else {
        let path_var = env.iter().rev().find(|(n, _)| n == "PATH").map(|(_, v)| v.as_str()).unwrap_or("");
        look_path(name, path_var)?
    };
    let shown = if name.contains('/') { name.clone() } else { program.display().to_string() };
    let mut cmd = Command::new(&program);
    cmd.arg0(name)
        .args(&argv[1..])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut attempts = 0;
    let mut child = loop {
        match cmd.spawn() {
            Ok(child) => break child,
            // ETXTBSY: another thread's fork briefly held a copy of a just-written binary open.
            Err(e) if e.raw_os_error() == Some(26) && attempts < 20 => {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(format!("fork/exec {shown}: {}", errno_text(&e))),
        }
    };
    let pgid = child.id();
    let (tx, rx) = mpsc::channel::<(usize, Vec<u8>)>();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        let _ = tx.send((0, buf));
    });
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        let _ = tx2.send((1, buf));
    });
    let mut status = None;
    let mut timed_out = false;
    while status.is_none() {
        status = child.try_wait().map_err(|e| e.to_string())?;
        if status.is_none() {
            if Instant::now() >= deadline {
                timed_out = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let mut pipes: [Option<Vec<u8>>; 2] = [None, None];
    let receive = |until: Instant, pipes: &mut [Option<Vec<u8>>; 2]| {
        while pipes.iter().any(Option::is_none) {
            let left = until.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok((i, buf)) => pipes[i] = Some(buf),
                Err(_) => return false,
            }
        }
        true
    };
    if !timed_out && !receive(deadline, &mut pipes) {
        // The leader is gone but something in its group still holds the pipes past the deadline.
        timed_out = true;
    }
    if timed_out {
        if status.is_none() {
            let _ = child.kill();
        }
        signal_group(pgid, "TERM");
        if !receive(Instant::now() + CLEANUP_TIMEOUT, &mut pipes) {
            signal_group(pgid, "KILL");
            receive(Instant::now() + Duration::from_secs(30), &mut pipes);
        }
        if status.is_none() {
            status = Some(child.wait().map_err(|e| e.to_string())?);
        }
    }
    let status = status.unwrap();
    let mut out = pipes[0].take().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&pipes[1].take().unwrap_or_default()).into_owned();
    if out.last() == Some(&b'\n') {
        out.pop();
    }
    if !status.success() {
        let mut message = format!("`{}` failed {}", args_to_log(&argv), exit_text(status));
        let trimmed = stderr.trim();
        if !trimmed.is_empty() {
            message.push_str(": ");
            message.push_str(trimmed);
        }
        return Err(message);
    }
    Ok(CommandOutput { stdout: out, stderr })
}

// ------------------------------------------------------------------------------------------------
// Parsing stdout (SplitYAMLToString in the sidecar, SplitYAML in the repo-server)
// ------------------------------------------------------------------------------------------------

/// The YAML documents of a stream as apimachinery's `YAMLReader` splits them: a line starting
/// with `---` ends a document, and may hold only spaces or a `#` comment after the dashes.
fn split_yaml_documents(text: &str) -> Result<Vec<String>, String> {
    let mut docs = Vec::new();
    let mut buffer = String::new();
    for line in text.split_inclusive('\n') {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(rest) = line.strip_prefix("---") {
            let trimmed = rest.trim();
            if !trimmed.is_empty() && !trimmed.starts_with('#') {
                return Err(format!("invalid Yaml document separator: {trimmed}"));
            }
            if !buffer.is_empty() {
                docs.push(std::mem::take(&mut buffer));
            }
            continue;
        }
        buffer.push_str(line);
        buffer.push('\n');
    }
    if !buffer.is_empty() {
        docs.push(buffer);
    }
    Ok(docs)
}

/// YAML documents of a file for reading `plugin.yaml` (lenient: separator errors end the split).
fn yaml_documents(text: &str) -> Vec<String> {
    let docs = split_yaml_documents(text).unwrap_or_else(|_| vec![text.to_string()]);
    docs.into_iter()
        .filter(|d| d.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')))
        .collect()
}

/// `kube.SplitYAMLToString`: the documents of a plugin's stdout as compact JSON, skipping empty,
/// comment-only and `null` documents. A first non-space `{` means a JSON stream.
pub fn split_yaml_to_string(out: &str) -> Result<Vec<String>, String> {
    let mut manifests = Vec::new();
    if out.trim_start().starts_with('{') {
        for value in serde_json::Deserializer::from_str(out).into_iter::<Value>() {
            let value = value.map_err(|e| format!("failed to unmarshal manifest: {e}"))?;
            if !value.is_null() {
                manifests.push(go_json(&value));
            }
        }
        return Ok(manifests);
    }
    for doc in split_yaml_documents(out).map_err(|e| format!("failed to unmarshal manifest: {e}"))? {
        let value = krm_io::parse_documents(&doc, "manifest", &Limits::default())
            .map_err(|e| format!("failed to unmarshal manifest: error converting YAML to JSON: {e}"))?
            .into_iter()
            .next()
            .unwrap_or(Value::Null);
        if !value.is_null() {
            manifests.push(go_json(&value));
        }
    }
    Ok(manifests)
}

/// `kube.SplitYAML` on one manifest string, as the repo-server runs it: every document must be a
/// JSON object with a non-empty `kind` (apimachinery's `Unstructured` decoding).
pub fn split_yaml(manifest: &str) -> Result<Vec<Value>, String> {
    let mut objects = Vec::new();
    for doc in split_yaml_to_string(manifest)? {
        let value: Value =
            serde_json::from_str(&doc).map_err(|e| format!("failed to unmarshal manifest: {e}"))?;
        let prefix = "failed to unmarshal manifest: error unmarshaling JSON: while decoding JSON: ";
        if !value.is_object() {
            return Err(format!(
                "{prefix}json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_type(&value)
            ));
        }
        if value.get("kind").and_then(Value::as_str).unwrap_or_default().is_empty() {
            return Err(format!("{prefix}Object 'Kind' is missing in '{doc}'"));
        }
        objects.push(value);
    }
    Ok(objects)
}

/// The repo-server's list handling: an object whose `items` is an array becomes its items; one
/// whose `items` is null (and has no `spec` or `status`) is dropped.
fn expand_lists(objects: Vec<Value>) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for object in objects {
        match object.get("items") {
            Some(Value::Array(items)) => {
                for item in items {
                    if !item.is_object() {
                        return Err("resource list item has unexpected type".into());
                    }
                    out.push(item.clone());
                }
            }
            Some(Value::Null) if object.get("spec").is_none() && object.get("status").is_none() => {}
            _ => out.push(object),
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------------------------------------
// Strict checks and object helpers
// ------------------------------------------------------------------------------------------------

/// The API group of an object (`""` for the core group).
pub fn group_of(object: &Value) -> String {
    let api_version = object.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    api_version.rsplit_once('/').map(|(g, _)| g.to_string()).unwrap_or_default()
}

/// The `kind` of an object.
pub fn kind_of(object: &Value) -> &str {
    object.get("kind").and_then(Value::as_str).unwrap_or_default()
}

/// `metadata.name` of an object.
pub fn name_of(object: &Value) -> &str {
    object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default()
}

/// `metadata.namespace` of an object (empty when unset).
pub fn namespace_of(object: &Value) -> &str {
    object.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default()
}

/// Whether a kind is cluster-scoped (well-known Kubernetes, cert-manager, Istio-adjacent kinds).
pub fn is_cluster_scoped(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        ("", "Namespace" | "Node" | "PersistentVolume")
            | ("rbac.authorization.k8s.io", "ClusterRole" | "ClusterRoleBinding")
            | ("apiextensions.k8s.io", "CustomResourceDefinition")
            | ("admissionregistration.k8s.io", _)
            | ("storage.k8s.io", "StorageClass" | "CSIDriver")
            | ("scheduling.k8s.io", "PriorityClass")
            | ("networking.k8s.io", "IngressClass")
            | ("gateway.networking.k8s.io", "GatewayClass")
            | ("cert-manager.io", "ClusterIssuer")
            | ("apiregistration.k8s.io", "APIService")
    )
}

fn strict_problems(objects: &[Value], options: &Options) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, object) in objects.iter().enumerate() {
        let what = format!("object {i} ({} {:?})", kind_of(object), name_of(object));
        if object.get("apiVersion").and_then(Value::as_str).unwrap_or_default().is_empty() {
            problems.push(format!("{what} has no apiVersion"));
        }
        if kind_of(object).is_empty() {
            problems.push(format!("{what} has no kind"));
        }
        if kind_of(object) == "List" {
            problems.push(format!("{what} is a List without items"));
        }
        let generate_name =
            object.pointer("/metadata/generateName").and_then(Value::as_str).unwrap_or_default();
        if name_of(object).is_empty() && generate_name.is_empty() {
            problems.push(format!("{what} has no metadata.name"));
        }
        let key = (
            group_of(object),
            kind_of(object).to_string(),
            namespace_of(object).to_string(),
            name_of(object).to_string(),
        );
        if !name_of(object).is_empty() && !seen.insert(key.clone()) {
            problems.push(format!(
                "duplicate object: group {:?}, kind {}, namespace {:?}, name {:?}",
                key.0, key.1, key.2, key.3
            ));
        }
    }
    if objects.len() < options.min_objects {
        problems.push(format!(
            "the plugin produced {} object(s), fewer than {} (Argo CD accepts it, and with prune deletes the app's resources)",
            objects.len(),
            options.min_objects
        ));
    }
    problems
}

// ------------------------------------------------------------------------------------------------
// generate
// ------------------------------------------------------------------------------------------------

/// The result of a successful [`run`].
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The objects the repo-server ends up with, lists expanded.
    pub objects: Vec<Value>,
    /// What the sidecar returned: one compact JSON string per document.
    pub manifests: Vec<String>,
    /// The generate command's stderr (Argo CD only logs it on success).
    pub stderr: String,
    /// The environment the commands got.
    pub env: Vec<(String, String)>,
}

/// Why the named or discovered plugin is not used, as `DetectConfigManagementPlugin` says.
fn resolve_plugin(
    plugin: &PluginConfig,
    repo_root: &Path,
    app: &App,
    options: &Options,
    env: &[(String, String)],
    name: &str,
    deadline: Instant,
) -> Result<(), String> {
    // v3.4+ appends the last cause; earlier releases only log it (and v2-v3.1 say "couldn't").
    let v3_4 = options.profile == Profile::V3_4_plus;
    let not_found = |cause: Option<String>| {
        let base = if name.is_empty() {
            "could not find plugin supporting the given repository".to_string()
        } else if v3_4 {
            format!(
                "could not find cmp-server plugin with name {} supporting the given repository",
                go_quote(name)
            )
        } else {
            format!(
                "couldn't find cmp-server plugin with name {} supporting the given repository",
                go_quote(name)
            )
        };
        match cause {
            Some(cause) if v3_4 => format!("{base}: {cause}"),
            _ => base,
        }
    };
    let socket = format!("{name}.sock");
    if !name.is_empty() {
        if name.contains('/') || name == ".." {
            return Err(not_found(Some(format!(
                "invalid socket file path, {} is outside plugin socket dir {}",
                go_quote(&socket),
                go_quote(PLUGIN_SOCKET_DIR)
            ))));
        }
        if name != plugin.plugin_name() {
            return Err(not_found(Some(format!(
                "error dialing to cmp-server for plugin {socket}: error dial proxy: dial unix \
                 {PLUGIN_SOCKET_DIR}/{socket}: connect: no such file or directory"
            ))));
        }
    }
    if !plugin.discover.is_defined() {
        return if name.is_empty() { Err(not_found(None)) } else { Ok(()) };
    }
    match match_repository(plugin, repo_root, app, options, env, deadline) {
        Ok(true) => Ok(()),
        Ok(false) => Err(not_found(None)),
        Err(e) => Err(not_found(Some(format!(
            "error checking repository support for plugin {}.sock: rpc error: code = Unknown desc = match \
             repository error: {e}",
            plugin.plugin_name()
        )))),
    }
}

/// `matchRepository`, in its own work directory (Argo CD streams the repository for it).
fn match_repository(
    plugin: &PluginConfig,
    repo_root: &Path,
    app: &App,
    options: &Options,
    env: &[(String, String)],
    deadline: Instant,
) -> Result<bool, String> {
    let (work, _) = WorkDir::create(repo_root, options, plugin.preserve_file_mode)?;
    let work_str = work.dir.display().to_string();
    // securejoin: the app path stays inside the work directory.
    let mut app_dir = go_join(&[&work_str, &app.path]);
    if !app_dir.starts_with(&work_str) {
        app_dir = work_str.clone();
    }
    let discover = &plugin.discover;
    if !discover.file_name.is_empty() {
        let pattern = go_join(&[&app_dir, &discover.file_name]);
        let matches = go_glob(&pattern)
            .map_err(|e| format!("error finding filename match for pattern {}: {e}", go_quote(&pattern)))?;
        return Ok(!matches.is_empty());
    }
    if !discover.glob.is_empty() {
        let pattern = go_join(&[&app_dir, &discover.glob]);
        let matches = double_star_glob(&pattern)
            .map_err(|e| format!("error finding glob match for pattern {}: {e}", go_quote(&pattern)))?;
        return Ok(!matches.is_empty());
    }
    if discover.find.is_set() {
        let env = command_env(&options.sidecar_env, env, options.profile);
        let out = run_command(&discover.find, Path::new(&app_dir), &env, deadline)
            .map_err(|e| format!("error running find command: {e}"))?;
        return Ok(!out.stdout.is_empty());
    }
    Ok(false)
}

/// Run `plugin` for `app` on the repository at `repo_root` as Argo CD would, with the strict
/// checks of [`Options`]. The error is the text the Application's condition would show (plus the
/// harness's own strict-check messages, which say so).
pub fn run(plugin: &PluginConfig, repo_root: &Path, app: &App, options: &Options) -> Result<Outcome, String> {
    let deadline = Instant::now() + options.timeout.saturating_sub(CMP_TIMEOUT_BUFFER);
    let profile = options.profile;
    let prefix = profile.error_prefix(app);
    // util/app/path.Path in the repo-server.
    if Path::new(&app.path).is_absolute() {
        return Err(format!("{}: app path is absolute", app.path));
    }
    let root = repo_root.display().to_string();
    let app_in_repo = go_join(&[&root, &app.path]);
    if !app_in_repo.starts_with(&go_clean(&root)) {
        return Err(format!("{}: app path outside root", app.path));
    }
    match std::fs::metadata(&app_in_repo) {
        Err(_) => return Err(format!("{}: app path does not exist", app.path)),
        Ok(meta) if !meta.is_dir() => return Err(format!("{}: app path is not a directory", app.path)),
        Ok(_) => {}
    }
    // GetAppSourceType applies the overrides kept in Git first.
    let app = &apply_source_overrides(app, repo_root)
        .map_err(|e| format!("error getting app source type: error while parsing source parameters: {e}"))?;
    let name = app.plugin.as_ref().map(|p| p.name.clone()).unwrap_or_default();
    if app.plugin.is_none() {
        // GetAppSourceType: discovery first, with only the ARGOCD_APP_* variables.
        let build_env = request_env(app, profile, false);
        resolve_plugin(plugin, repo_root, app, options, &build_env, "", deadline).map_err(|e| {
            format!(
                "the Application has no plugin section and Argo CD would not pick this plugin for it \
                 (it would use its built-in Helm, Kustomize or Directory type instead): {e}"
            )
        })?;
    }
    let env = request_env(app, profile, true);
    resolve_plugin(plugin, repo_root, app, options, &env, &name, deadline)
        .map_err(|e| format!("{prefix}{e}"))?;

    let in_cmp = |e: String| format!("{prefix}error generating manifests in cmp: {e}");
    let rpc = |e: String| in_cmp(format!("rpc error: code = Unknown desc = {e}"));
    let (work, files) = WorkDir::create(repo_root, options, plugin.preserve_file_mode)
        .map_err(|e| rpc(format!("generate manifest error receiving stream: {e}")))?;
    if files == 0 {
        return Err(in_cmp(format!(
            "error sending file to cmp-server: no files to send({})",
            repo_root.display()
        )));
    }
    let app_dir = work.app_dir(&app.path).map_err(rpc)?;
    let command_env = command_env(&options.sidecar_env, &env, profile);
    let generating = |e: String| rpc(format!("error generating manifests: {e}"));
    if plugin.init.is_set() {
        run_command(&plugin.init, &app_dir, &command_env, deadline).map_err(generating)?;
    }
    let output = run_command(&plugin.generate, &app_dir, &command_env, deadline).map_err(generating)?;
    drop(work);

    let strict = |e: String| format!("harness strict check (Argo CD would accept this): {e}");
    if output.stdout.len() > options.max_output_bytes {
        return Err(strict(format!(
            "the plugin printed {} bytes, more than the budget of {}",
            output.stdout.len(),
            options.max_output_bytes
        )));
    }
    let text = match std::str::from_utf8(&output.stdout) {
        Ok(text) => text,
        Err(e) => return Err(strict(format!("stdout is not UTF-8 (at byte {})", e.valid_up_to()))),
    };
    let manifests = split_yaml_to_string(text).map_err(generating)?;
    let mut objects = Vec::new();
    for manifest in &manifests {
        let parsed = split_yaml(manifest)
            .map_err(|e| format!("{prefix}failed to convert CMP manifests to unstructured objects: {e}"))?;
        objects.extend(parsed);
    }
    let objects = expand_lists(objects)?;
    let problems = strict_problems(&objects, options);
    if !problems.is_empty() {
        return Err(strict(problems.join("; ")));
    }
    Ok(Outcome { objects, manifests, stderr: output.stderr, env: command_env })
}

/// [`run`], returning only the objects.
pub fn generate(
    plugin: &PluginConfig,
    repo_root: &Path,
    app: &App,
    options: &Options,
) -> Result<Vec<Value>, String> {
    run(plugin, repo_root, app, options).map(|outcome| outcome.objects)
}
