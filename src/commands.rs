//! The ways the function is invoked. Each takes its input as bytes or paths and writes to the
//! writers it is given, so the binary stays a thin shell and tests can drive every mode in-process.
//!
//! | mode | input | output |
//! |---|---|---|
//! | KRM (no arguments) | a ResourceList on stdin | a ResourceList on stdout (items and results) |
//! | legacy kustomize exec plugin (`mesh-ingress CONFIG_FILE`) | config file; a YAML stream on stdin (empty for a generator) | a YAML stream |
//! | `render CONFIG [FILE...]` | config file and YAML files, directories or `-` | a YAML stream, without local-config objects |
//! | `check PATH...` | files and directories holding MeshIngress configs | problems on stderr, a summary line per config |
//!
//! Exit codes: 0 success; 1 the config has errors (reported as results and on stderr); 2 the input
//! could not be read at all.

use crate::api;
use crate::error::Error;
use crate::krm::ResourceList;
use crate::krm::io::{self, Limits};
use crate::krm::object;
use crate::krm::result::{KrmResult, Severity};
use crate::pipeline::{self, Mode, Outcome};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: the config has errors.
pub const EXIT_CONFIG_ERROR: i32 = 1;
/// Exit code: the input could not be read.
pub const EXIT_BAD_INPUT: i32 = 2;

/// Stack size of the worker thread. Parsing and serializing recurse once per nesting level; the
/// parser stops input at [`Limits::DEFAULT_MAX_DEPTH`] levels, and this leaves a wide margin for that
/// depth even in unoptimized builds. Untouched stack pages cost no memory.
pub const WORKER_STACK_BYTES: usize = 64 * 1024 * 1024;

/// Run `work` on a thread with a [`WORKER_STACK_BYTES`] stack. `None` when the thread cannot be
/// started. A panic in `work` propagates unchanged.
pub fn on_large_stack<T: Send>(work: impl FnOnce() -> T + Send) -> Option<T> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("mesh-ingress".to_string())
            .stack_size(WORKER_STACK_BYTES)
            .spawn_scoped(scope, work)
            .ok()?;
        match handle.join() {
            Ok(value) => Some(value),
            Err(payload) => std::panic::resume_unwind(payload),
        }
    })
}

/// Print the results of `min` severity or worse to stderr, one line each.
pub fn report(results: &[KrmResult], min: Severity, stderr: &mut dyn Write) {
    for result in results.iter().filter(|r| r.severity <= min) {
        // stderr is best effort: a closed stderr must not turn success into failure.
        let _ = writeln!(stderr, "mesh-ingress: {}", result.to_line());
    }
}

/// The one stderr line of KRM mode: how many errors and warnings the results hold, without their
/// text (kpt prints that under Results), and how to see them where results are not shown.
pub fn summary_line(results: &[KrmResult]) -> Option<String> {
    let count = |severity: Severity| results.iter().filter(|r| r.severity == severity).count();
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let see = "listed in the ResourceList results (`mesh-ingress render CONFIG` prints them too)";
    match (errors, warnings) {
        (0, 0) => None,
        (0, w) => Some(format!("{w} warning(s), {see}")),
        (e, 0) => Some(format!("nothing rendered: {e} error(s), {see}")),
        (e, w) => Some(format!("nothing rendered: {e} error(s) and {w} warning(s), {see}")),
    }
}

