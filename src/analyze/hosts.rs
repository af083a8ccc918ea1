//! Host names as Istio reads them in Gateways, VirtualServices and DestinationRules.

use super::package::same_namespace;
use std::borrow::Cow;

/// The cluster domain Istio assumes for short service names.
pub const CLUSTER_DOMAIN: &str = "svc.cluster.local";

/// A Gateway server host as it applies to VirtualServices in `vs_namespace`, or `None` when it does
/// not: `ns/host` binds only VirtualServices of `ns`, `./host` only those of the Gateway's own
/// namespace, `*/host` and a bare host bind every namespace.
pub fn gateway_host_for<'h>(
    host: &'h str,
    gateway_namespace: Option<&str>,
    vs_namespace: Option<&str>,
) -> Option<&'h str> {
    match host.split_once('/') {
        None => Some(host),
        Some(("*", host)) => Some(host),
        Some((".", host)) => same_namespace(gateway_namespace, vs_namespace).then_some(host),
        Some((namespace, host)) => same_namespace(Some(namespace), vs_namespace).then_some(host),
    }
}

/// A Gateway server host without its namespace part (`ns/host`, `./host`, `*/host` -> `host`).
pub fn without_namespace(host: &str) -> &str {
    host.split_once('/').map(|(_, host)| host).unwrap_or(host)
}

/// Whether two hosts overlap: equal, or one wildcard covers the other (`*` covers everything).
pub fn overlap(a: &str, b: &str) -> bool {
    crate::model::istio_host_matches(a, b) || crate::model::istio_host_matches(b, a)
}

/// A destination host as a fully qualified service name: a short name (`reviews`) is a Service of
/// `namespace` (`reviews.<namespace>.svc.cluster.local`); anything with a dot or a wildcard stays as
/// written. Without a namespace the short name stays short.
pub fn service_fqdn<'h>(host: &'h str, namespace: Option<&str>) -> Cow<'h, str> {
    match namespace {
        Some(namespace) if !host.starts_with('*') && !host.contains('.') => {
            Cow::Owned(format!("{host}.{namespace}.{CLUSTER_DOMAIN}"))
        }
        _ => Cow::Borrowed(host),
    }
}

/// Whether two destination hosts (each from [`service_fqdn`]) name the same service. A short name
/// left unqualified (its object had no namespace) matches that service in any namespace.
pub fn same_service(a: &str, b: &str) -> bool {
    let short_matches = |short: &str, full: &str| {
        !short.contains('.')
            && full
                .strip_prefix(short)
                .is_some_and(|rest| rest.starts_with('.') && rest.ends_with(CLUSTER_DOMAIN))
    };
    a == b || short_matches(a, b) || short_matches(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_hosts_bind_by_namespace() {
        assert_eq!(gateway_host_for("a.com", Some("gw"), Some("app")), Some("a.com"));
        assert_eq!(gateway_host_for("*/a.com", Some("gw"), Some("app")), Some("a.com"));
        assert_eq!(gateway_host_for("app/a.com", Some("gw"), Some("app")), Some("a.com"));
        assert_eq!(gateway_host_for("other/a.com", Some("gw"), Some("app")), None);
        assert_eq!(gateway_host_for("./a.com", Some("gw"), Some("app")), None);
        assert_eq!(gateway_host_for("./a.com", Some("app"), Some("app")), Some("a.com"));
        // An unset namespace could be any namespace.
        assert_eq!(gateway_host_for("other/a.com", Some("gw"), None), Some("a.com"));
        assert_eq!(without_namespace("./a.com"), "a.com");
    }

    #[test]
    fn hosts_overlap_with_wildcards() {
        assert!(overlap("*.example.com", "a.example.com"));
        assert!(overlap("a.example.com", "*.example.com"));
        assert!(overlap("*", "a.example.com"));
        assert!(overlap("*.example.com", "*.a.example.com"));
        assert!(!overlap("*.example.com", "example.com"));
        assert!(!overlap("a.example.com", "b.example.com"));
    }

    #[test]
    fn short_service_names_resolve_in_their_namespace() {
        assert_eq!(service_fqdn("reviews", Some("shop")), "reviews.shop.svc.cluster.local");
        assert_eq!(
            service_fqdn("reviews.shop.svc.cluster.local", Some("x")),
            "reviews.shop.svc.cluster.local"
        );
        assert_eq!(service_fqdn("*.shop.svc.cluster.local", Some("x")), "*.shop.svc.cluster.local");
        assert_eq!(service_fqdn("reviews", None), "reviews");
        assert!(same_service("reviews", "reviews.shop.svc.cluster.local"));
        assert!(!same_service("reviews.a.svc.cluster.local", "reviews.b.svc.cluster.local"));
    }
}
