//! Authentication switches: unauthenticated reports, JWT flaws, enumeration, token in URL, `WWW-Authenticate`,
//! login throttling.

use super::Lab;
use crate::lab::jwt::{self, b64url};
use crate::lab::state::now_unix;
use crate::lab::switches::Switches;

/// A token for `admin` (id 3) that nobody signed.
fn forged(alg: &str, signature: &str) -> String {
    let header = b64url(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#).as_bytes());
    let payload = b64url(
        format!(
            r#"{{"sub":"3","username":"admin","role":"admin","iat":0,"exp":{}}}"#,
            now_unix() + 600
        )
        .as_bytes(),
    );
    format!("{header}.{payload}.{signature}")
}

#[tokio::test]
async fn unauthenticated_reports() {
    let vulnerable = Lab::vulnerable().await;
    let open = vulnerable.get("/api/v2/reports").await;
    assert_eq!(open.status, 200);
    assert!(
        open.json()["reports"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
    );

    let hardened = Lab::hardened().await;
    let closed = hardened.get("/api/v2/reports").await;
    assert_eq!(closed.status, 401);
    assert_eq!(closed.body, r#"{"error":"unauthorized"}"#);
    let token = hardened.token("alice").await;
    assert_eq!(hardened.get_as("/api/v2/reports", &token).await.status, 200);
}

#[tokio::test]
async fn jwt_alg_none() {
    let vulnerable = Lab::vulnerable().await;
    let hardened = Lab::hardened().await;
    for alg in ["none", "None", "NONE"] {
        let me = vulnerable.get_as("/api/v2/me", &forged(alg, "")).await;
        assert_eq!(
            (me.status, me.json()["username"].as_str()),
            (200, Some("admin")),
            "{alg}"
        );
        assert_eq!(
            hardened.get_as("/api/v2/me", &forged(alg, "")).await.status,
            401,
            "{alg}"
        );
    }
}

#[tokio::test]
async fn jwt_no_signature_check() {
    let vulnerable = Lab::vulnerable().await;
    let hardened = Lab::hardened().await;
    for signature in ["Z2FyYmFnZQ", "", "AAAA"] {
        let token = forged("HS256", signature);
        assert_eq!(vulnerable.get_as("/api/v2/me", &token).await.status, 200);
        assert_eq!(hardened.get_as("/api/v2/me", &token).await.status, 401);
    }
    // A genuine token with one signature character changed.
    let mut token = hardened.token("alice").await;
    let last = if token.ends_with('A') { "B" } else { "A" };
    token.replace_range(token.len() - 1.., last);
    assert_eq!(hardened.get_as("/api/v2/me", &token).await.status, 401);
}

#[tokio::test]
async fn jwt_weak_secret() {
    let check = Switches::all_off();
    let vulnerable = Lab::vulnerable().await;
    let token = vulnerable.token("alice").await;
    assert!(
        jwt::verify(&token, b"secret", &check, now_unix()).is_ok(),
        "signed with `secret`"
    );

    let hardened = Lab::hardened().await;
    let token = hardened.token("alice").await;
    for guess in ["secret", "password", "changeme", "apiward", ""] {
        assert!(
            jwt::verify(&token, guess.as_bytes(), &check, now_unix()).is_err(),
            "{guess}"
        );
    }
    assert_eq!(hardened.get_as("/api/v2/me", &token).await.status, 200);
}

#[tokio::test]
async fn jwt_expired_accepted() {
    for (lab, expected) in [(Lab::vulnerable().await, 200), (Lab::hardened().await, 401)] {
        let login = lab
            .post(
                "/api/v2/login",
                r#"{"username":"bob","password":"bob-pass","expires_in":-60}"#,
            )
            .await;
        assert_eq!(login.status, 200);
        assert_eq!(login.json()["expires_in"], -60);
        let token = login.json()["token"].as_str().expect("token").to_owned();
        assert_eq!(lab.get_as("/api/v2/me", &token).await.status, expected);
    }
    // Lifetimes are clamped to an hour.
    let lab = Lab::hardened().await;
    let login = lab
        .post(
            "/api/v2/login",
            r#"{"username":"bob","password":"bob-pass","expires_in":999999999}"#,
        )
        .await;
    assert_eq!(login.json()["expires_in"], 3600);
}

#[tokio::test]
async fn login_user_enumeration() {
    let vulnerable = Lab::vulnerable().await;
    let unknown = vulnerable.login_response("nobody", "x").await;
    assert_eq!(
        (unknown.status, unknown.body.as_str()),
        (404, r#"{"error":"no such user"}"#)
    );
    let wrong = vulnerable.login_response("alice", "x").await;
    assert_eq!(
        (wrong.status, wrong.body.as_str()),
        (401, r#"{"error":"wrong password"}"#)
    );

    let hardened = Lab::hardened().await;
    let unknown = hardened.login_response("nobody", "x").await;
    let wrong = hardened.login_response("alice", "x").await;
    assert_eq!((unknown.status, wrong.status), (401, 401));
    assert_eq!(unknown.body, r#"{"error":"invalid credentials"}"#);
    assert_eq!(unknown.body, wrong.body);
}

#[tokio::test]
async fn token_in_url() {
    let vulnerable = Lab::vulnerable().await;
    let login = vulnerable.login_response("alice", "alice-pass").await;
    let link = login.json()["links"]["profile"]
        .as_str()
        .expect("link")
        .to_owned();
    assert!(link.starts_with("/api/v2/me?access_token=ey"), "{link}");
    let me = vulnerable.get(&link).await;
    assert_eq!(
        (me.status, me.json()["username"].as_str()),
        (200, Some("alice"))
    );

    let hardened = Lab::hardened().await;
    let login = hardened.login_response("alice", "alice-pass").await;
    assert!(login.json().get("links").is_none());
    let token = login.json()["token"].as_str().expect("token").to_owned();
    let me = hardened
        .get(&format!("/api/v2/me?access_token={token}"))
        .await;
    assert_eq!(me.status, 401);
}

#[tokio::test]
async fn missing_www_authenticate() {
    let vulnerable = Lab::vulnerable().await;
    let hardened = Lab::hardened().await;
    for path in ["/api/v2/me", "/api/v2/orders/101"] {
        assert_eq!(vulnerable.get(path).await.header("www-authenticate"), None);
        let refused = hardened.get(path).await;
        assert_eq!(refused.status, 401);
        assert_eq!(
            refused.header("www-authenticate"),
            Some(r#"Bearer realm="apiward-lab""#)
        );
    }
    // Failed logins are 401s too.
    let failed = hardened.login_response("alice", "nope").await;
    assert_eq!(
        failed.header("www-authenticate"),
        Some(r#"Bearer realm="apiward-lab""#)
    );
}

#[tokio::test]
async fn login_no_rate_limit() {
    let vulnerable = Lab::vulnerable().await;
    for _ in 0..12 {
        assert_ne!(vulnerable.login_response("alice", "bad").await.status, 429);
    }
    assert_eq!(
        vulnerable
            .login_response("alice", "alice-pass")
            .await
            .status,
        200
    );

    let hardened = Lab::hardened().await;
    // Successes do not count.
    for _ in 0..6 {
        assert_eq!(hardened.login_response("bob", "bob-pass").await.status, 200);
    }
    for attempt in 0..5 {
        let username = if attempt % 2 == 0 { "alice" } else { "ghost" };
        assert_eq!(
            hardened.login_response(username, "bad").await.status,
            401,
            "attempt {attempt}"
        );
    }
    let throttled = hardened.login_response("alice", "bad").await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.header("retry-after"), Some("60"));
    assert_eq!(
        hardened.login_response("alice", "alice-pass").await.status,
        429
    );
}
