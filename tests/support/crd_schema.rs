//! Strict OpenAPI-v3 validator for Kubernetes `CustomResourceDefinition` schemas.
//!
//! Test-support code: include it from an integration test with
//!
//! ```ignore
//! #[path = "support/crd_schema.rs"]
//! mod crd_schema;
//! ```
//!
//! A [`CrdCatalog`] is loaded from upstream CRD manifests (multi-document YAML;
//! documents that are not `kind: CustomResourceDefinition` are skipped) and maps
//! `(group, version, kind)` to the version's `schema.openAPIV3Schema` and its
//! `served` flag. [`CrdCatalog::validate`] then checks a whole object the way
//! `kubectl apply --validate=strict` plus the API server's structural-schema
//! validation would, and reports **every** problem as a `"path: message"` string,
//! e.g. `spec.servers[0].tls.mdoe: unknown field`.
//!
//! # Implemented
//!
//! * Top level: `apiVersion` / `kind` strings, lookup of the served version, and a
//!   light `ObjectMeta` check of `metadata` (required DNS-1123 `name`, `namespace`,
//!   `labels` / `annotations` with Kubernetes key and value syntax, the other
//!   standard `ObjectMeta` fields by type, anything else is an unknown field).
//!   `apiVersion`, `kind` and `metadata` are always allowed at the root, as in
//!   the API server, even when the schema does not declare them.
//! * `type` with JSON semantics (`integer` must be a JSON integer, `number`
//!   accepts integers), `nullable`, `properties`, `required`,
//!   `additionalProperties` (`true`, `false` or a schema for map values),
//!   `x-kubernetes-preserve-unknown-fields`, `x-kubernetes-int-or-string`,
//!   `x-kubernetes-embedded-resource`, `items`, `enum`, `minimum` / `maximum`
//!   with `exclusiveMinimum` / `exclusiveMaximum` (OpenAPI-3.0 booleans or
//!   JSON-Schema numbers), `multipleOf`, `minLength` / `maxLength` (counted in
//!   characters), `minItems` / `maxItems`, `minProperties` / `maxProperties`,
//!   `uniqueItems`, `pattern` (unanchored search, like Go's `regexp.MatchString`),
//!   `format` `int32` / `int64` (range), `ipv4` / `ipv6` (address syntax) and
//!   `byte` (padded standard base64), `x-kubernetes-list-type: set | map`
//!   (duplicate detection, using `x-kubernetes-list-map-keys`), and
//!   `allOf` / `anyOf` / `oneOf` / `not` with JSON-Schema semantics.
//! * Unknown properties are errors unless `x-kubernetes-preserve-unknown-fields`
//!   or `additionalProperties` allows them. Inside `allOf` / `anyOf` / `oneOf` /
//!   `not` branches only value validations apply (structural-schema rule): a
//!   branch never reports unknown fields, because in a structural schema the
//!   set of allowed fields is decided by the schema outside the junctors.
//! * `x-kubernetes-validations` (CEL rules), evaluated at the schema node that
//!   declares them with `self` bound to the node's (defaulted) value, as the API
//!   server does on create: see `crd_cel.rs` for the binding, the Kubernetes
//!   library functions and what is not modelled. Every rule is compiled at load
//!   time; a rule that cannot be evaluated here (a transition rule using
//!   `oldSelf`, or a call to a function the evaluator lacks) is recorded with the
//!   reason ([`CrdCatalog::cel_not_evaluable`]) rather than passed silently. A rule
//!   that fails reports its `messageExpression` / `message`; a rule that errors
//!   (say, a missing field) is a failure too, as in the API server.
//! * Defaults: like the API server, the object is first defaulted from the
//!   schema's `default`s (missing or non-nullable `null` properties), then
//!   validated; so a missing `required` field that has a default is fine, and
//!   junctors see defaulted values. [`CrdCatalog::with_defaults`] exposes this.
//!
//! # Not implemented / deliberately skipped
//!
//! * Other `format`s (`date-time`, `double`, ...) are not checked.
//! * `pattern`s that the `regex` crate cannot compile are skipped; every such
//!   pattern is recorded once at load time ([`CrdCatalog::skipped_patterns`]).
//!   Note that `\d`, `\w` and `\s` are Unicode-aware in the `regex` crate but
//!   ASCII-only in Go; no upstream CRD pattern we load uses them.
//! * `null` for a non-nullable field without `default` is reported as an error
//!   (the API server would silently prune it): that is stricter on purpose, since
//!   generated objects should not contain such nulls.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use regex::{Regex, RegexBuilder};
use serde_json::{Map, Value};

#[path = "crd_cel.rs"]
pub mod crd_cel;

use crd_cel::Compiled;

/// Display text of the root path in error messages and CEL rule paths.
const ROOT: &str = "<root>";

/// Fields that are implicitly allowed on a resource root or an embedded
/// resource, whatever its schema declares.
const RESOURCE_FIELDS: &[&str] = &["apiVersion", "kind", "metadata"];

/// One version of one CRD.
#[derive(Debug, Clone)]
struct CrdVersion {
    /// The version's `schema.openAPIV3Schema`.
    schema: Value,
    /// The version's `served` flag.
    served: bool,
    /// File the CRD was loaded from (for diagnostics).
    source: PathBuf,
}

/// Catalog of CRD schemas, keyed by `(group, version, kind)`.
///
/// Build it with [`CrdCatalog::load`], [`CrdCatalog::load_all`] or
/// [`CrdCatalog::from_yaml_str`]; then use [`CrdCatalog::validate`].
#[derive(Debug, Clone, Default)]
pub struct CrdCatalog {
    /// `(group, version, kind)` -> schema and served flag.
    versions: BTreeMap<(String, String, String), CrdVersion>,
    /// Every `pattern` of every loaded schema that compiled.
    patterns: HashMap<String, Regex>,
    /// Every `pattern` that did not compile -> the compiler's error.
    skipped_patterns: BTreeMap<String, String>,
    /// Every CEL `rule` and `messageExpression` of every loaded schema, compiled.
    cel: HashMap<String, Compiled>,
}

