//! Gateway-minted bearer tokens: HS256 JWTs carrying the scope
//! (organization, agent, conversation), an optional run id and an expiry.
//!
//! Clients treat them as opaque; only this module reads them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Audience stamped into every token, so an HS256 token minted for another
/// service with the same secret is not accepted here.
const AUDIENCE: &str = "transcript-snapshot";

/// What a token grants. `run_id: None` is a deployment token (GET, DELETE);
/// `Some(n)` is a per-run token that may also POST the snapshot of run `n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub organization_id: String,
    pub agent_id: String,
    pub conversation_id: String,
    pub run_id: Option<i64>,
    /// Expiry, seconds since the Unix epoch.
    pub expires_at: u64,
}

impl TokenClaims {
    /// A deployment token (no run binding) valid for `ttl` from now.
    pub fn deployment(
        organization_id: impl Into<String>,
        agent_id: impl Into<String>,
        conversation_id: impl Into<String>,
        ttl: Duration,
    ) -> Self {
        Self {
            organization_id: organization_id.into(),
            agent_id: agent_id.into(),
            conversation_id: conversation_id.into(),
            run_id: None,
            expires_at: now_secs().saturating_add(ttl.as_secs()),
        }
    }

    /// A per-run token bound to `run_id`, valid for `ttl` from now.
    pub fn for_run(
        organization_id: impl Into<String>,
        agent_id: impl Into<String>,
        conversation_id: impl Into<String>,
        run_id: i64,
        ttl: Duration,
    ) -> Self {
        Self {
            run_id: Some(run_id),
            ..Self::deployment(organization_id, agent_id, conversation_id, ttl)
        }
    }
}

/// The scope a verified token addresses; every field is non-empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub organization_id: String,
    pub agent_id: String,
    pub conversation_id: String,
}

/// A verified token: its scope may still be missing (→ 400, not 401).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    pub scope: Option<Scope>,
    pub run_id: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token secret must not be empty")]
    EmptySecret,
    /// Wraps signature, expiry, audience and format failures alike; the
    /// message never contains the token itself.
    #[error("invalid token: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
}

/// On-the-wire claims. Scope fields are optional so a signed token that lacks
/// one decodes and can be answered with 400 rather than 401.
#[derive(Serialize, Deserialize)]
struct WireClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    org: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    conv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    run: Option<i64>,
    exp: u64,
    aud: String,
}

/// Signs `claims` with `secret` (HS256). Empty scope strings are left out of
/// the token, which then is a valid token without scope.
pub fn mint_token(secret: impl AsRef<[u8]>, claims: &TokenClaims) -> Result<String, TokenError> {
    let secret = secret.as_ref();
    if secret.is_empty() {
        return Err(TokenError::EmptySecret);
    }
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let wire = WireClaims {
        org: non_empty(&claims.organization_id),
        agent: non_empty(&claims.agent_id),
        conv: non_empty(&claims.conversation_id),
        run: claims.run_id,
        exp: claims.expires_at,
        aud: AUDIENCE.to_owned(),
    };
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &wire,
        &EncodingKey::from_secret(secret),
    )?)
}

/// Verifies tokens against one secret; built once at start-up.
#[derive(Clone)]
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl TokenVerifier {
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Self, TokenError> {
        let secret = secret.as_ref();
        if secret.is_empty() {
            return Err(TokenError::EmptySecret);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "aud"]);
        // Tokens are minted by the same deployment; no clock-skew allowance.
        validation.leeway = 0;
        Ok(Self {
            key: DecodingKey::from_secret(secret),
            validation,
        })
    }

    pub fn verify(&self, token: &str) -> Result<VerifiedToken, TokenError> {
        let data = jsonwebtoken::decode::<WireClaims>(token, &self.key, &self.validation)?;
        let c = data.claims;
        let present = |v: Option<String>| v.filter(|s| !s.is_empty());
        let scope = match (present(c.org), present(c.agent), present(c.conv)) {
            (Some(organization_id), Some(agent_id), Some(conversation_id)) => Some(Scope {
                organization_id,
                agent_id,
                conversation_id,
            }),
            _ => None,
        };
        Ok(VerifiedToken {
            scope,
            run_id: c.run,
        })
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn round_trip_keeps_scope_and_run() {
        let claims = TokenClaims::for_run("o", "a", "c", 7, HOUR);
        let token = mint_token("s3cret", &claims).unwrap();
        let verified = TokenVerifier::new("s3cret")
            .unwrap()
            .verify(&token)
            .unwrap();
        assert_eq!(verified.run_id, Some(7));
        assert_eq!(verified.scope.unwrap().conversation_id, "c");
    }

    #[test]
    fn wrong_secret_and_expiry_are_rejected() {
        let token = mint_token("a", &TokenClaims::deployment("o", "a", "c", HOUR)).unwrap();
        assert!(TokenVerifier::new("b").unwrap().verify(&token).is_err());
        let mut expired = TokenClaims::deployment("o", "a", "c", HOUR);
        expired.expires_at = now_secs() - 10;
        let token = mint_token("a", &expired).unwrap();
        assert!(TokenVerifier::new("a").unwrap().verify(&token).is_err());
    }

    #[test]
    fn empty_scope_field_verifies_without_scope() {
        let token = mint_token("k", &TokenClaims::deployment("o", "a", "", HOUR)).unwrap();
        let verified = TokenVerifier::new("k").unwrap().verify(&token).unwrap();
        assert_eq!(verified.scope, None);
    }

    #[test]
    fn empty_secret_is_refused() {
        assert!(matches!(
            TokenVerifier::new(""),
            Err(TokenError::EmptySecret)
        ));
    }
}
