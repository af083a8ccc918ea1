//! CEL evaluation of the `x-kubernetes-validations` rules of CRD schemas, as the API server runs
//! them when an object is created: a submodule of `crd_schema.rs`, which applies each rule at the
//! schema node that declares it.
//!
//! The CEL language itself (parser, standard library, macros `has` / `all` / `exists` /
//! `exists_one` / `filter` / `map`, the strings extension with `split` / `substring` / ...) is the
//! `cel` crate (cel-rust). What Kubernetes adds on top is here:
//!
//! * **Binding**: `self` is the node's value, converted by its schema like the API server's CEL
//!   type model: object properties whose names are CEL keywords or hold `.`, `-`, `/` or `__` are
//!   escaped (`namespace` is `__namespace__`, `a-b` is `a__dash__b`), map keys
//!   (`additionalProperties`) are not; `integer` is `int`, `number` is `double`, `format: byte` is
//!   `bytes`, `x-kubernetes-int-or-string` stays what it is; at
//!   the resource root `metadata` holds only `name` and `generateName`.
//! * **Kubernetes library functions** the upstream CRDs use: `isURL`, `url` with `getScheme` /
//!   `getHost` / `getHostname` / `getPort` / `getEscapedPath` (following Go's
//!   `url.ParseRequestURI`), and `isIP` (no zone, no IPv4-mapped IPv6). Any other function that is
//!   not in the standard library or the strings extension makes a rule *not evaluable*, with that
//!   reason, instead of letting it pass.
//! * **Transition rules** (those that use `oldSelf`) are not evaluable: the API server runs them
//!   only on update, and there is no old object when generated objects are created.
//! * Messages: `messageExpression` (when present and it evaluates to a string), else `message`,
//!   else the rule text; `fieldPath` is appended to the node's path.
//!
//! Not modelled: the API server's cost limits, timestamps for `format: date-time` strings (no
//! upstream rule reads one), `reason`, list equality of
//! `x-kubernetes-list-type: set | map` lists regardless of order, and the ASCII-only `\d` / `\w`
//! of Go regular expressions in `matches` (the `regex` crate's are Unicode-aware).

// Registration of fixed functions cannot fail on input; a failure is a bug in this file.
#![allow(clippy::expect_used)]

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use cel::extractors::This;
use cel::objects::{Key, Map as CelMap, Opaque};
use cel::{Context, Env, ExecutionError, FunctionContext, Program, Value as Cel};

/// A CEL value, as rules see `self`.
pub type CelValue = Cel;
use serde_json::{Map, Value};

/// What a rule (or a `messageExpression`) compiled to.
#[derive(Clone)]
pub enum Compiled {
    /// Ready to run.
    Ready(Arc<Program>),
    /// Cannot be evaluated here, and why.
    NotEvaluable(String),
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Compiled::Ready(_) => f.write_str("Ready"),
            Compiled::NotEvaluable(reason) => write!(f, "NotEvaluable({reason:?})"),
        }
    }
}

/// The functions rules may call: CEL's standard library and the strings extension (as the `cel`
/// crate provides them), and the Kubernetes library functions registered by [`context`].
/// Operators (`_==_`, `@in`, `!_`, ...) are always known.
const KNOWN_FUNCTIONS: &[&str] = &[
    // CEL standard library.
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "int",
    "uint",
    "double",
    "string",
    "bytes",
    "bool",
    "duration",
    "timestamp",
    "type",
    "dyn",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
    // Strings extension (cel-go `ext.Strings()`), which Kubernetes enables.
    "charAt",
    "indexOf",
    "lastIndexOf",
    "join",
    "lowerAscii",
    "upperAscii",
    "trim",
    "replace",
    "split",
    "substring",
    "format",
    "reverse",
    // Kubernetes URL and IP libraries (registered by `context`).
    "isURL",
    "url",
    "getScheme",
    "getHost",
    "getHostname",
    "getPort",
    "getEscapedPath",
    "isIP",
];

/// The CEL environment shared by every compilation and evaluation.
fn env() -> Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib();
        env.add_extension(cel::extensions::strings).expect("the strings extension registers");
        Arc::new(env)
    })
    .clone()
}