impl CrdCatalog {
    /// Load every CRD from every `*.yaml` / `*.yml` file in `path` (a directory,
    /// not recursive, files in name order) or from the single file `path`.
    ///
    /// Documents whose `kind` is not `CustomResourceDefinition` are skipped. It is
    /// an error when the YAML does not parse, when a CRD lacks its group, kind,
    /// versions or a version's schema, or when no CRD at all is found.
    pub fn load(path: &Path) -> Result<Self, String> {
        let files = if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .map_err(|e| format!("{}: cannot read directory: {e}", path.display()))?;
            let mut files = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|e| format!("{}: cannot read directory: {e}", path.display()))?;
                let file = entry.path();
                let is_yaml =
                    file.extension().and_then(|e| e.to_str()).is_some_and(|e| e == "yaml" || e == "yml");
                if is_yaml && file.is_file() {
                    files.push(file);
                }
            }
            files.sort();
            files
        } else {
            vec![path.to_path_buf()]
        };
        let mut catalog = Self::default();
        for file in &files {
            let text =
                std::fs::read_to_string(file).map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
            catalog.add_yaml(&text, file)?;
        }
        if catalog.versions.is_empty() {
            return Err(format!("{}: no CustomResourceDefinition found", path.display()));
        }
        Ok(catalog)
    }

    /// Load several paths (each as by [`CrdCatalog::load`]) into one catalog.
    /// When two paths define the same `(group, version, kind)`, the later wins.
    pub fn load_all(paths: &[&Path]) -> Result<Self, String> {
        let mut catalog = Self::default();
        for path in paths {
            catalog.merge(Self::load(path)?);
        }
        Ok(catalog)
    }

    /// Build a catalog from YAML text (one or more documents); `origin` names the
    /// text in error messages. Unlike [`CrdCatalog::load`], text without any CRD
    /// yields an empty catalog rather than an error.
    pub fn from_yaml_str(text: &str, origin: &str) -> Result<Self, String> {
        let mut catalog = Self::default();
        catalog.add_yaml(text, Path::new(origin))?;
        Ok(catalog)
    }

    /// Merge `other` into `self`; entries of `other` win on duplicates.
    pub fn merge(&mut self, other: CrdCatalog) {
        self.versions.extend(other.versions);
        self.patterns.extend(other.patterns);
        for (pattern, error) in other.skipped_patterns {
            self.skipped_patterns.entry(pattern).or_insert(error);
        }
        self.cel.extend(other.cel);
    }

    /// Number of `(group, version, kind)` entries in the catalog.
    pub fn len(&self) -> usize {
        self.versions.len()
    }

    /// Whether the catalog is empty.
    pub fn is_empty(&self) -> bool {
        self.versions.is_empty()
    }

    /// Every `(apiVersion, kind, served)` in the catalog, sorted by group,
    /// version and kind. `apiVersion` is `group/version` (`version` for the core
    /// group).
    pub fn entries(&self) -> Vec<(String, String, bool)> {
        self.versions
            .iter()
            .map(|((group, version, kind), v)| (api_version_of(group, version), kind.clone(), v.served))
            .collect()
    }

    /// Whether the catalog knows `api_version` (`group/version`) and `kind`,
    /// whether or not that version is served.
    pub fn knows(&self, api_version: &str, kind: &str) -> bool {
        self.lookup(api_version, kind).is_some()
    }

    /// The raw `openAPIV3Schema` of `api_version` / `kind`, if known.
    pub fn schema(&self, api_version: &str, kind: &str) -> Option<&Value> {
        self.lookup(api_version, kind).map(|v| &v.schema)
    }

    /// The file `api_version` / `kind` was loaded from, if known.
    pub fn source(&self, api_version: &str, kind: &str) -> Option<&Path> {
        self.lookup(api_version, kind).map(|v| v.source.as_path())
    }

    /// Patterns of the loaded schemas that the `regex` crate could not compile and
    /// that validation therefore skips, as sorted `(pattern, compile error)` pairs.
    pub fn skipped_patterns(&self) -> Vec<(String, String)> {
        self.skipped_patterns.iter().map(|(p, e)| (p.clone(), e.clone())).collect()
    }

    /// The CEL rules of the loaded schemas that are not evaluated, as sorted
    /// `(rule, reason)` pairs: transition rules (`oldSelf`), and rules calling a
    /// function the evaluator does not implement or that do not parse.
    pub fn cel_not_evaluable(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .cel
            .iter()
            .filter_map(|(rule, c)| match c {
                Compiled::NotEvaluable(reason) => Some((rule.clone(), reason.clone())),
                Compiled::Ready(_) => None,
            })
            .collect();
        out.sort();
        out
    }

    /// How many distinct CEL rules and message expressions were compiled, and how
    /// many of them are evaluated.
    pub fn cel_counts(&self) -> (usize, usize) {
        let ready = self.cel.values().filter(|c| matches!(c, Compiled::Ready(_))).count();
        (self.cel.len(), ready)
    }

    /// Every `x-kubernetes-validations` (CEL) rule in the schema of
    /// `api_version` / `kind`, as `(schema path, rule)` pairs in schema order.
    ///
    /// Paths use `.field` for properties, `[*]` for array items, `.*` for map
    /// values (`additionalProperties`) and `<root>` for the root; rules inside
    /// `allOf` / `anyOf` / `oneOf` / `not` are listed at the path of the schema
    /// that holds the junctor. Unknown `api_version` / `kind` gives an empty list.
    pub fn cel_rules_at(&self, api_version: &str, kind: &str) -> Vec<(String, String)> {
        let mut rules = Vec::new();
        if let Some(v) = self.lookup(api_version, kind) {
            collect_cel_rules(&v.schema, "", &mut rules);
        }
        rules
    }

    /// Validate one whole object (`apiVersion`, `kind`, `metadata`, `spec`, ...)
    /// strictly against the catalog.
    ///
    /// Returns `Ok(())` when the object is valid, otherwise every problem found as
    /// a `"path: message"` string. An unknown `apiVersion` / `kind`, or a version
    /// that is not served, is an error too.
    pub fn validate(&self, obj: &Value) -> Result<(), Vec<String>> {
        let mut errs = Vec::new();
        let Some(map) = obj.as_object() else {
            return Err(vec![format!("{ROOT}: expected object, got {}", json_type(obj))]);
        };
        let api_version = top_level_string(map, "apiVersion", &mut errs);
        let kind = top_level_string(map, "kind", &mut errs);
        match map.get("metadata") {
            Some(meta) => validate_object_meta(meta, "metadata", true, &mut errs),
            None => errs.push("metadata: required field missing".to_string()),
        }
        if let (Some(api_version), Some(kind)) = (api_version, kind) {
            match self.lookup(api_version, kind) {
                None => errs.push(self.unknown_kind_message(api_version, kind)),
                Some(entry) => {
                    if !entry.served {
                        errs.push(format!(
                            "apiVersion: version {api_version:?} of kind {kind:?} is not served"
                        ));
                    }
                    // Like the API server: default first, then validate.
                    let mut defaulted = obj.clone();
                    apply_defaults(&entry.schema, &mut defaulted);
                    let mut v = Validator::new(self, &mut errs);
                    v.node(&entry.schema, &defaulted, "", Mode::Structural, Role::Root);
                    v.finish_cel();
                }
            }
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }

    /// `obj` with the schema defaults of its `apiVersion` / `kind` applied, the way
    /// the API server defaults an object before validating and storing it.
    /// Errors when `obj` has no known `apiVersion` / `kind`.
    pub fn with_defaults(&self, obj: &Value) -> Result<Value, String> {
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
        let entry =
            self.lookup(api_version, kind).ok_or_else(|| self.unknown_kind_message(api_version, kind))?;
        let mut defaulted = obj.clone();
        apply_defaults(&entry.schema, &mut defaulted);
        Ok(defaulted)
    }

    /// Parse YAML text into CRDs and add them (later wins).
    fn add_yaml(&mut self, text: &str, origin: &Path) -> Result<(), String> {
        let docs = parse_yaml_documents(text).map_err(|e| format!("{}: {e}", origin.display()))?;
        for (index, doc) in docs.iter().enumerate() {
            if doc.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
                continue;
            }
            let at = |what: &str| format!("{} (document {index}): {what}", origin.display());
            let spec = doc.get("spec").and_then(Value::as_object).ok_or_else(|| at("CRD has no spec"))?;
            let group =
                spec.get("group").and_then(Value::as_str).ok_or_else(|| at("CRD has no spec.group"))?;
            let kind = spec
                .get("names")
                .and_then(|n| n.get("kind"))
                .and_then(Value::as_str)
                .ok_or_else(|| at("CRD has no spec.names.kind"))?;
            let versions = spec
                .get("versions")
                .and_then(Value::as_array)
                .ok_or_else(|| at(&format!("CRD {kind}.{group} has no spec.versions list")))?;
            for version in versions {
                let name = version
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| at(&format!("CRD {kind}.{group}: a version has no name")))?;
                let served = version
                    .get("served")
                    .and_then(Value::as_bool)
                    .ok_or_else(|| at(&format!("CRD {kind}.{group} {name}: no boolean served")))?;
                let schema = version
                    .get("schema")
                    .and_then(|s| s.get("openAPIV3Schema"))
                    .filter(|s| s.is_object())
                    .ok_or_else(|| {
                        at(&format!("CRD {kind}.{group} {name}: no schema.openAPIV3Schema object"))
                    })?;
                self.compile_patterns(schema);
                self.compile_cel(schema);
                self.versions.insert(
                    (group.to_string(), name.to_string(), kind.to_string()),
                    CrdVersion { schema: schema.clone(), served, source: origin.to_path_buf() },
                );
            }
        }
        Ok(())
    }

    /// Compile (once) every `pattern` found anywhere in `schema`.
    fn compile_patterns(&mut self, schema: &Value) {
        let mut found = BTreeSet::new();
        collect_patterns(schema, &mut found);
        for pattern in found {
            if self.patterns.contains_key(&pattern) || self.skipped_patterns.contains_key(&pattern) {
                continue;
            }
            match compile_pattern(&pattern) {
                Ok(re) => {
                    self.patterns.insert(pattern, re);
                }
                Err(e) => {
                    self.skipped_patterns.insert(pattern, e);
                }
            }
        }
    }

    /// Compile (once) every CEL `rule` and `messageExpression` found in `schema`.
    fn compile_cel(&mut self, schema: &Value) {
        let mut found = BTreeSet::new();
        visit_schemas(schema, &mut |s| {
            for rule in s.get("x-kubernetes-validations").and_then(Value::as_array).into_iter().flatten() {
                for key in ["rule", "messageExpression"] {
                    if let Some(text) = rule.get(key).and_then(Value::as_str) {
                        found.insert(text.to_string());
                    }
                }
            }
        });
        for text in found {
            if let std::collections::hash_map::Entry::Vacant(slot) = self.cel.entry(text) {
                let compiled = crd_cel::compile(slot.key());
                slot.insert(compiled);
            }
        }
    }

    /// The compiled CEL program of `text`: compiled at load time, else now.
    fn cel_program(&self, text: &str) -> std::borrow::Cow<'_, Compiled> {
        match self.cel.get(text) {
            Some(c) => std::borrow::Cow::Borrowed(c),
            None => std::borrow::Cow::Owned(crd_cel::compile(text)),
        }
    }

    /// The catalog entry of `api_version` / `kind`.
    fn lookup(&self, api_version: &str, kind: &str) -> Option<&CrdVersion> {
        let (group, version) = split_api_version(api_version);
        self.versions.get(&(group.to_string(), version.to_string(), kind.to_string()))
    }

    /// Error message for an unknown `api_version` / `kind`, with a hint listing
    /// the versions known for that group and kind.
    fn unknown_kind_message(&self, api_version: &str, kind: &str) -> String {
        let (group, _) = split_api_version(api_version);
        let known: Vec<String> = self
            .versions
            .iter()
            .filter(|((g, _, k), _)| g == group && k == kind)
            .map(|((g, v, _), _)| api_version_of(g, v))
            .collect();
        let mut msg = format!("apiVersion/kind: unknown apiVersion {api_version:?} kind {kind:?}");
        if !known.is_empty() {
            let _ = write!(msg, " (known apiVersions of this kind: {known:?})");
        }
        msg
    }

    /// The compiled regex of `pattern`: precompiled at load time, else compiled
    /// now. `None` when it does not compile (the pattern is then skipped).
    fn regex(&self, pattern: &str) -> Option<std::borrow::Cow<'_, Regex>> {
        if let Some(re) = self.patterns.get(pattern) {
            return Some(std::borrow::Cow::Borrowed(re));
        }
        if self.skipped_patterns.contains_key(pattern) {
            return None;
        }
        compile_pattern(pattern).ok().map(std::borrow::Cow::Owned)
    }
}

