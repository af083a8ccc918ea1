//! Edge access, judged by what a gateway would do: the AuthorizationPolicies each `edge-*` golden
//! case renders are run through a model of Istio's policy evaluation (`support/authz_eval.rs`)
//! against requests a user would try, including the ones that slip past careless policies (a port
//! in the `Host` header, an upper-case host, an ACME challenge, a TLS passthrough connection).
//!
//! The central promise is checked in every case: access rules never make a gateway deny what they
//! do not name. A route-level `ALLOW` rule leaves every other route of the gateway working.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/authz_eval.rs"]
mod authz_eval;
#[path = "support/golden_cases.rs"]
mod golden_cases;

use authz_eval::{Decision, Request, decide, policies_for};
use serde_json::Value;
use std::collections::BTreeMap;

const NS: &str = "istio-ingress";
const OUTSIDE: &str = "192.0.2.10";

/// The rendered items of the golden case `name`.
fn rendered(name: &str) -> Vec<Value> {
    let case = golden_cases::cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no golden case {name}"));
    let run = golden_cases::run_krm(&case.config, &case.input).unwrap();
    assert_eq!(run.code, 0, "{name} failed:\n{}", run.stderr);
    run.items()
}

fn labels(istio: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("istio".to_string(), istio.to_string())])
}

