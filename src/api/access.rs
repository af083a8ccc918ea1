//! Edge authentication and authorization in `mesh-ingress.dev/v1alpha1`: JWT providers
//! (`spec.jwtProviders`), access rules on gateways (`spec.gateways[].access`) and on routes
//! (`spec.routes[].access`), and how a gateway learns the client's address
//! (`spec.gateways[].gatewayTopology`). Re-exported by [`super::v1alpha1`]; the `///` comments are
//! the user documentation, as there.
//!
//! How rules become Istio policies, and why an `ALLOW` rule never turns a gateway default-deny, is
//! explained in [`crate::render::authorization_policy`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A JWT issuer whose tokens gateways validate: one `jwtRules` entry of a `security.istio.io/v1`
/// RequestAuthentication on each gateway workload that uses it. A request with a token from this
/// issuer that fails validation (signature, expiry, audience) is rejected with 401; a request without
/// a token passes authentication, so access rules with `jwt` decide whether a token is required.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JwtProvider {
    /// Name that access rules use in `from[].jwt.providers`; a DNS-1123 label, unique.
    pub name: String,

    /// The token issuer: the exact `iss` claim, usually a URL such as
    /// `https://accounts.example.com/` (a trailing slash counts). Unique among providers.
    pub issuer: String,

    /// URL of the issuer's public keys (JWKS), `https://` (or `http://`). Exclusive with `jwks`.
    /// Neither set: Istio discovers the keys from `<issuer>/.well-known/openid-configuration`, which
    /// needs an `https://` issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,

    /// The public keys inline, as a JWKS JSON document (`{"keys": [...]}`). Exclusive with `jwksUri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<String>,

    /// Accepted `aud` values; a token must carry at least one. Empty: the audience is not checked.
    #[serde(default)]
    pub audiences: Vec<String>,

    /// Headers the token is read from, each with an optional prefix to strip. Empty, together with
    /// `fromParams` and `fromCookies`: Istio's default, `Authorization: Bearer <token>` and the
    /// `access_token` query parameter.
    #[serde(default)]
    pub from_headers: Vec<JwtHeader>,

    /// Query parameters the token is read from.
    #[serde(default)]
    pub from_params: Vec<String>,

    /// Cookies the token is read from.
    #[serde(default)]
    pub from_cookies: Vec<String>,

    /// Pass the token on to the backend. Default `false`: the gateway removes it after validation.
    #[serde(default)]
    pub forward_original_token: bool,

    /// Claims copied into request headers for the backend after validation. The gateway removes a
    /// header of the same name that a client sent (istio/istio#53212), so backends can trust it.
    #[serde(default)]
    pub output_claim_to_headers: Vec<ClaimToHeader>,

    /// A header that receives the validated token's payload, base64url-encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_payload_to_header: Option<String>,

    /// Gateways (names of `spec.gateways` entries) that validate this provider's tokens even where no
    /// access rule requires one, for example to copy claims into headers when a token is present. A
    /// gateway whose access rules (or whose routes' access rules) name the provider always gets it.
    /// Gateways sharing a workload share its RequestAuthentication.
    #[serde(default)]
    pub gateways: Vec<String>,
}

/// A header a JWT is read from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JwtHeader {
    /// Header name, such as `Authorization` or `x-jwt-assertion`.
    pub name: String,
    /// Prefix before the token, such as `"Bearer "` (note the space); unset: the whole value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// A claim copied into a request header.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClaimToHeader {
    /// Header name: letters, digits, `-` and `_`.
    pub header: String,
    /// Claim name (string, integer or boolean claims only); `.` separates nested claims.
    pub claim: String,
}

/// An access rule, enforced by the gateway workload as `security.istio.io/v1` AuthorizationPolicies.
///
/// Istio evaluates `CUSTOM` policies first, then `DENY`, then `ALLOW`. `ALLOW` rules here are
/// restrictions of their own scope: within `to`, only requests matching a `from` entry pass, and
/// requests outside `to` are not affected. They are rendered as `DENY` policies of the negated
/// conditions, never as Istio `ALLOW` policies, because a single Istio `ALLOW` policy makes the
/// whole workload deny every request it does not match: a route-level allow rule would silently
/// block every other route of the gateway. Several rules that match one request must all be
/// satisfied.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessRule {
    /// Name, a DNS-1123 label unique within its list; part of the AuthorizationPolicy name
    /// (`<gateway>-<name>` for gateway rules, `<gateway>-<route namespace>-<route>-<name>` for route
    /// rules). Default: `access-<index>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,

    /// `ALLOW`: within `to`, only requests that match one `from` entry pass (at least one entry).
    /// `DENY`: requests within `to` that match any `from` entry (all of them, without `from`) get
    /// 403. `CUSTOM`: requests within `to` are checked by the external authorizer `provider`
    /// (`from` does not apply).
    #[serde(default)]
    pub action: AccessAction,

    /// `CUSTOM` only: name of an extension provider (`envoyExtAuthzHttp` or `envoyExtAuthzGrpc`)
    /// defined in istiod's `meshConfig.extensionProviders`. Istio denies every request on the gateway
    /// while a policy names a provider it does not know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,

    /// Which requests the rule applies to; every field set must match. Default: every request on
    /// the gateway, or, for a route rule, every request for the route's hosts.
    #[serde(default)]
    pub to: AccessScope,

    /// Who passes (`ALLOW`) or who is denied (`DENY`): a request matches when it matches any entry,
    /// and it matches an entry when it matches every field the entry sets.
    #[serde(default)]
    pub from: Vec<AccessSource>,
}