/// Parse multi-document YAML into JSON values, with a budget generous enough for
/// the ~1 MB upstream Istio CRD bundle. Empty documents are skipped.
pub fn parse_yaml_documents(text: &str) -> Result<Vec<Value>, String> {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = 50_000_000;
    budget.max_events = 50_000_000;
    budget.max_total_scalar_bytes = 1 << 30;
    budget.max_depth = 512;
    budget.max_documents = 100_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    serde_saphyr::from_multiple_with_options::<Value>(text, options).map_err(|e| format!("invalid YAML: {e}"))
}

/// Compile a schema `pattern` with a raised size limit (some upstream patterns
/// expand to large automata).
fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(256 << 20)
        .dfa_size_limit(64 << 20)
        .build()
        .map_err(|e| e.to_string())
}

/// Split `group/version` (or a bare core-group `version`) into its parts.
fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

/// Join a group and version back into an `apiVersion`.
fn api_version_of(group: &str, version: &str) -> String {
    if group.is_empty() { version.to_string() } else { format!("{group}/{version}") }
}

/// Read a required top-level string field, recording an error when it is
/// missing, not a string or empty.
fn top_level_string<'a>(map: &'a Map<String, Value>, key: &str, errs: &mut Vec<String>) -> Option<&'a str> {
    match map.get(key) {
        None => {
            errs.push(format!("{key}: required field missing"));
            None
        }
        Some(Value::String(s)) if s.is_empty() => {
            errs.push(format!("{key}: must not be empty"));
            None
        }
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            errs.push(format!("{key}: expected string, got {}", json_type(other)));
            None
        }
    }
}