/// Decide every request and compare with the expectation, reporting all mismatches at once.
#[track_caller]
fn expect(items: &[Value], istio: &str, cases: &[(&str, Request, Decision)]) {
    let policies = policies_for(items, NS, &labels(istio));
    assert!(!policies.is_empty(), "no AuthorizationPolicy selects istio={istio}");
    for policy in &policies {
        assert_ne!(
            policy["spec"]["action"], "ALLOW",
            "an ALLOW policy on a gateway makes it deny everything else: {}",
            policy["metadata"]["name"]
        );
    }
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|(what, request, expected)| {
            let got = decide(&policies, request);
            (got != *expected).then(|| format!("{what}: expected {expected:?}, got {got:?}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn jwt_on_admin_of_one_route() {
    let items = rendered("edge-jwt-admin");
    let auth0 = "https://shop.eu.auth0.com//user-1";
    let roles = "request.auth.claims[https://shop.example.com/roles]";
    let admin = |path: &str| Request::get("shop.example.com", 443, path, OUTSIDE);
    expect(
        &items,
        "ingressgateway-external",
        &[
            ("admin without a token", admin("/admin/users"), Decision::Denied),
            ("admin root without a token", admin("/admin"), Decision::Denied),
            (
                "admin with a port in Host",
                Request::get("shop.example.com:443", 443, "/admin", OUTSIDE),
                Decision::Denied,
            ),
            (
                "admin with an upper-case Host",
                Request::get("SHOP.example.com", 443, "/admin", OUTSIDE),
                Decision::Denied,
            ),
            (
                "admin with an admin token",
                admin("/admin/users").token(auth0, &[(roles, &["admin"])]),
                Decision::Allowed,
            ),
            (
                "admin with a token without the role",
                admin("/admin/users").token(auth0, &[]),
                Decision::Denied,
            ),
            (
                "admin with another issuer's token",
                admin("/admin").token("partner-issuer/user-1", &[(roles, &["admin"])]),
                Decision::Denied,
            ),
            (
                "admin over HTTP is redirected, not refused",
                Request::get("shop.example.com", 80, "/admin", OUTSIDE),
                Decision::Allowed,
            ),
            ("shop outside /admin", admin("/products"), Decision::Allowed),
            ("a path that only starts like admin", admin("/administrator"), Decision::Allowed),
            (
                "the other route, same path",
                Request::get("blog.example.com", 443, "/admin", OUTSIDE),
                Decision::Allowed,
            ),
        ],
    );
}

/// The canary example: `/admin` needs a single sign-on token from an admin; the canary's routes
/// and the ACME challenge path stay open.
#[test]
fn canary_example_requires_an_admin_token_on_admin() {
    let items = rendered("example-canary");
    let sso = "https://sso.example.com/realms/bookinfo/user-1";
    let groups = "request.auth.claims[groups]";
    let books = |path: &str| Request::get("books.example.com", 443, path, OUTSIDE);
    expect(
        &items,
        "ingressgateway-external",
        &[
            ("admin without a token", books("/admin"), Decision::Denied),
            ("admin below without a token", books("/admin/reviews"), Decision::Denied),
            ("admin as a tester", books("/admin").token(sso, &[(groups, &["testers"])]), Decision::Denied),
            (
                "admin as an admin",
                books("/admin").token(sso, &[(groups, &["admins", "testers"])]),
                Decision::Allowed,
            ),
            (
                "admin with another issuer's token",
                books("/admin").token("other/user-1", &[(groups, &["admins"])]),
                Decision::Denied,
            ),
            ("the canary without a token", books("/reviews/1"), Decision::Allowed),
            (
                "an ACME challenge",
                Request::get("books.example.com", 80, "/.well-known/acme-challenge/x", OUTSIDE),
                Decision::Allowed,
            ),
        ],
    );
}

#[test]
fn route_level_allow_leaves_other_routes_working() {
    let items = rendered("edge-route-allow-keeps-other-routes");
    let corp = "https://login.example.com/realms/corp/alice";
    let roles = "request.auth.claims[realm_access][roles]";
    let grafana = |client: &str| Request::get("grafana.apps.example.com", 80, "/d/home", client);
    expect(
        &items,
        "ingressgateway-external",
        &[
            ("grafana from the office", grafana("203.0.113.5"), Decision::Allowed),
            ("grafana from outside", grafana(OUTSIDE), Decision::Denied),
            (
                "grafana from outside with a viewer token",
                grafana(OUTSIDE).token(corp, &[(roles, &["grafana-viewer"])]),
                Decision::Allowed,
            ),
            (
                "grafana from outside with a token without a role",
                grafana(OUTSIDE).token(corp, &[(roles, &["other"])]),
                Decision::Denied,
            ),
            ("shop from outside", Request::get("shop.apps.example.com", 80, "/", OUTSIDE), Decision::Allowed),
            (
                "catch-all from outside",
                Request::get("anything.apps.example.com", 80, "/", OUTSIDE),
                Decision::Allowed,
            ),
        ],
    );
}

#[test]
fn ip_allow_list_at_a_gateway_keeps_acme_challenges_open() {
    let items = rendered("edge-ip-allowlist");
    let request =
        |port: u32, path: &str, client: &str| Request::get("intranet.example.com", port, path, client);
    expect(
        &items,
        "ingressgateway-office",
        &[
            ("office network", request(443, "/", "203.0.113.9"), Decision::Allowed),
            ("office host", request(443, "/", "198.51.100.17"), Decision::Allowed),
            ("office IPv6", request(443, "/", "2001:db8:1234::1"), Decision::Allowed),
            ("outside", request(443, "/", OUTSIDE), Decision::Denied),
            ("outside IPv6", request(443, "/", "2001:db8:ff00::1"), Decision::Denied),
            (
                "ACME challenge from outside",
                request(80, "/.well-known/acme-challenge/token", OUTSIDE),
                Decision::Allowed,
            ),
            // Port 80 only redirects to HTTPS (and answers challenges): outsiders get the redirect,
            // then the refusal on 443.
            ("other path on port 80 from outside", request(80, "/", OUTSIDE), Decision::Allowed),
            (
                "challenge path on 443 from outside",
                request(443, "/.well-known/acme-challenge/x", OUTSIDE),
                Decision::Denied,
            ),
        ],
    );
}

#[test]
fn deny_by_path_and_method_spare_tls_passthrough() {
    let items = rendered("edge-deny-paths-tls");
    let api = |path: &str, client: &str| Request::get("api.example.com", 443, path, client);
    expect(
        &items,
        "ingressgateway-internal",
        &[
            ("internal endpoint", api("/internal/state", "10.0.0.5"), Decision::Denied),
            ("debug endpoint", api("/debug/pprof", "10.0.0.5"), Decision::Denied),
            ("ordinary path", api("/v1/items", "10.0.0.5"), Decision::Allowed),
            ("metrics (route rule)", api("/metrics", "10.0.0.5"), Decision::Denied),
            (
                "metrics with a port in Host",
                Request::get("api.example.com:443", 443, "/metrics", "10.0.0.5"),
                Decision::Denied,
            ),
            ("write from the batch network", api("/v1/items", "10.20.3.4").method("POST"), Decision::Denied),
            (
                "write from the batch IPv6 network",
                api("/v1/items", "fd00:20::7").method("DELETE"),
                Decision::Denied,
            ),
            ("read from the batch network", api("/v1/items", "10.20.3.4"), Decision::Allowed),
            ("passthrough from the batch network", Request::tcp(8443, "10.20.3.4"), Decision::Allowed),
            ("passthrough from a quarantined network", Request::tcp(8443, "10.99.1.1"), Decision::Denied),
            ("HTTPS from a quarantined network", api("/", "10.99.1.1"), Decision::Denied),
        ],
    );
}

#[test]
fn custom_ext_authz_on_a_route_and_a_shared_workload_gateway() {
    let items = rendered("edge-custom-ext-authz");
    let portal = |path: &str| Request::get("portal.example.com", 443, path, OUTSIDE);
    let partner = |path: &str| Request::get("partner.example.com", 8443, path, OUTSIDE);
    expect(
        &items,
        "ingressgateway",
        &[
            ("portal page", portal("/home"), Decision::Custom("oauth2-proxy".to_string())),
            ("portal login callback", portal("/oauth2/callback"), Decision::Allowed),
            ("portal health", portal("/healthz"), Decision::Allowed),
            ("partner gateway", partner("/"), Decision::Custom("partner-oauth2-proxy".to_string())),
            (
                "portal over HTTP is redirected without a round trip",
                Request::get("portal.example.com", 80, "/", OUTSIDE),
                Decision::Allowed,
            ),
        ],
    );
}
