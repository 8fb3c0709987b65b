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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Basic, NameValue};

    fn cred(c: Credential) -> Cred {
        let env = crate::template::environment();
        let ident = Identity {
            credential: Some(c),
            ..Identity::default()
        };
        let ctx = crate::template::to_value(serde_json::json!({"secrets": {"k": "s3cr3t"}}));
        render_credential(&env, &ident, &ctx).expect("credential")
    }

    #[test]
    fn every_credential_kind() {
        let c = cred(Credential {
            bearer: Some("{{ secrets.k }}".into()),
            ..Default::default()
        });
        assert_eq!(
            c.header,
            Some(("authorization".into(), "Bearer s3cr3t".into()))
        );
        let c = cred(Credential {
            header: Some(NameValue {
                name: "X-Api-Key".into(),
                value: "{{ secrets.k }}".into(),
            }),
            ..Default::default()
        });
        assert_eq!(c.header, Some(("x-api-key".into(), "s3cr3t".into())));
        let c = cred(Credential {
            cookie: Some(NameValue {
                name: "sid".into(),
                value: "{{ secrets.k }}".into(),
            }),
            ..Default::default()
        });
        assert_eq!(c.header, Some(("cookie".into(), "sid=s3cr3t".into())));
        let c = cred(Credential {
            basic: Some(Basic {
                username: "u".into(),
                password: "{{ secrets.k }}".into(),
            }),
            ..Default::default()
        });
        assert_eq!(
            c.header,
            Some(("authorization".into(), "Basic dTpzM2NyM3Q=".into()))
        );
    }
}