/// Whether validation reports unknown fields (structural schema) or only
/// applies value validations (inside `allOf` / `anyOf` / `oneOf` / `not`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The structural part of a schema: unknown fields are errors.
    Structural,
    /// A junctor branch: only value validations apply.
    ValueOnly,
}

/// Where a schema node sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The resource root: `apiVersion`, `kind` and `metadata` are implicit.
    Root,
    /// Anything else.
    Inner,
}

/// Walks one value against one schema, collecting errors.
struct Validator<'c, 'e> {
    catalog: &'c CrdCatalog,
    errs: &'e mut Vec<String>,
    /// Whether an error was found that keeps the API server from running CEL
    /// rules: a wrong type, an unsupported enum value, a missing required field,
    /// or a string, list or map over its maximum size.
    blocked: bool,
    /// Schema nodes with `x-kubernetes-validations` met on the way, with their
    /// value, path and role: evaluated after the walk (see [`CrdCatalog::validate`]).
    cel: Vec<(&'c Value, &'c Value, String, Role)>,
}

impl<'c, 'e> Validator<'c, 'e> {
    /// A validator that writes into `errs`.
    fn new(catalog: &'c CrdCatalog, errs: &'e mut Vec<String>) -> Self {
        Validator { catalog, errs, blocked: false, cel: Vec::new() }
    }

    /// Record an error at `path`.
    fn err(&mut self, path: &str, msg: impl std::fmt::Display) {
        self.errs.push(format!("{}: {msg}", show(path)));
    }

    /// Record an error at `path` that blocks CEL evaluation.
    fn blocking(&mut self, path: &str, msg: impl std::fmt::Display) {
        self.blocked = true;
        self.err(path, msg);
    }

    /// Evaluate the CEL rules met during the walk, unless a blocking error was
    /// found: then, like the API server, report that they were not checked.
    fn finish_cel(&mut self) {
        let pending = std::mem::take(&mut self.cel);
        if pending.is_empty() {
            return;
        }
        if self.blocked {
            return self.err(
                "",
                "some validation rules were not checked because the object was invalid; correct the \
                 existing errors to complete validation",
            );
        }
        for (schema, value, path, role) in pending {
            self.cel_rules(schema, value, &path, role);
        }
    }

    /// Validate `value` at `path` against `schema`.
    fn node(&mut self, schema: &'c Value, value: &'c Value, path: &str, mode: Mode, role: Role) {
        let s = match schema {
            Value::Object(s) => s,
            Value::Bool(true) => return,
            Value::Bool(false) => return self.err(path, "no value is allowed here"),
            other => {
                return self
                    .err(path, format_args!("invalid schema: expected object, got {}", json_type(other)));
            }
        };
        let preserve = flag(s, "x-kubernetes-preserve-unknown-fields");
        let int_or_string = flag(s, "x-kubernetes-int-or-string");
        let ty = match s.get("type") {
            None => None,
            Some(Value::String(t)) => Some(t.as_str()),
            Some(other) => {
                return self
                    .err(path, format_args!("invalid schema: type is {}, not a string", json_type(other)));
            }
        };

        if value.is_null() {
            if flag(s, "nullable") {
                return;
            }
            if int_or_string {
                return self.blocking(path, "expected integer or string, got null");
            }
            if let Some(t) = ty {
                return self.blocking(path, format_args!("expected {t}, got null"));
            }
        }
        if int_or_string {
            if !(is_integer(value) || value.is_string()) {
                return self
                    .blocking(path, format_args!("expected integer or string, got {}", json_type(value)));
            }
        } else if let Some(t) = ty {
            match type_matches(t, value) {
                Some(true) => {}
                Some(false) => {
                    return self.blocking(path, format_args!("expected {t}, got {}", json_type(value)));
                }
                None => {
                    return self.err(path, format_args!("invalid schema: unknown type {t:?}"));
                }
            }
        }

        if let Some(options) = s.get("enum") {
            match options {
                Value::Array(options) => {
                    if !options.iter().any(|o| json_eq(o, value)) {
                        let listed: Vec<String> = options.iter().map(render).collect();
                        self.blocking(
                            path,
                            format_args!(
                                "unsupported value {}, expected one of [{}]",
                                render(value),
                                listed.join(", ")
                            ),
                        );
                    }
                }
                _ => self.err(path, "invalid schema: enum is not a list"),
            }
        }

        match value {
            Value::Object(map) => self.object(s, map, path, mode, role, preserve),
            Value::Array(items) => self.array(s, items, path, mode),
            Value::String(text) => self.string(s, text, path),
            Value::Number(_) => self.number(s, value, path),
            Value::Bool(_) | Value::Null => {}
        }

        self.junctors(s, value, path);
        if s.contains_key("x-kubernetes-validations") {
            self.cel.push((schema, value, path.to_string(), role));
        }
    }

