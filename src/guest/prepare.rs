//! What every call checks before it sends anything or touches a file: its
//! options, the gateway URL and the token. A failure here is `attempts: 0`.

use super::attempts::before_sending;
use crate::gateway_url::{self, Endpoint};
use crate::options::{self, Operation, Resolved};
use crate::token;
use crate::types::{Error, Failure, Options};

/// A call's resolved options and where its requests go.
pub struct Prepared {
    pub limits: Resolved,
    pub endpoint: Endpoint,
}

/// Checks a call's input. `token_name` names the token in the message
/// (`gateway token`, `run token`); the token itself is never quoted.
pub fn prepare(
    op: Operation,
    options: &Options,
    url: &str,
    token: &str,
    token_name: &str,
) -> Result<Prepared, Failure> {
    let invalid = |m| before_sending(Error::InvalidInput(m));
    let limits = options::resolve(op, options).map_err(invalid)?;
    let endpoint = gateway_url::endpoint(url).map_err(invalid)?;
    token::check(token, token_name).map_err(invalid)?;
    Ok(Prepared { limits, endpoint })
}