/// Compile one rule or `messageExpression`, deciding whether it can be evaluated here.
pub fn compile(source: &str) -> Compiled {
    let program = match env().compile(source) {
        Ok(p) => p,
        Err(e) => return Compiled::NotEvaluable(format!("does not parse: {e}")),
    };
    let refs = program.references();
    if refs.has_variable("oldSelf") {
        return Compiled::NotEvaluable(
            "transition rule (uses oldSelf): the API server runs it only on update, and a generated \
             object is created"
                .to_string(),
        );
    }
    let mut unknown: Vec<&str> =
        refs.functions().into_iter().filter(|f| !is_operator(f) && !KNOWN_FUNCTIONS.contains(f)).collect();
    unknown.sort_unstable();
    if !unknown.is_empty() {
        return Compiled::NotEvaluable(format!(
            "calls {}, which this evaluator does not implement",
            unknown.join(", ")
        ));
    }
    Compiled::Ready(Arc::new(program))
}

/// Whether a referenced function name is an operator rather than a named function.
fn is_operator(name: &str) -> bool {
    name.starts_with('_') || name.starts_with('@') || name.starts_with('!') || name.starts_with('-')
}

/// Run a compiled program with `self` bound to `value`.
pub fn run(program: &Program, value: &Cel) -> Result<Cel, String> {
    let mut ctx = context();
    ctx.add_variable_from_value("self", value.clone());
    program.execute(&ctx).map_err(|e| e.to_string())
}

/// Run a rule: `Ok(true)` when it holds, `Ok(false)` when it does not, `Err` when it cannot be
/// evaluated on this value (the API server rejects the object then too).
pub fn check(program: &Program, value: &Cel) -> Result<bool, String> {
    match run(program, value)? {
        Cel::Bool(b) => Ok(b),
        other => Err(format!("evaluated to {other:?}, not a boolean")),
    }
}

/// A context with the shared environment and the Kubernetes library functions.
fn context() -> Context<'static, 'static> {
    let mut ctx = Context::with_env(env());
    let registered = [
        ctx.add_function("isURL", |s: Arc<String>| parse_request_uri(&s).is_ok()),
        ctx.add_function("url", url),
        ctx.add_function("getScheme", |ftx: &FunctionContext, This(u): This<Arc<dyn Opaque>>| {
            url_part(ftx, &u, |u| u.scheme.clone())
        }),
        ctx.add_function("getHost", |ftx: &FunctionContext, This(u): This<Arc<dyn Opaque>>| {
            url_part(ftx, &u, |u| u.host.clone())
        }),
        ctx.add_function("getHostname", |ftx: &FunctionContext, This(u): This<Arc<dyn Opaque>>| {
            url_part(ftx, &u, Url::hostname)
        }),
        ctx.add_function("getPort", |ftx: &FunctionContext, This(u): This<Arc<dyn Opaque>>| {
            url_part(ftx, &u, Url::port)
        }),
        ctx.add_function("getEscapedPath", |ftx: &FunctionContext, This(u): This<Arc<dyn Opaque>>| {
            url_part(ftx, &u, |u| u.path.clone())
        }),
        ctx.add_function("isIP", |s: Arc<String>| is_ip(&s)),
    ];
    for result in registered {
        result.expect("the Kubernetes library functions do not clash with the standard library");
    }
    ctx
}

/// A parsed URL of the Kubernetes URL library (the `url` CEL type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// Scheme, lowercased; empty for an absolute path.
    scheme: String,
    /// Host with port, as written (`[::1]:80`); empty when there is no authority.
    host: String,
    /// Path as written (escaped form); empty for an opaque URL.
    path: String,
}

impl Url {
    /// The host and the rest after it (`:port` or empty), IPv6 brackets removed.
    fn host_and_port(&self) -> (&str, &str) {
        let host = self.host.as_str();
        match host.strip_prefix('[') {
            Some(rest) => rest.split_once(']').unwrap_or((rest, "")),
            None => host.find(':').map_or((host, ""), |i| host.split_at(i)),
        }
    }

    /// The host without port and without IPv6 brackets.
    fn hostname(&self) -> String {
        self.host_and_port().0.to_string()
    }