    /// `x-kubernetes-validations`: every evaluable rule of this node, with `self`
    /// bound to `value`. Rules that are not evaluable were recorded at load time.
    fn cel_rules(&mut self, schema: &Value, value: &Value, path: &str, role: Role) {
        let Some(rules) = schema.get("x-kubernetes-validations") else { return };
        let Some(rules) = rules.as_array() else {
            return self.err(path, "invalid schema: x-kubernetes-validations is not a list");
        };
        let mut bound = None;
        for rule in rules {
            let Some(text) = rule.get("rule").and_then(Value::as_str) else {
                self.err(path, "invalid schema: x-kubernetes-validations entry without a rule");
                continue;
            };
            let compiled = self.catalog.cel_program(text);
            let Compiled::Ready(program) = compiled.as_ref() else { continue };
            let this = bound.get_or_insert_with(|| crd_cel::to_cel(schema, value, role == Role::Root));
            let at = match rule.get("fieldPath").and_then(Value::as_str) {
                Some(field) if path.is_empty() => field.trim_start_matches('.').to_string(),
                Some(field) => format!("{path}{field}"),
                None => path.to_string(),
            };
            // Multi-line rules read better on one line in a message.
            let shown = text.split_whitespace().collect::<Vec<_>>().join(" ");
            match crd_cel::check(program, this) {
                Ok(true) => {}
                Ok(false) => {
                    let message = self.cel_message(rule, &shown, this);
                    self.err(&at, format_args!("{message} (x-kubernetes-validations rule: {shown})"));
                }
                Err(e) => self.err(&at, format_args!("x-kubernetes-validations rule {shown:?} errs: {e}")),
            }
        }
    }

    /// The message of a failed rule: its `messageExpression` when that evaluates
    /// to a non-empty string, else its `message`, else the rule text.
    fn cel_message(&self, rule: &Value, text: &str, this: &crd_cel::CelValue) -> String {
        if let Some(expr) = rule.get("messageExpression").and_then(Value::as_str)
            && let Compiled::Ready(program) = self.catalog.cel_program(expr).as_ref()
            && let Ok(crd_cel::CelValue::String(message)) = crd_cel::run(program, this)
            && !message.trim().is_empty()
        {
            return message.to_string();
        }
        match rule.get("message").and_then(Value::as_str) {
            Some(message) if !message.is_empty() => message.to_string(),
            _ => format!("failed rule: {text}"),
        }
    }

    /// Object keywords: properties, required, additionalProperties, unknown
    /// fields, min/maxProperties, embedded resources.
    fn object(
        &mut self,
        s: &'c Map<String, Value>,
        map: &'c Map<String, Value>,
        path: &str,
        mode: Mode,
        role: Role,
        preserve: bool,
    ) {
        let props = match s.get("properties") {
            None => None,
            Some(Value::Object(p)) => Some(p),
            Some(_) => {
                self.err(path, "invalid schema: properties is not an object");
                None
            }
        };
        let embedded = mode == Mode::Structural && flag(s, "x-kubernetes-embedded-resource");
        let implicit: &[&str] = if role == Role::Root || embedded { RESOURCE_FIELDS } else { &[] };

        if embedded {
            self.embedded_resource(map, path);
        }

        for (key, child) in map {
            let child_path = field_path(path, key);
            let prop = props.and_then(|p| p.get(key));
            if implicit.contains(&key.as_str()) {
                // Presence and type were checked by `CrdCatalog::validate` (root)
                // or `embedded_resource`; apply the schema's own checks on top.
                // `metadata` gets value validations only, so that a typical
                // `metadata: {type: object}` does not reject `name`.
                let is_meta = key == "metadata";
                let reported = if is_meta { !child.is_object() } else { !child.is_string() };
                if let Some(prop) = prop
                    && !reported
                {
                    let child_mode = if is_meta { Mode::ValueOnly } else { mode };
                    self.node(prop, child, &child_path, child_mode, Role::Inner);
                }
                continue;
            }
            if let Some(prop) = prop {
                self.node(prop, child, &child_path, mode, Role::Inner);
                continue;
            }
            match s.get("additionalProperties") {
                Some(Value::Bool(true)) => {}
                Some(Value::Bool(false)) => self.err(&child_path, "unknown field"),
                Some(sub @ Value::Object(_)) => self.node(sub, child, &child_path, mode, Role::Inner),
                Some(_) => self.err(path, "invalid schema: additionalProperties is not a schema"),
                None => {
                    if mode == Mode::Structural && !preserve {
                        self.err(&child_path, "unknown field");
                    }
                }
            }
        }

        match s.get("required") {
            None => {}
            Some(Value::Array(required)) => {
                for name in required {
                    let Some(name) = name.as_str() else {
                        self.err(path, "invalid schema: required entry is not a string");
                        continue;
                    };
                    if role == Role::Root && RESOURCE_FIELDS.contains(&name) {
                        continue; // checked by `CrdCatalog::validate`
                    }
                    if !map.contains_key(name) {
                        self.blocking(&field_path(path, name), "required field missing");
                    }
                }
            }
            Some(_) => self.err(path, "invalid schema: required is not a list"),
        }

        let count = map.len() as u64;
        if let Some(min) = s.get("minProperties").and_then(Value::as_u64)
            && count < min
        {
            self.err(path, format_args!("has {count} properties, must have at least {min}"));
        }
        if let Some(max) = s.get("maxProperties").and_then(Value::as_u64)
            && count > max
        {
            self.blocking(path, format_args!("has {count} properties, must have at most {max}"));
        }
    }

    /// Implicit checks of an `x-kubernetes-embedded-resource` object.
    fn embedded_resource(&mut self, map: &Map<String, Value>, path: &str) {
        for key in ["apiVersion", "kind"] {
            let child_path = field_path(path, key);
            match map.get(key) {
                None => self.err(&child_path, "required field missing"),
                Some(Value::String(s)) if s.is_empty() => self.err(&child_path, "must not be empty"),
                Some(Value::String(_)) => {}
                Some(other) => {
                    self.err(&child_path, format_args!("expected string, got {}", json_type(other)))
                }
            }
        }
        if let Some(meta) = map.get("metadata") {
            validate_object_meta(meta, &field_path(path, "metadata"), false, self.errs);
        }
    }

