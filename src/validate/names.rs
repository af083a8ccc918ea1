//! Syntax checks for Kubernetes names, label keys and values, host names and durations. Each returns
//! `Err(reason)` phrased to follow "... is not valid: ".

/// A DNS-1123 label: at most 63 lowercase alphanumerics or `-`, starting and ending alphanumeric
/// (Namespace names, most object names, label-like names).
pub fn dns1123_label(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".to_string());
    }
    if name.len() > 63 {
        return Err(format!("it is {} characters long, the limit is 63", name.len()));
    }
    if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Err("only lowercase letters, digits and '-' are allowed (a DNS-1123 label)".to_string());
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err("it must start and end with a letter or digit (a DNS-1123 label)".to_string());
    }
    Ok(())
}

/// A DNS-1035 label: a DNS-1123 label that starts with a letter (Service names).
pub fn dns1035_label(name: &str) -> Result<(), String> {
    dns1123_label(name)?;
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("it must start with a letter (a DNS-1035 label, required for Service names)".to_string());
    }
    Ok(())
}

/// A DNS-1123 subdomain of at most 63 characters: dot-separated labels (Secret and most object names;
/// the 63-character limit keeps generated names usable as label values too).
pub fn object_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".to_string());
    }
    if name.len() > 63 {
        return Err(format!("it is {} characters long, the limit is 63", name.len()));
    }
    for label in name.split('.') {
        dns1123_label(label).map_err(|_| {
            "only lowercase letters, digits, '-' and '.' are allowed, and each dot-separated part must start and end with a letter or digit (a DNS-1123 subdomain)".to_string()
        })?;
    }
    Ok(())
}

/// A label value: at most 63 characters, alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
pub fn label_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    if value.len() > 63 {
        return Err(format!("it is {} characters long, the limit is 63", value.len()));
    }
    if !value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        return Err("only letters, digits, '-', '_' and '.' are allowed in a label value".to_string());
    }
    if !value.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !value.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Err("a label value must start and end with a letter or digit".to_string());
    }
    Ok(())
}

/// A label key: an optional DNS-1123 subdomain prefix and `/`, then a name like a label value.
pub fn label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() || prefix.len() > 253 {
            return Err("the prefix before '/' must be a DNS subdomain of at most 253 characters".to_string());
        }
        for part in prefix.split('.') {
            dns1123_label(part).map_err(|_| "the prefix before '/' must be a DNS subdomain".to_string())?;
        }
    }
    if name.is_empty() {
        return Err("the name part is empty".to_string());
    }
    label_value(name)
}

/// A host name as Istio and X.509 accept it: DNS labels, with `*` allowed only as the whole first label
/// (`*.example.com`), or `*` alone when `allow_star` is set.
pub fn host(host: &str, allow_star: bool) -> Result<(), String> {
    if host == "*" {
        return if allow_star { Ok(()) } else { Err("a bare \"*\" is not allowed here".to_string()) };
    }
    if host.is_empty() {
        return Err("it is empty".to_string());
    }
    if host.len() > 253 {
        return Err(format!("it is {} characters long, the limit is 253", host.len()));
    }
    let rest = match host.strip_prefix("*.") {
        Some(rest) => rest,
        None if host.contains('*') => {
            return Err("a wildcard is allowed only as the whole first label (\"*.example.com\")".to_string());
        }
        None => host,
    };
    if rest.contains('*') {
        return Err("a wildcard is allowed only as the whole first label (\"*.example.com\")".to_string());
    }
    if host != host.to_ascii_lowercase() {
        return Err("host names must be lowercase".to_string());
    }
    for label in rest.split('.') {
        if label.is_empty() {
            return Err("it has an empty label (two dots in a row, or a leading or trailing dot)".to_string());
        }
        if label.len() > 63 {
            return Err(format!("the label {label:?} is longer than 63 characters"));
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            || label.starts_with('-')
            || label.ends_with('-')
        {
            return Err(format!("the label {label:?} is not a DNS label (letters, digits and inner '-')"));
        }
    }
    Ok(())
}

/// An Istio Gateway server host: a [`host`] (`*` allowed), optionally behind a namespace part that
/// is `*`, `.` or a namespace name (`shop/a.example.com`, `./a.example.com`, `*/a.example.com`).
pub fn server_host(text: &str) -> Result<(), String> {
    let (namespace, name) = crate::model::split_server_host(text);
    if let Some(namespace) = namespace
        && namespace != "*"
        && namespace != "."
    {
        dns1123_label(namespace).map_err(|reason| {
            format!("the namespace part {namespace:?} must be \"*\", \".\" or a namespace name ({reason})")
        })?;
    }
    if name.contains('/') {
        return Err("a host has at most one '/', after its namespace part".to_string());
    }
    host(name, true)
}

/// A duration as Istio accepts it (`10s`, `1.5s`, `250ms`, `1m30s`, `1h`): at least 1ms.
pub fn duration(text: &str) -> Result<(), String> {
    let bad = || "expected a duration such as \"10s\", \"250ms\" or \"1m30s\"".to_string();
    if text.is_empty() {
        return Err(bad());
    }
    let mut rest = text;
    let mut total_ms = 0f64;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if number_len == 0 {
            return Err(bad());
        }
        let number: f64 = rest[..number_len].parse().map_err(|_| bad())?;
        rest = &rest[number_len..];
        let (unit_ms, unit_len) = if rest.starts_with("ms") {
            (1.0, 2)
        } else if rest.starts_with('s') {
            (1000.0, 1)
        } else if rest.starts_with('m') {
            (60_000.0, 1)
        } else if rest.starts_with('h') {
            (3_600_000.0, 1)
        } else {
            return Err(bad());
        };
        total_ms += number * unit_ms;
        rest = &rest[unit_len..];
    }
    if total_ms < 1.0 {
        return Err("it must be at least 1ms".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_names() {
        assert!(dns1123_label("istio-ingress").is_ok());
        assert!(dns1123_label("Istio").is_err());
        assert!(dns1123_label(&"a".repeat(64)).is_err());
        assert!(dns1035_label("1abc").is_err());
        assert!(object_name("example.com-tls").is_ok());
        assert!(object_name("a..b").is_err());
        assert!(label_key("topology.istio.io/network").is_ok());
        assert!(label_key("Bad Key").is_err());
        assert!(label_value("ingressgateway-external").is_ok());
        assert!(label_value("-x").is_err());
    }

    #[test]
    fn hosts() {
        assert!(host("*.sandbox.example.com", false).is_ok());
        assert!(host("shop.example.com", false).is_ok());
        assert!(host("*", false).is_err());
        assert!(host("*", true).is_ok());
        assert!(host("a.*.example.com", false).is_err());
        assert!(host("*example.com", false).is_err());
        assert!(host("Shop.example.com", false).is_err());
        assert!(host("shop..example.com", false).is_err());
        for ok in ["*", "a.example.com", "shop/a.example.com", "./a.example.com", "*/a.example.com", "shop/*"]
        {
            assert!(server_host(ok).is_ok(), "{ok}");
        }
        for bad in ["Shop/a.example.com", "/a.example.com", "a/b/c.example.com", "shop/", "../a.example.com"]
        {
            assert!(server_host(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        for ok in ["10s", "1.5s", "250ms", "1m30s", "1h"] {
            assert!(duration(ok).is_ok(), "{ok}");
        }
        for bad in ["", "10", "s", "10 s", "0s", "1d"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }
}