/// KRM function mode: ResourceList in, ResourceList out.
pub fn krm(
    input: &[u8],
    limits: &Limits,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, Error> {
    let text = io::decode_text(input, limits)?;
    let list = ResourceList::parse_text(text, limits)?;
    let segments = list.segments;
    let function_config = list.function_config;
    let Outcome { mut items, mut results, changes, mut origins } =
        pipeline::process(list.items, function_config.as_ref(), Mode::Krm);
    // Items this function could not read go back as they came, after the others.
    results.extend(list.opaque.iter().map(|opaque| opaque.result(text)));
    crate::krm::result::sort_results(&mut results);
    let mut opaque_text: Vec<Option<&str>> = Vec::new();
    for opaque in &list.opaque {
        items.push(Value::Null);
        origins.push(None);
        opaque_text.push(text.get(opaque.range.clone()));
    }
    let failed = crate::krm::result::has_errors(&results);
    // kpt prints the results itself, and also prints stderr: a finding written to both would be shown
    // twice. stderr gets one line that counts them and says where they are (kustomize, which never
    // prints results, shows that line, and `mesh-ingress render` shows every finding).
    if let Some(line) = summary_line(&results) {
        let _ = writeln!(stderr, "mesh-ingress: {line}");
    }
    if changes.updated + changes.pruned > 0 {
        let _ = writeln!(
            stderr,
            "mesh-ingress: {} object(s) updated, {} pruned",
            changes.updated, changes.pruned
        );
    }
    // Items this function left alone go back as the text they came in (see krm::verbatim).
    let read = origins.len() - opaque_text.len();
    let verbatim: Vec<Option<&str>> = origins[..read]
        .iter()
        .map(|origin| origin.and_then(|i| segments.get(i).cloned().flatten()).map(|range| &text[range]))
        .chain(opaque_text)
        .collect();
    crate::krm::write_list(&items, &verbatim, function_config.as_ref(), &results, stdout)?;
    Ok(if failed { EXIT_CONFIG_ERROR } else { EXIT_OK })
}

/// Read at most one byte more than the input limit, so a huge file or stream is refused without
/// first being read whole into memory (`decode_text` then reports the limit).
pub fn read_limited(reader: impl std::io::Read, what: &str, limits: &Limits) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let mut bytes = Vec::new();
    reader
        .take(limits.max_input_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| Error::ReadFile { path: what.to_string(), source })?;
    Ok(bytes)
}

fn read_file(path: &Path, limits: &Limits) -> Result<Vec<u8>, Error> {
    let file = std::fs::File::open(path)
        .map_err(|source| Error::ReadFile { path: path.display().to_string(), source })?;
    read_limited(file, &path.display().to_string(), limits)
}

/// kustomize's legacy exec plugin protocol: `argv[1]` is the config file; stdin is empty for a
/// generator and a YAML stream of the current resources for a transformer.
pub fn legacy_plugin(
    config_path: &Path,
    input: &[u8],
    limits: &Limits,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, Error> {
    let bytes = read_file(config_path, limits)?;
    let config =
        io::parse_document(io::decode_text(&bytes, limits)?, &config_path.display().to_string(), limits)?;
    let items = io::parse_documents(io::decode_text(input, limits)?, "stdin", limits)?;
    let outcome = pipeline::process(items, Some(&config), Mode::Stream);
    report(&outcome.results, Severity::Warning, stderr);
    if outcome.failed() {
        return Ok(EXIT_CONFIG_ERROR);
    }
    io::write_stream(&outcome.items, stdout)?;
    Ok(EXIT_OK)
}

/// Values that override the config from the command line (`--set key=value`) or from Argo CD.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    /// `(key, value)` pairs, applied in order.
    pub values: Vec<(String, String)>,
}

/// Keys `--set` accepts, with what they set on a typed MeshIngress.
pub const OVERRIDE_KEYS: &[(&str, &str)] = &[
    ("name", "metadata.name (the instance name)"),
    ("namespace", "spec.namespace"),
    ("revision", "spec.revision"),
    ("domains", "spec.domains (comma-separated)"),
    ("acmeServer", "spec.issuers[*].acme.server of every ACME issuer"),
    ("email", "spec.issuers[*].acme.email of every ACME issuer"),
];