    /// Array keywords: items, min/maxItems, uniqueItems, list types.
    fn array(&mut self, s: &'c Map<String, Value>, items: &'c [Value], path: &str, mode: Mode) {
        match s.get("items") {
            None => {}
            Some(Value::Array(tuple)) => {
                for (i, (item, sub)) in items.iter().zip(tuple).enumerate() {
                    self.node(sub, item, &index_path(path, i), mode, Role::Inner);
                }
            }
            Some(sub) => {
                for (i, item) in items.iter().enumerate() {
                    self.node(sub, item, &index_path(path, i), mode, Role::Inner);
                }
            }
        }
        let count = items.len() as u64;
        if let Some(min) = s.get("minItems").and_then(Value::as_u64)
            && count < min
        {
            self.err(path, format_args!("has {count} items, must have at least {min}"));
        }
        if let Some(max) = s.get("maxItems").and_then(Value::as_u64)
            && count > max
        {
            self.blocking(path, format_args!("has {count} items, must have at most {max}"));
        }
        let list_type = s.get("x-kubernetes-list-type").and_then(Value::as_str);
        if flag(s, "uniqueItems") || list_type == Some("set") {
            for (i, item) in items.iter().enumerate() {
                if let Some(j) = items[..i].iter().position(|earlier| json_eq(earlier, item)) {
                    self.err(
                        &index_path(path, i),
                        format_args!("duplicate value {}, same as [{j}]", render(item)),
                    );
                }
            }
        }
        if list_type == Some("map") {
            self.list_map_keys(s, items, path);
        }
    }

    /// Duplicate detection for `x-kubernetes-list-type: map`.
    fn list_map_keys(&mut self, s: &Map<String, Value>, items: &[Value], path: &str) {
        let Some(keys) = s.get("x-kubernetes-list-map-keys").and_then(Value::as_array) else {
            return;
        };
        let keys: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
        let key_of = |item: &Value| -> Vec<(String, Value)> {
            keys.iter().map(|k| ((*k).to_string(), item.get(*k).cloned().unwrap_or(Value::Null))).collect()
        };
        let tuples: Vec<Vec<(String, Value)>> = items.iter().map(key_of).collect();
        for (i, tuple) in tuples.iter().enumerate() {
            let same =
                |other: &Vec<(String, Value)>| other.iter().zip(tuple).all(|((_, a), (_, b))| json_eq(a, b));
            if let Some(j) = tuples[..i].iter().position(same) {
                let shown: Vec<String> = tuple.iter().map(|(k, v)| format!("{k}={}", render(v))).collect();
                self.err(
                    &index_path(path, i),
                    format_args!("duplicate entry with key ({}), same as [{j}]", shown.join(", ")),
                );
            }
        }
    }

    /// String keywords: min/maxLength, pattern, format.
    fn string(&mut self, s: &Map<String, Value>, text: &str, path: &str) {
        let len = text.chars().count() as u64;
        if let Some(min) = s.get("minLength").and_then(Value::as_u64)
            && len < min
        {
            self.err(path, format_args!("is {len} characters long, must be at least {min}"));
        }
        if let Some(max) = s.get("maxLength").and_then(Value::as_u64)
            && len > max
        {
            self.blocking(path, format_args!("is {len} characters long, must be at most {max}"));
        }
        if let Some(pattern) = s.get("pattern").and_then(Value::as_str)
            && let Some(re) = self.catalog.regex(pattern)
            && !re.is_match(text)
        {
            self.err(path, format_args!("value {text:?} does not match pattern {pattern:?}"));
        }
        match s.get("format").and_then(Value::as_str) {
            Some("ipv4") if text.parse::<Ipv4Addr>().is_err() => {
                self.err(path, format_args!("value {text:?} is not an IPv4 address"));
            }
            Some("ipv6") if text.parse::<Ipv6Addr>().is_err() => {
                self.err(path, format_args!("value {text:?} is not an IPv6 address"));
            }
            Some("byte") if !is_padded_base64(text) => {
                self.err(path, "value is not valid base64 (format byte)");
            }
            _ => {}
        }
    }

    /// Number keywords: minimum/maximum (+ exclusive), multipleOf, int formats.
    fn number(&mut self, s: &Map<String, Value>, value: &Value, path: &str) {
        let Some(x) = value.as_f64() else { return };
        let shown = render(value);
        if let Some(min) = s.get("minimum").and_then(Value::as_f64) {
            let exclusive = flag(s, "exclusiveMinimum");
            if x < min || (exclusive && x <= min) {
                let rel = if exclusive { "greater than" } else { "at least" };
                self.err(path, format_args!("value {shown} must be {rel} {min}"));
            }
        }
        if let Some(min) = s.get("exclusiveMinimum").and_then(Value::as_f64)
            && x <= min
        {
            self.err(path, format_args!("value {shown} must be greater than {min}"));
        }
        if let Some(max) = s.get("maximum").and_then(Value::as_f64) {
            let exclusive = flag(s, "exclusiveMaximum");
            if x > max || (exclusive && x >= max) {
                let rel = if exclusive { "less than" } else { "at most" };
                self.err(path, format_args!("value {shown} must be {rel} {max}"));
            }
        }
        if let Some(max) = s.get("exclusiveMaximum").and_then(Value::as_f64)
            && x >= max
        {
            self.err(path, format_args!("value {shown} must be less than {max}"));
        }
        if let Some(step) = s.get("multipleOf") {
            let ok = match (value.as_i64(), step.as_i64()) {
                (Some(v), Some(d)) if d != 0 => v.checked_rem(d).is_none_or(|r| r == 0),
                _ => step
                    .as_f64()
                    .filter(|d| *d > 0.0)
                    .is_none_or(|d| ((x / d) - (x / d).round()).abs() < 1e-9),
            };
            if !ok {
                self.err(path, format_args!("value {shown} must be a multiple of {}", render(step)));
            }
        }
        if is_integer(value) {
            let in_range = match s.get("format").and_then(Value::as_str) {
                Some("int32") => value.as_i64().is_some_and(|v| i32::try_from(v).is_ok()),
                Some("int64") => value.is_i64(),
                _ => true,
            };
            if !in_range {
                let format = s.get("format").and_then(Value::as_str).unwrap_or_default();
                self.err(path, format_args!("value {shown} is out of range for format {format}"));
            }
        }
    }