/// What an access rule does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum AccessAction {
    /// Only requests matching `from` pass within the scope.
    #[default]
    Allow,
    /// Requests matching `from` are denied within the scope.
    Deny,
    /// Requests within the scope are checked by an external authorizer.
    Custom,
}

impl AccessAction {
    /// The spelling used in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessAction::Allow => "ALLOW",
            AccessAction::Deny => "DENY",
            AccessAction::Custom => "CUSTOM",
        }
    }
}

/// The requests an access rule applies to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessScope {
    /// Hosts (the `Host` header, with or without a port). Gateway rules: hosts the gateway serves;
    /// route rules: some of the route's hosts. Empty: all of them.
    #[serde(default)]
    pub hosts: Vec<String>,

    /// Paths, in Istio's syntax: exact (`/admin`), prefix (`/admin/*`), suffix (`*.php`), `*` for
    /// any, or templates (`/users/{*}/profile`, `/static/{**}`). `/admin` alone does not cover
    /// `/admin/users`: write `[/admin, /admin/*]`. Empty: every path. Istio compares the path after
    /// its normalization (istiod's `meshConfig.pathNormalization`), whose default keeps `//` and
    /// `%2F`: when backends read `//admin` as `/admin`, set `MERGE_SLASHES` or
    /// `DECODE_AND_MERGE_SLASHES` there.
    #[serde(default)]
    pub paths: Vec<String>,

    /// Paths excluded from the scope, same syntax as `paths`.
    #[serde(default)]
    pub not_paths: Vec<String>,

    /// HTTP methods, uppercase (`GET`, `POST`). Empty: every method.
    #[serde(default)]
    pub methods: Vec<String>,

    /// Gateway server ports. Empty: every port. Rules that look at hosts, paths, methods or JWTs are
    /// limited to the `HTTP` and `HTTPS` ports of the gateway automatically.
    #[serde(default)]
    #[schemars(range(min = 1, max = 65535))]
    pub ports: Vec<u32>,
}

/// One alternative of an access rule's `from`: every field set must match.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessSource {
    /// Client addresses (`203.0.113.7`, `203.0.113.0/24`, `2001:db8::/32`) as the gateway derives
    /// them from `X-Forwarded-For` or the PROXY protocol. Behind a load balancer this is what you
    /// want, once the gateway can see the client: see `gatewayTopology`.
    #[serde(default)]
    pub remote_ip_blocks: Vec<String>,

    /// Addresses of the direct peer of the gateway's connection. Behind a load balancer that is the
    /// load balancer or a node, not the client: you probably want `remoteIpBlocks`.
    #[serde(default)]
    pub ip_blocks: Vec<String>,

    /// A valid JWT is required (from the given providers, subjects and claims).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt: Option<JwtRequirement>,
}

/// A JWT requirement.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JwtRequirement {
    /// Names of `spec.jwtProviders` entries whose tokens count. Empty: a valid token from any
    /// provider the gateway validates (request principal `*`).
    #[serde(default)]
    pub providers: Vec<String>,

    /// Exact `sub` values allowed (request principals `<issuer>/<subject>` of each provider). Empty:
    /// any subject. Needs `providers`.
    #[serde(default)]
    pub subjects: Vec<String>,

    /// Claims the token must carry, each with one of the listed values (for a list claim such as
    /// `groups`, one of its elements).
    #[serde(default)]
    pub claims: Vec<ClaimRequirement>,
}

/// A claim requirement.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClaimRequirement {
    /// The claim's path: one name for a top-level claim (`[groups]`), several for a nested one
    /// (`[realm_access, roles]`). Names are taken literally, so `https://example.com/roles` works.
    pub claim: Vec<String>,
    /// Accepted values; a trailing or leading `*` matches a prefix or suffix.
    pub values: Vec<String>,
}

/// How the gateway learns the client's address, needed by `remoteIpBlocks` behind a load balancer.
/// Rendered as the gateway pods' `proxy.istio.io/config` annotation (`gatewayTopology`); setting
/// the same in istiod's `meshConfig.defaultConfig.gatewayTopology` as well is harmless.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayTopology {
    /// Number of trusted proxies in front of the gateway that append to `X-Forwarded-For` (an AWS
    /// ALB, a CDN): the client is the entry this many hops from the right. Only set it when such a
    /// proxy is always in front: otherwise clients choose their own address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_trusted_proxies: Option<u32>,

    /// The load balancer sends the PROXY protocol, and the gateway reads the client's address from it.
    /// With `loadBalancer.provider: aws-nlb` the NLB is told to send it
    /// (`service.beta.kubernetes.io/aws-load-balancer-proxy-protocol: "*"`), and its health check
    /// becomes TCP on each traffic port, because the status port does not read the PROXY header
    /// (istio/istio#25875); other load balancers must be configured to send it, or every connection
    /// fails.
    #[serde(default)]
    pub proxy_protocol: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;

    fn same_as_empty<T: Default + DeserializeOwned + PartialEq + std::fmt::Debug>() {
        let read: T = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(T::default(), read);
    }

    #[test]
    fn defaults_in_code_equal_defaults_in_yaml() {
        same_as_empty::<AccessScope>();
        same_as_empty::<AccessSource>();
        same_as_empty::<JwtRequirement>();
        same_as_empty::<GatewayTopology>();
    }

    #[test]
    fn actions_use_istio_spelling() {
        let rule: AccessRule = serde_json::from_value(serde_json::json!({"action": "CUSTOM"})).unwrap();
        assert_eq!(rule.action, AccessAction::Custom);
        assert_eq!(AccessRule::default().action.as_str(), "ALLOW");
    }
}