    /// The port, or empty.
    fn port(&self) -> String {
        self.host_and_port().1.strip_prefix(':').unwrap_or_default().to_string()
    }
}

impl Opaque for Url {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.URL"
    }
}

/// `url(string)`: the URL, or an error when the string is not one.
fn url(ftx: &FunctionContext, s: Arc<String>) -> Result<Cel, ExecutionError> {
    parse_request_uri(&s)
        .map(|u| Cel::Opaque(Arc::new(u)))
        .map_err(|e| ftx.error(format!("URL parse error during conversion from string: {e}")))
}

/// One part of a `url` value.
fn url_part(
    ftx: &FunctionContext,
    value: &Arc<dyn Opaque>,
    part: impl Fn(&Url) -> String,
) -> Result<Cel, ExecutionError> {
    match value.downcast_ref::<Url>() {
        Some(u) => Ok(Cel::String(Arc::new(part(u)))),
        None => Err(ftx.error("receiver is not a URL")),
    }
}

/// Parse like Go's `url.ParseRequestURI`, which the Kubernetes URL library uses: an absolute URI
/// (`scheme:...`) or an absolute path (`/...`); no fragment handling, valid `%` escapes, no control
/// characters, a host of URL characters and a numeric port.
pub fn parse_request_uri(s: &str) -> Result<Url, String> {
    if s.is_empty() {
        return Err("empty url".to_string());
    }
    if s.chars().any(|c| c.is_ascii_control()) {
        return Err("invalid control character in URL".to_string());
    }
    let (scheme, rest) = split_scheme(s)?;
    let rest = rest.split_once('?').map_or(rest, |(before, _)| before);
    if !rest.starts_with('/') {
        if scheme.is_empty() {
            return Err("invalid URI for request".to_string());
        }
        // A rootless path after a scheme is an opaque URL (`mailto:x`).
        return Ok(Url { scheme, host: String::new(), path: String::new() });
    }
    let (host, path) = match rest.strip_prefix("//").filter(|_| !scheme.is_empty()) {
        Some(after) => {
            let (authority, path) = after.find('/').map_or((after, ""), |i| after.split_at(i));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            check_host(host)?;
            (host.to_string(), path.to_string())
        }
        None => (String::new(), rest.to_string()),
    };
    check_escapes(&path)?;
    Ok(Url { scheme, host, path })
}

/// Split `scheme:rest` as Go's `getScheme` does: no scheme when a character other than a letter,
/// digit, `+`, `-` or `.` comes before the first `:` (or a non-letter comes first).
fn split_scheme(s: &str) -> Result<(String, &str), String> {
    for (i, c) in s.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return Err("missing protocol scheme".to_string()),
            ':' => return Ok((s[..i].to_ascii_lowercase(), &s[i + 1..])),
            _ => return Ok((String::new(), s)),
        }
    }
    Ok((String::new(), s))
}

/// Go's host checks: an IPv6 literal in brackets with an optional `:port`, or characters allowed
/// in a host with an optional numeric `:port`.
fn check_host(host: &str) -> Result<(), String> {
    let port = if let Some(rest) = host.strip_prefix('[') {
        let (_, after) = rest.split_once(']').ok_or_else(|| "missing ']' in host".to_string())?;
        after
    } else {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=%:".contains(c) || !c.is_ascii();
        if let Some(bad) = host.chars().find(|c| !allowed(*c)) {
            return Err(format!("invalid character {bad:?} in host name"));
        }
        host.find(':').map_or("", |i| &host[i..])
    };
    match port.strip_prefix(':') {
        _ if port.is_empty() => Ok(()),
        Some(digits) if digits.chars().all(|c| c.is_ascii_digit()) => Ok(()),
        _ => Err(format!("invalid port {port:?} after host")),
    }?;
    check_escapes(host)
}

/// Every `%` starts a two-digit hex escape.
fn check_escapes(s: &str) -> Result<(), String> {
    let bytes = s.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'%' {
            let ok = bytes.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            if !ok {
                return Err(format!("invalid URL escape {:?}", &s[i..s.len().min(i + 3)]));
            }
        }
    }
    Ok(())
}