    /// `allOf`, `anyOf`, `oneOf` and `not`, evaluated in value-only mode.
    fn junctors(&mut self, s: &'c Map<String, Value>, value: &'c Value, path: &str) {
        if let Some(all) = s.get("allOf") {
            for sub in as_schema_list(all) {
                self.node(sub, value, path, Mode::ValueOnly, Role::Inner);
            }
        }
        if let Some(any) = s.get("anyOf") {
            let results: Vec<Vec<String>> =
                as_schema_list(any).iter().map(|b| self.branch(b, value, path)).collect();
            if !results.is_empty() && results.iter().all(|r| !r.is_empty()) {
                self.err(path, format_args!("must match at least one anyOf schema {}", summarize(&results)));
            }
        }
        if let Some(one) = s.get("oneOf") {
            let results: Vec<Vec<String>> =
                as_schema_list(one).iter().map(|b| self.branch(b, value, path)).collect();
            let matched: Vec<usize> =
                results.iter().enumerate().filter(|(_, r)| r.is_empty()).map(|(i, _)| i).collect();
            if matched.is_empty() && !results.is_empty() {
                self.err(
                    path,
                    format_args!("must match exactly one oneOf schema, matched none {}", summarize(&results)),
                );
            } else if matched.len() > 1 {
                self.err(
                    path,
                    format_args!(
                        "must match exactly one oneOf schema, matched {} (branches {matched:?})",
                        matched.len()
                    ),
                );
            }
        }
        if let Some(not) = s.get("not")
            && self.branch(not, value, path).is_empty()
        {
            self.err(path, format_args!("must not match the schema {}", render(not)));
        }
    }

    /// Errors of `value` against the junctor branch `schema` (value-only mode).
    fn branch(&mut self, schema: &'c Value, value: &'c Value, path: &str) -> Vec<String> {
        let mut errs = Vec::new();
        let mut v = Validator::new(self.catalog, &mut errs);
        v.node(schema, value, path, Mode::ValueOnly, Role::Inner);
        // Junctor branches hold no CEL rules in a structural schema (the
        // API server evaluates none there either).
        errs
    }
}

/// Apply the `default`s of the structural `schema` to `value`, as the API
/// server's structural defaulting does: a property that is missing, or `null`
/// while not `nullable`, gets a copy of its default; then defaulting recurses
/// into every property (including fresh defaults), map value and array item.
/// Junctors are not visited (structural schemas forbid defaults in them).
fn apply_defaults(schema: &Value, value: &mut Value) {
    let Some(s) = schema.as_object() else { return };
    match value {
        Value::Object(map) => {
            let props = s.get("properties").and_then(Value::as_object);
            if let Some(props) = props {
                for (key, prop) in props {
                    let Some(default) = prop.get("default") else {
                        continue;
                    };
                    let nullable = prop.get("nullable").and_then(Value::as_bool).unwrap_or(false);
                    match map.get(key) {
                        None => {
                            map.insert(key.clone(), default.clone());
                        }
                        Some(Value::Null) if !nullable => {
                            map.insert(key.clone(), default.clone());
                        }
                        Some(_) => {}
                    }
                }
            }
            let additional = s.get("additionalProperties").filter(|a| a.is_object());
            for (key, child) in map.iter_mut() {
                if let Some(sub) = props.and_then(|p| p.get(key)).or(additional) {
                    apply_defaults(sub, child);
                }
            }
        }
        Value::Array(items) => {
            if let Some(sub) = s.get("items").filter(|i| i.is_object()) {
                for item in items {
                    apply_defaults(sub, item);
                }
            }
        }
        _ => {}
    }
}

/// Light validation of `ObjectMeta` at `path`.
fn validate_object_meta(meta: &Value, path: &str, require_name: bool, errs: &mut Vec<String>) {
    let Some(map) = meta.as_object() else {
        errs.push(format!("{path}: expected object, got {}", json_type(meta)));
        return;
    };
    if require_name && !map.contains_key("name") {
        errs.push(format!("{}: required field missing", field_path(path, "name")));
    }
    for (key, value) in map {
        let at = field_path(path, key);
        let wrong_type = |expected: &str| format!("{at}: expected {expected}, got {}", json_type(value));
        match key.as_str() {
            "name" => match value.as_str() {
                Some("") => errs.push(format!("{at}: must not be empty")),
                Some(name) => {
                    if let Err(e) = check_dns1123_subdomain(name) {
                        errs.push(format!("{at}: invalid name {name:?}: {e}"));
                    }
                }
                None => errs.push(wrong_type("string")),
            },
            "namespace" => match value.as_str() {
                Some(ns) => {
                    if let Err(e) = check_dns1123_label(ns) {
                        errs.push(format!("{at}: invalid namespace {ns:?}: {e}"));
                    }
                }
                None => errs.push(wrong_type("string")),
            },
            "generateName" | "selfLink" | "uid" | "resourceVersion" => {
                if !value.is_string() {
                    errs.push(wrong_type("string"));
                }
            }
            "creationTimestamp" | "deletionTimestamp" => {
                if !(value.is_string() || value.is_null()) {
                    errs.push(wrong_type("string"));
                }
            }
            "generation" | "deletionGracePeriodSeconds" => {
                if !is_integer(value) {
                    errs.push(wrong_type("integer"));
                }
            }
            "labels" | "annotations" => {
                let Some(entries) = value.as_object() else {
                    errs.push(wrong_type("object"));
                    continue;
                };
                for (k, v) in entries {
                    let entry_path = field_path(&at, k);
                    if let Err(e) = check_qualified_name(k) {
                        errs.push(format!("{entry_path}: invalid key: {e}"));
                    }
                    match v.as_str() {
                        None => errs.push(format!("{entry_path}: expected string, got {}", json_type(v))),
                        Some(text) if key == "labels" => {
                            if let Err(e) = check_label_value(text) {
                                errs.push(format!("{entry_path}: invalid label value {text:?}: {e}"));
                            }
                        }
                        Some(_) => {}
                    }
                }
            }
            "finalizers" => {
                if !value.as_array().is_some_and(|a| a.iter().all(Value::is_string)) {
                    errs.push(format!("{at}: expected array of strings"));
                }
            }
            "ownerReferences" | "managedFields" => {
                if !value.as_array().is_some_and(|a| a.iter().all(Value::is_object)) {
                    errs.push(format!("{at}: expected array of objects"));
                }
            }
            _ => errs.push(format!("{at}: unknown field")),
        }
    }
}

/// RFC 1123 label: at most 63 lowercase alphanumerics or `-`, starting and
/// ending with an alphanumeric.
fn check_dns1123_label(s: &str) -> Result<(), String> {
    if s.len() > 63 {
        return Err("must be no more than 63 characters".to_string());
    }
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let valid = s.chars().next().is_some_and(ok)
        && s.chars().last().is_some_and(ok)
        && s.chars().all(|c| ok(c) || c == '-');
    if valid {
        Ok(())
    } else {
        Err("must be a lowercase RFC 1123 label (a-z, 0-9, '-', alphanumeric at both ends)".to_string())
    }
}

