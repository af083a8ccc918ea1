//! JWT providers as `security.istio.io/v1` RequestAuthentications: one per gateway workload that
//! validates tokens, in the gateway namespace, with a `jwtRules` entry per provider it uses (the
//! providers its access rules name, and those attached to its gateways explicitly).
//!
//! A RequestAuthentication only validates: a request with a bad token is rejected (401), a request
//! without a token passes with no request principal. Requiring a token is the job of the access
//! rules (`from[].jwt`), rendered in [`super::authorization_policy`].

use super::Generated;
use super::authorization_policy::{attachment, security_policy};
use crate::error::Error;
use crate::model::Model;
use crate::model::access::{AccessModel, TargetModel};
use crate::types::istio::{ClaimToHeader, JwtHeader, JwtRule, RequestAuthenticationSpec};

/// Name of a target's RequestAuthentication.
pub fn request_authentication_name(target: &TargetModel) -> String {
    format!("{}-jwt", target.name)
}

/// Render the RequestAuthentications.
pub fn render(model: &Model) -> Result<Vec<Generated>, Error> {
    let mut out = Vec::new();
    for target in &model.access.targets {
        let Some(spec) = spec(&model.access, target) else { continue };
        let name = request_authentication_name(target);
        out.push(security_policy(model, target, "RequestAuthentication", &name, spec)?);
    }
    Ok(out)
}

/// The RequestAuthentication spec of a target, when it validates any provider's tokens.
pub fn spec(access: &AccessModel, target: &TargetModel) -> Option<RequestAuthenticationSpec> {
    if target.providers.is_empty() {
        return None;
    }
    let attach = attachment(target);
    let jwt_rules = target
        .providers
        .iter()
        .filter_map(|&i| access.providers.get(i))
        .map(|provider| {
            let p = &provider.spec;
            JwtRule {
                issuer: p.issuer.clone(),
                audiences: p.audiences.clone(),
                jwks_uri: p.jwks_uri.clone(),
                jwks: p.jwks.clone(),
                from_headers: p
                    .from_headers
                    .iter()
                    .map(|h| JwtHeader { name: h.name.clone(), prefix: h.prefix.clone() })
                    .collect(),
                from_params: p.from_params.clone(),
                from_cookies: p.from_cookies.clone(),
                forward_original_token: p.forward_original_token,
                output_claim_to_headers: p
                    .output_claim_to_headers
                    .iter()
                    .map(|c| ClaimToHeader { header: c.header.clone(), claim: c.claim.clone() })
                    .collect(),
                output_payload_to_header: p.output_payload_to_header.clone(),
            }
        })
        .collect();
    Some(RequestAuthenticationSpec {
        selector: attach.selector(),
        target_refs: attach.target_refs(),
        jwt_rules,
    })
}
