//! Identities: turning a profile identity into the headers it sends, logging in once per run.

use crate::model::{Credential, Identity};
use base64::Engine as _;

/// A resolved credential.
#[derive(Debug, Clone, Default)]
pub struct Cred {
    /// Header to add to each request (name, value).
    pub header: Option<(String, String)>,
    /// The raw token value, as `token()` returns it.
    pub raw: String,
}

/// Renders an identity's credential templates with `ctx` (its secrets and login captures).
pub fn render_credential(
    env: &minijinja::Environment<'_>,
    ident: &Identity,
    ctx: &minijinja::Value,
) -> Result<Cred, String> {
    let t = |s: &str| crate::expand::render(env, s, ctx).map_err(|e| crate::template::describe(&e));
    let Some(c): Option<&Credential> = ident.credential.as_ref() else {
        return Ok(Cred::default());
    };
    if let Some(b) = &c.bearer {
        let v = t(b)?;
        return Ok(Cred {
            header: Some(("authorization".into(), format!("Bearer {v}"))),
            raw: v,
        });
    }
    if let Some(h) = &c.header {
        let v = t(&h.value)?;
        return Ok(Cred {
            header: Some((h.name.to_ascii_lowercase(), v.clone())),
            raw: v,
        });
    }
    if let Some(k) = &c.cookie {
        let v = t(&k.value)?;
        return Ok(Cred {
            header: Some(("cookie".into(), format!("{}={v}", k.name))),
            raw: v,
        });
    }
    if let Some(b) = &c.basic {
        let pair = format!("{}:{}", t(&b.username)?, t(&b.password)?);
        let enc = base64::engine::general_purpose::STANDARD.encode(pair);
        return Ok(Cred {
            header: Some(("authorization".into(), format!("Basic {enc}"))),
            raw: enc,
        });
    }
    Ok(Cred::default())
}