/// RFC 1123 subdomain: at most 253 characters of dot-separated lowercase
/// alphanumeric segments that may contain `-` inside.
fn check_dns1123_subdomain(s: &str) -> Result<(), String> {
    if s.len() > 253 {
        return Err("must be no more than 253 characters".to_string());
    }
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let valid = s.chars().next().is_some_and(ok)
        && s.chars().last().is_some_and(ok)
        && s.chars().all(|c| ok(c) || c == '-' || c == '.');
    if valid {
        Ok(())
    } else {
        Err("must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.', alphanumeric at both ends)"
            .to_string())
    }
}

/// The name part of a qualified name / a non-empty label value: at most 63
/// characters, alphanumerics, `-`, `_`, `.`, alphanumeric at both ends.
fn check_name_part(s: &str) -> Result<(), String> {
    if s.len() > 63 {
        return Err("must be no more than 63 characters".to_string());
    }
    let ok = |c: char| c.is_ascii_alphanumeric();
    let valid = s.chars().next().is_some_and(ok)
        && s.chars().last().is_some_and(ok)
        && s.chars().all(|c| ok(c) || c == '-' || c == '_' || c == '.');
    if valid {
        Ok(())
    } else {
        Err("must consist of alphanumerics, '-', '_' or '.', alphanumeric at both ends".to_string())
    }
}

/// Kubernetes qualified name (label and annotation keys): `[prefix/]name`,
/// with a DNS-1123 subdomain prefix.
fn check_qualified_name(s: &str) -> Result<(), String> {
    match s.split_once('/') {
        Some((prefix, name)) => {
            if prefix.is_empty() {
                return Err("prefix part must not be empty".to_string());
            }
            check_dns1123_subdomain(prefix).map_err(|e| format!("prefix part {e}"))?;
            check_name_part(name).map_err(|e| format!("name part {e}"))
        }
        None => check_name_part(s).map_err(|e| format!("name part {e}")),
    }
}

/// Kubernetes label value: empty, or a valid name part.
fn check_label_value(s: &str) -> Result<(), String> {
    if s.is_empty() { Ok(()) } else { check_name_part(s) }
}

/// Whether `text` is standard, padded base64 (what Go's
/// `base64.StdEncoding.DecodeString` accepts, minus embedded newlines).
fn is_padded_base64(text: &str) -> bool {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return false;
    }
    let body = text.trim_end_matches('=');
    let padding = bytes.len() - body.len();
    padding <= 2 && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// The schemas of an `allOf` / `anyOf` / `oneOf` value (empty if malformed).
fn as_schema_list(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// One-line summary of the errors of each junctor branch.
fn summarize(results: &[Vec<String>]) -> String {
    let branches = results
        .iter()
        .enumerate()
        .map(|(i, errs)| format!("#{i}: {}", errs.join("; ")))
        .collect::<Vec<_>>()
        .join(" | ");
    format!("({branches})")
}

/// Whether a boolean schema keyword is `true`.
fn flag(s: &Map<String, Value>, key: &str) -> bool {
    s.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// Whether `v` is a JSON integer (no fraction, no exponent form).
fn is_integer(v: &Value) -> bool {
    v.is_i64() || v.is_u64()
}

/// Whether `value` has the `OpenAPI` `type` `t`; `None` for an unknown type name.
fn type_matches(t: &str, value: &Value) -> Option<bool> {
    Some(match t {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => is_integer(value),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        _ => return None,
    })
}

/// The JSON type name of `v` (`integer` for whole numbers).
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) if is_integer(v) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// JSON equality with numbers compared by value (`1` equals `1.0`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
            (Some(x), Some(y), _, _) => x == y,
            (_, _, Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Compact JSON rendering of a value for messages.
fn render(v: &Value) -> String {
    v.to_string()
}

/// The path shown in messages (`<root>` for the empty path).
fn show(path: &str) -> &str {
    if path.is_empty() { ROOT } else { path }
}

/// `parent.name`, or `parent["name"]` when `name` is not a plain identifier.
fn field_path(parent: &str, name: &str) -> String {
    let plain = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$' || c == '@');
    match (plain, parent.is_empty()) {
        (true, true) => name.to_string(),
        (true, false) => format!("{parent}.{name}"),
        (false, _) => format!("{parent}[{name:?}]"),
    }
}

/// `parent[i]`.
fn index_path(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// Call `f` on `schema` and every sub-schema below it.
fn visit_schemas<'a>(schema: &'a Value, f: &mut dyn FnMut(&'a Map<String, Value>)) {
    let Some(s) = schema.as_object() else { return };
    f(s);
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        for sub in props.values() {
            visit_schemas(sub, f);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        match s.get(key) {
            Some(Value::Array(list)) => list.iter().for_each(|sub| visit_schemas(sub, f)),
            Some(sub) => visit_schemas(sub, f),
            None => {}
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for sub in s.get(key).map(as_schema_list).unwrap_or_default() {
            visit_schemas(sub, f);
        }
    }
}

/// Every `pattern` in `schema`.
fn collect_patterns(schema: &Value, out: &mut BTreeSet<String>) {
    visit_schemas(schema, &mut |s| {
        if let Some(p) = s.get("pattern").and_then(Value::as_str) {
            out.insert(p.to_string());
        }
    });
}

/// Every `x-kubernetes-validations` rule in `schema`, with schema paths.
fn collect_cel_rules(schema: &Value, path: &str, out: &mut Vec<(String, String)>) {
    let Some(s) = schema.as_object() else { return };
    if let Some(rules) = s.get("x-kubernetes-validations").and_then(Value::as_array) {
        for rule in rules {
            if let Some(text) = rule.get("rule").and_then(Value::as_str) {
                out.push((show(path).to_string(), text.to_string()));
            }
        }
    }
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        for (name, sub) in props {
            collect_cel_rules(sub, &field_path(path, name), out);
        }
    }
    if let Some(items) = s.get("items") {
        collect_cel_rules(items, &format!("{path}[*]"), out);
    }
    if let Some(additional) = s.get("additionalProperties") {
        let map_path = if path.is_empty() { "*".to_string() } else { format!("{path}.*") };
        collect_cel_rules(additional, &map_path, out);
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for sub in s.get(key).map(as_schema_list).unwrap_or_default() {
            collect_cel_rules(sub, path, out);
        }
    }
    if let Some(not) = s.get("not") {
        collect_cel_rules(not, path, out);
    }
}