/// The Argo CD variable suffix of an override key (`acmeServer` -> `ACME_SERVER`), used after
/// `ARGOCD_ENV_` (the prefix Argo CD puts on `spec.source.plugin.env` names).
pub fn env_name(key: &str) -> String {
    let mut out = String::new();
    for c in key.chars() {
        if c.is_ascii_uppercase() && !out.is_empty() {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// How Argo CD names the variable of a parameter (`escaped()` in Argo CD's source): uppercase, every
/// character other than `A-Z0-9_` becomes `_`.
pub fn param_name(name: &str) -> String {
    name.to_uppercase()
        .chars()
        .map(|c| if c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' { c } else { '_' })
        .collect()
}

impl Overrides {
    /// Overrides from an Argo CD config management plugin's environment: `spec.source.plugin.env`
    /// entries arrive as `ARGOCD_ENV_<NAME>` (for example `ARGOCD_ENV_DOMAINS`), and
    /// `spec.source.plugin.parameters` as the JSON `ARGOCD_APP_PARAMETERS` (or, failing that, as
    /// `PARAM_<NAME>` and `PARAM_<NAME>_<index>`). Parameters win over env entries.
    pub fn from_argocd(vars: &std::collections::BTreeMap<String, String>) -> Result<Self, Error> {
        let keys: Vec<&str> = OVERRIDE_KEYS.iter().map(|(k, _)| *k).collect();
        let mut values = Vec::new();
        let env_names: Vec<String> = keys.iter().map(|k| format!("ARGOCD_ENV_{}", env_name(k))).collect();
        // Every `spec.source.plugin.env` entry is meant for this plugin, so a name we do not know is a
        // typo that would otherwise be ignored silently.
        for name in vars.keys().filter(|n| n.starts_with("ARGOCD_ENV_")) {
            if !env_names.contains(name) {
                let candidates: Vec<&str> = env_names.iter().map(String::as_str).collect();
                let hint = api::decode::suggest(name, &candidates)
                    .map(|s| format!(" (did you mean {s:?}?)"))
                    .unwrap_or_default();
                let env: Vec<String> = keys.iter().map(|k| env_name(k)).collect();
                return Err(Error::BadInput(format!(
                    "plugin env {:?} is not supported{hint}; supported: {}",
                    name.trim_start_matches("ARGOCD_ENV_"),
                    env.join(", ")
                )));
            }
        }
        for (key, name) in keys.iter().zip(&env_names) {
            if let Some(value) = vars.get(name) {
                values.push((key.to_string(), value.clone()));
            }
        }
        let json =
            vars.get("ARGOCD_APP_PARAMETERS").map(|j| j.trim()).filter(|j| !j.is_empty() && *j != "null");
        if let Some(json) = json {
            let parameters: Vec<serde_json::Map<String, Value>> =
                serde_json::from_str(json).map_err(|e| {
                    Error::BadInput(format!("ARGOCD_APP_PARAMETERS is not a JSON list of parameters: {e}"))
                })?;
            for parameter in parameters {
                let name = parameter.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
                if !keys.contains(&name.as_str()) {
                    let hint = api::decode::suggest(&name, &keys)
                        .map(|s| format!(" (did you mean {s:?}?)"))
                        .unwrap_or_default();
                    return Err(Error::BadInput(format!(
                        "plugin parameter {name:?} is not supported{hint}; supported: {}",
                        keys.join(", ")
                    )));
                }
                let value = match (parameter.get("string"), parameter.get("array")) {
                    (Some(Value::String(s)), _) => s.clone(),
                    (_, Some(Value::Array(items))) => {
                        items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(",")
                    }
                    _ => {
                        return Err(Error::BadInput(format!(
                            "plugin parameter {name:?} needs a string or an array value"
                        )));
                    }
                };
                values.push((name, value));
            }
        } else {
            for key in &keys {
                let base = format!("PARAM_{}", param_name(key));
                if let Some(value) = vars.get(&base) {
                    values.push((key.to_string(), value.clone()));
                    continue;
                }
                let items: Vec<&String> = (0..).map_while(|i| vars.get(&format!("{base}_{i}"))).collect();
                if !items.is_empty() {
                    values.push((key.to_string(), items.into_iter().cloned().collect::<Vec<_>>().join(",")));
                }
            }
        }
        Ok(Overrides { values })
    }

    /// Parse `key=value` arguments.
    pub fn parse(args: &[String]) -> Result<Self, Error> {
        let mut values = Vec::new();
        for arg in args {
            let Some((key, value)) = arg.split_once('=') else {
                return Err(Error::BadInput(format!("--set {arg:?}: expected key=value")));
            };
            let keys: Vec<&str> = OVERRIDE_KEYS.iter().map(|(k, _)| *k).collect();
            if !keys.contains(&key) {
                let hint = api::decode::suggest(key, &keys)
                    .map(|s| format!(" (did you mean {s:?}?)"))
                    .unwrap_or_default();
                return Err(Error::BadInput(format!(
                    "--set {key:?} is not supported{hint}; supported keys: {}",
                    keys.join(", ")
                )));
            }
            values.push((key.to_string(), value.to_string()));
        }
        Ok(Overrides { values })
    }

    /// Apply to a config document (typed MeshIngress or ConfigMap).
    pub fn apply(&self, config: &mut Value) {
        let is_config_map = object::kind(config) == "ConfigMap";
        for (key, value) in &self.values {
            if is_config_map {
                if let Some(data) = ensure_object(config, "data") {
                    data.insert(key.clone(), Value::String(value.clone()));
                }
                continue;
            }
            match key.as_str() {
                "name" => {
                    if let Some(metadata) = ensure_object(config, "metadata") {
                        metadata.insert("name".to_string(), Value::String(value.clone()));
                    }
                }
                "namespace" | "revision" => {
                    if let Some(spec) = ensure_object(config, "spec") {
                        spec.insert(key.clone(), Value::String(value.clone()));
                    }
                }
                "domains" => {
                    let list = value
                        .split([',', ' '])
                        .map(str::trim)
                        .filter(|d| !d.is_empty())
                        .map(|d| Value::String(d.to_string()))
                        .collect();
                    if let Some(spec) = ensure_object(config, "spec") {
                        spec.insert("domains".to_string(), Value::Array(list));
                    }
                }
                "acmeServer" | "email" => {
                    let field = if key == "acmeServer" { "server" } else { "email" };
                    if let Some(Value::Array(issuers)) = config.pointer_mut("/spec/issuers") {
                        for issuer in issuers {
                            if let Some(Value::Object(acme)) = issuer.get_mut("acme") {
                                acme.insert(field.to_string(), Value::String(value.clone()));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn ensure_object<'a>(value: &'a mut Value, key: &str) -> Option<&'a mut serde_json::Map<String, Value>> {
    let map = value.as_object_mut()?;
    let entry = map.entry(key.to_string()).or_insert_with(|| Value::Object(Default::default()));
    if !entry.is_object() {
        *entry = Value::Object(Default::default());
    }
    entry.as_object_mut()
}

/// Find the config document in a file: its only document, or its only MeshIngress.
pub fn read_config(path: &Path, limits: &Limits) -> Result<Value, Error> {
    let bytes = read_file(path, limits)?;
    let name = path.display().to_string();
    let docs = io::parse_documents(io::decode_text(&bytes, limits)?, &name, limits)?;
    if docs.len() == 1 {
        return Ok(docs.into_iter().next().unwrap_or_default());
    }
    let mut configs: Vec<Value> = docs.into_iter().filter(|d| object::kind(d) == api::KIND).collect();
    match configs.len() {
        1 => Ok(configs.remove(0)),
        0 => Err(Error::BadInput(format!("{name} holds no {} document", api::KIND))),
        n => Err(Error::BadInput(format!("{name} holds {n} {} documents; render one at a time", api::KIND))),
    }
}

/// The `*.yaml` and `*.yml` files directly in `dir` (without dotfiles), in name order. `root` is the
/// directory the user named (`dir` itself, or an ancestor when searching recursively). Only regular
/// files are read: a symbolic link is followed only when its target is a regular file inside `root`;
/// one that leads outside it (or nowhere) is refused, so a link to, say, a Secret elsewhere on the
/// machine is never read into the output.
fn yaml_files(dir: &Path, root: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = std::fs::read_dir(dir)
        .map_err(|source| Error::ReadFile { path: dir.display().to_string(), source })?;
    let mut files = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        // Dotfiles are tool state, not manifests: Argo CD keeps parameter overrides in
        // `.argocd-source*.yaml` beside the manifests, and editors leave hidden swap files.
        let hidden = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        let yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
        if hidden || !yaml {
            continue;
        }
        let file_type = entry
            .file_type()
            .map_err(|source| Error::ReadFile { path: path.display().to_string(), source })?;
        if file_type.is_file() {
            files.push(path);
        } else if file_type.is_symlink() {
            if let Some(target) = link_inside(&path, root)?
                && target.is_file()
            {
                files.push(path);
            }
        } else if !file_type.is_dir() {
            return Err(Error::BadInput(format!(
                "{} is not a regular file (a device, pipe or socket); only regular files are read from {}",
                path.display(),
                root.display()
            )));
        }
    }
    files.sort();
    Ok(files)
}

/// The target of the symbolic link `link`, when it stays inside `root`; an error when it leads outside
/// `root` or cannot be resolved.
fn link_inside(link: &Path, root: &Path) -> Result<Option<PathBuf>, Error> {
    let refuse = |why: String| {
        Err(Error::BadInput(format!(
            "{} is a symbolic link {why}; only files inside {} are read (copy the file in, or name it as an argument)",
            link.display(),
            root.display()
        )))
    };
    let (Ok(target), Ok(root)) = (std::fs::canonicalize(link), std::fs::canonicalize(root)) else {
        return refuse("that cannot be followed".to_string());
    };
    if target.starts_with(&root) {
        Ok(Some(target))
    } else {
        refuse(format!("to {}, outside the directory", target.display()))
    }
}

/// Whether an item is configuration for tools rather than something to apply: marked
/// `config.kubernetes.io/local-config`, a MeshIngress, or a kustomize or kpt file read from a directory.
pub fn is_local_config(item: &Value) -> bool {
    let group = object::group_of(object::api_version(item));
    object::annotation(item, object::LOCAL_CONFIG_ANNOTATION).is_some_and(|v| v != "false")
        || group == api::GROUP
        || group == "kustomize.config.k8s.io"
        || group == "kpt.dev"
        || group == "config.kubernetes.io"
}

/// The objects of `render`'s and `graph`'s FILE arguments: files, directories (their `*.yaml` and
/// `*.yml` files, without dotfiles and without the config file itself) and `-` (stdin), each checked
/// to be a Kubernetes object.
pub fn read_inputs(
    config_path: &Path,
    inputs: &[PathBuf],
    stdin: &mut dyn std::io::Read,
    limits: &Limits,
) -> Result<Vec<Value>, Error> {
    let config_file = std::fs::canonicalize(config_path).ok();
    let mut items = Vec::new();
    for input in inputs {
        if input.as_os_str() == "-" {
            let bytes = read_limited(&mut *stdin, "stdin", limits)?;
            items.extend(io::parse_documents(io::decode_text(&bytes, limits)?, "stdin", limits)?);
            continue;
        }
        let files = if input.is_dir() { yaml_files(input, input)? } else { vec![input.clone()] };
        for file in files {
            if input.is_dir() && std::fs::canonicalize(&file).ok() == config_file {
                continue;
            }
            let bytes = read_file(&file, limits)?;
            items.extend(io::parse_documents(
                io::decode_text(&bytes, limits)?,
                &file.display().to_string(),
                limits,
            )?);
        }
    }
    if let Some((index, item)) = items.iter().enumerate().find(|(_, item)| !item.is_object()) {
        return Err(Error::BadInput(format!(
            "input document {index} is a {}, not a Kubernetes object",
            crate::krm::type_name(item)
        )));
    }
    // kubectl and Argo CD refuse such a document later with a less helpful message; say which one.
    if let Some((index, item)) = items
        .iter()
        .enumerate()
        .find(|(_, item)| object::api_version(item).is_empty() || object::kind(item).is_empty())
    {
        let name = object::name(item);
        let name = if name.is_empty() { String::new() } else { format!(" ({name:?})") };
        return Err(Error::BadInput(format!(
            "input document {index}{name} has no apiVersion or kind; expected a Kubernetes object"
        )));
    }
    Ok(items)
}

/// `render CONFIG [FILE...]`: the inputs plus the generated objects as a plain YAML stream. A FILE may
/// be `-` (stdin) or a directory (its `*.yaml`/`*.yml` files). Local-config objects (the MeshIngress
/// itself, Kptfiles) are left out, so the stream can be applied as is.
///
/// Every finding goes to stderr, info included (the object summary, the cluster prerequisites), since
/// CI logs and Argo CD show nothing else; `quiet` leaves out the info ones. Errors always show.
#[allow(clippy::too_many_arguments)]
pub fn render(
    config_path: &Path,
    inputs: &[PathBuf],
    overrides: &Overrides,
    quiet: bool,
    stdin: &mut dyn std::io::Read,
    limits: &Limits,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, Error> {
    let mut config = read_config(config_path, limits)?;
    overrides.apply(&mut config);
    let items = read_inputs(config_path, inputs, stdin, limits)?;
    let outcome = pipeline::process(items, Some(&config), Mode::Stream);
    report(&outcome.results, if quiet { Severity::Warning } else { Severity::Info }, stderr);
    if outcome.failed() {
        return Ok(EXIT_CONFIG_ERROR);
    }
    let items: Vec<Value> = outcome.items.into_iter().filter(|item| !is_local_config(item)).collect();
    io::write_stream(&items, stdout)?;
    Ok(EXIT_OK)
}

/// The YAML files under `path`, recursively (a file itself when `path` is one), in name order;
/// dot-directories and dotfiles are skipped as tool state.
fn yaml_files_recursive(path: &Path) -> Result<Vec<PathBuf>, Error> {
    yaml_files_under(path, path)
}

fn yaml_files_under(path: &Path, root: &Path) -> Result<Vec<PathBuf>, Error> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = yaml_files(path, root)?;
    let entries = std::fs::read_dir(path)
        .map_err(|source| Error::ReadFile { path: path.display().to_string(), source })?;
    let mut dirs = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let dir = entry.path();
        if dir.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')) {
            continue;
        }
        match entry.file_type() {
            Ok(t) if t.is_dir() => dirs.push(dir),
            // A linked directory inside `root` is read through its own path already (and following
            // it could loop); one outside is refused like a linked file.
            Ok(t) if t.is_symlink() && dir.is_dir() => {
                link_inside(&dir, root)?;
            }
            _ => {}
        }
    }
    dirs.sort();
    for dir in dirs {
        files.extend(yaml_files_under(&dir, root)?);
    }
    Ok(files)
}

/// `check PATH...`: every MeshIngress config in the files and directories (searched recursively), each
/// validated as a render would validate it, with the others beside it, so the configs of one mesh's
/// clusters (one kpt package or kustomize overlay per cluster) are checked against each other. Nothing
/// is rendered; problems go to stderr, one summary line per config to stdout.
pub fn check(
    paths: &[PathBuf],
    limits: &Limits,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, Error> {
    let mut configs: Vec<(String, Value)> = Vec::new();
    for path in paths {
        for file in yaml_files_recursive(path)? {
            let name = file.display().to_string();
            let bytes = read_file(&file, limits)?;
            for (index, mut doc) in
                io::parse_documents(io::decode_text(&bytes, limits)?, &name, limits)?.into_iter().enumerate()
            {
                if !crate::ownership::is_mesh_ingress(&doc) {
                    continue;
                }
                // Results name the file, as they do under kpt.
                if object::file_of(&doc).is_none()
                    && let Some(annotations) = doc
                        .as_object_mut()
                        .and_then(|d| {
                            d.entry("metadata").or_insert_with(|| serde_json::json!({})).as_object_mut()
                        })
                        .map(|m| m.entry("annotations").or_insert_with(|| serde_json::json!({})))
                        .and_then(Value::as_object_mut)
                {
                    annotations
                        .insert("internal.config.kubernetes.io/path".into(), Value::String(name.clone()));
                    annotations.insert(
                        "internal.config.kubernetes.io/index".into(),
                        Value::String(index.to_string()),
                    );
                }
                configs.push((name.clone(), doc));
            }
        }
    }
    if configs.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::BadInput(format!("no {} config found in {}", api::KIND, shown.join(", "))));
    }
    let mut failed = false;
    for (i, (file, config)) in configs.iter().enumerate() {
        let others: Vec<Value> =
            configs.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, (_, c))| c.clone()).collect();
        let outcome = pipeline::process(others, Some(config), Mode::Stream);
        report(&outcome.results, Severity::Warning, stderr);
        failed |= outcome.failed();
        let count = |severity: Severity| outcome.results.iter().filter(|r| r.severity == severity).count();
        writeln!(
            stdout,
            "{file}: MeshIngress {:?}: {} error(s), {} warning(s)",
            object::name(config),
            count(Severity::Error),
            count(Severity::Warning)
        )
        .map_err(Error::Write)?;
    }
    Ok(if failed { EXIT_CONFIG_ERROR } else { EXIT_OK })
}

/// What `schema` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaFormat {
    /// JSON Schema (draft 2020-12).
    JsonSchema,
    /// A CustomResourceDefinition (YAML).
    Crd,
    /// The Markdown field reference.
    Markdown,
}

/// `schema`: the JSON Schema of MeshIngress, the CustomResourceDefinition, or the field reference.
pub fn schema(format: SchemaFormat, stdout: &mut dyn Write) -> Result<i32, Error> {
    if format == SchemaFormat::Markdown {
        stdout.write_all(api::reference::markdown().as_bytes()).map_err(Error::Write)?;
    } else if format == SchemaFormat::Crd {
        io::write_yaml(&api::schema::crd(), stdout)?;
    } else {
        let text = serde_json::to_string_pretty(&api::schema::json_schema())
            .map_err(|e| Error::Serialize(e.to_string()))?;
        writeln!(stdout, "{text}").map_err(Error::Write)?;
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn argocd_env_entries_map_to_override_keys() {
        let overrides = Overrides::from_argocd(&vars(&[
            ("ARGOCD_ENV_ACME_SERVER", "https://staging"),
            ("ARGOCD_ENV_DOMAINS", "a.example.com"),
            ("ARGOCD_APP_NAME", "shop"),
        ]))
        .unwrap();
        assert_eq!(
            overrides.values,
            vec![
                ("domains".to_string(), "a.example.com".to_string()),
                ("acmeServer".to_string(), "https://staging".to_string()),
            ]
        );
    }

    #[test]
    fn an_unknown_argocd_env_entry_is_an_error_with_a_suggestion() {
        let Err(Error::BadInput(message)) = Overrides::from_argocd(&vars(&[("ARGOCD_ENV_DOMAIN", "x")]))
        else {
            panic!("expected an error");
        };
        assert!(message.contains("\"DOMAIN\"") && message.contains("did you mean \"ARGOCD_ENV_DOMAINS\""));
    }

    #[test]
    fn directories_follow_links_only_inside() {
        let base = std::env::temp_dir().join(format!("mesh-ingress-links-{}", std::process::id()));
        let dir = base.join("package");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(base.join("secret.yaml"), "kind: Secret").unwrap();
        std::fs::write(dir.join("sub/real.yaml"), "").unwrap();
        std::os::unix::fs::symlink("sub/real.yaml", dir.join("inside.yaml")).unwrap();
        let inside = yaml_files(&dir, &dir).unwrap();
        std::os::unix::fs::symlink("../secret.yaml", dir.join("outside.yaml")).unwrap();
        let outside = yaml_files(&dir, &dir).map_err(|e| e.to_string());
        std::fs::remove_file(dir.join("outside.yaml")).unwrap();
        std::os::unix::fs::symlink("../..", dir.join("sub/up")).unwrap();
        let recursive = yaml_files_recursive(&dir).map_err(|e| e.to_string());
        let _ = std::fs::remove_dir_all(&base);
        assert_eq!(inside, [dir.join("inside.yaml")]);
        let message = outside.unwrap_err();
        assert!(
            message.contains("outside.yaml is a symbolic link to")
                && message.contains("outside the directory"),
            "{message}"
        );
        assert!(recursive.unwrap_err().contains("sub/up is a symbolic link to"));
    }

    #[test]
    fn directories_skip_dotfiles_and_other_extensions() {
        let dir = std::env::temp_dir().join(format!("mesh-ingress-yaml-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in [".argocd-source.yaml", "a.yaml", "b.yml", "c.json", ".swp.yaml"] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        let names: Vec<String> = yaml_files(&dir, &dir)
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(names, ["a.yaml", "b.yml"]);
    }
}