/// `isIP(string)` of the Kubernetes IP library: an IPv4 or IPv6 address, without zone and not an
/// IPv4-mapped IPv6 address.
pub fn is_ip(s: &str) -> bool {
    match s.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => true,
        Ok(IpAddr::V6(v6)) => v6.to_ipv4_mapped().is_none(),
        Err(_) => false,
    }
}

/// CEL keywords and reserved words: a property with such a name is `__name__` in CEL.
const RESERVED: &[&str] = &[
    "true",
    "false",
    "null",
    "in",
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
];

/// The CEL name of an object property, as the API server escapes it; `None` when the property
/// cannot be reached from CEL (it starts with a digit or holds another character).
pub fn escape_property(name: &str) -> Option<String> {
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if RESERVED.contains(&name) {
        return Some(format!("__{name}__"));
    }
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '_' if chars.peek() == Some(&'_') => {
                chars.next();
                out.push_str("__underscores__");
            }
            '.' => out.push_str("__dot__"),
            '-' => out.push_str("__dash__"),
            '/' => out.push_str("__slash__"),
            c if c.is_ascii_alphanumeric() || c == '_' => out.push(c),
            _ => return None,
        }
    }
    Some(out)
}

/// `value` as the CEL value the API server binds for a node of `schema`. `root` restricts
/// `metadata` to `name` and `generateName`, as at the root of a custom resource.
pub fn to_cel(schema: &Value, value: &Value, root: bool) -> Cel {
    let s = schema.as_object();
    let prop = |key: &str| s.and_then(|s| s.get(key));
    match value {
        Value::Null => Cel::Null,
        Value::Bool(b) => Cel::Bool(*b),
        Value::Number(n) => {
            let is_number = prop("type").and_then(Value::as_str) == Some("number");
            match (n.as_i64(), n.as_u64()) {
                (Some(i), _) if !is_number => Cel::Int(i),
                (None, Some(u)) if !is_number => Cel::UInt(u),
                _ => Cel::Float(n.as_f64().unwrap_or(f64::NAN)),
            }
        }
        Value::String(text) => string_to_cel(prop("format").and_then(Value::as_str), text),
        Value::Array(items) => {
            let item_schema = prop("items").cloned().unwrap_or(Value::Null);
            Cel::List(Arc::new(items.iter().map(|i| to_cel(&item_schema, i, false)).collect()))
        }
        Value::Object(map) => object_to_cel(s, map, root),
    }
}

/// A string by its `format`: `byte` is bytes (when it decodes). `date-time` stays a string
/// (the API server binds a timestamp; no upstream rule reads one).
fn string_to_cel(format: Option<&str>, text: &str) -> Cel {
    match format {
        Some("byte") => {
            use base64::Engine as _;
            match base64::engine::general_purpose::STANDARD.decode(text) {
                Ok(bytes) => Cel::Bytes(Arc::new(bytes)),
                Err(_) => Cel::String(Arc::new(text.to_string())),
            }
        }
        _ => Cel::String(Arc::new(text.to_string())),
    }
}

/// An object: properties by their escaped names, map entries by their keys.
fn object_to_cel(s: Option<&Map<String, Value>>, map: &Map<String, Value>, root: bool) -> Cel {
    let props = s.and_then(|s| s.get("properties")).and_then(Value::as_object);
    let additional = s.and_then(|s| s.get("additionalProperties")).filter(|a| a.is_object());
    let mut out: HashMap<Key, Cel> = HashMap::with_capacity(map.len());
    for (key, child) in map {
        let (name, sub) = match (props.and_then(|p| p.get(key)), additional) {
            (Some(sub), _) => match escape_property(key) {
                Some(name) => (name, sub),
                None => continue,
            },
            (None, Some(sub)) => (key.clone(), sub),
            (None, None) => (key.clone(), &Value::Null),
        };
        let converted = if root && key == "metadata" {
            let kept: Map<String, Value> = child
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, _)| *k == "name" || *k == "generateName")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            to_cel(&Value::Null, &Value::Object(kept), false)
        } else {
            to_cel(sub, child, false)
        };
        out.insert(Key::String(Arc::new(name)), converted);
    }
    Cel::Map(CelMap { map: Arc::new(out) })
}
