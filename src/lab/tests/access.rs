//! Authorization switches: BOLA read/write, BFLA, mass assignment, excessive data exposure, page size.

use super::Lab;

#[tokio::test]
async fn bola_read() {
    let vulnerable = Lab::vulnerable().await;
    let alice = vulnerable.token("alice").await;
    let bobs = vulnerable.get_as("/api/v2/orders/102", &alice).await;
    assert_eq!(
        (bobs.status, bobs.json()["owner_id"].as_u64()),
        (200, Some(2))
    );
    assert_eq!(
        vulnerable.get_as("/api/v2/orders/999", &alice).await.status,
        404
    );

    let hardened = Lab::hardened().await;
    let alice = hardened.token("alice").await;
    let admin = hardened.token("admin").await;
    let bobs = hardened.get_as("/api/v2/orders/102", &alice).await;
    assert_eq!(
        (bobs.status, bobs.body.as_str()),
        (404, r#"{"error":"not found"}"#)
    );
    assert_eq!(
        hardened.get_as("/api/v2/orders/101", &alice).await.status,
        200
    );
    assert_eq!(
        hardened.get_as("/api/v2/orders/102", &admin).await.status,
        200
    );
    assert_eq!(
        hardened.get_as("/api/v2/orders/999", &admin).await.status,
        404
    );
    assert_eq!(hardened.get("/api/v2/orders/101").await.status, 401);
}

#[tokio::test]
async fn bola_write() {
    let vulnerable = Lab::vulnerable().await;
    let alice = vulnerable.token("alice").await;
    let changed = vulnerable
        .call_as(
            "PUT",
            "/api/v2/orders/102",
            &alice,
            r#"{"item":"pwned","amount":0.01}"#,
        )
        .await;
    assert_eq!(changed.status, 200);
    assert_eq!(
        (
            changed.json()["item"].as_str(),
            changed.json()["amount"].as_f64()
        ),
        (Some("pwned"), Some(0.01))
    );
    let bob = vulnerable.token("bob").await;
    assert_eq!(
        vulnerable.get_as("/api/v2/orders/102", &bob).await.json()["item"],
        "pwned"
    );

    let hardened = Lab::hardened().await;
    let alice = hardened.token("alice").await;
    let refused = hardened
        .call_as("PUT", "/api/v2/orders/102", &alice, r#"{"item":"pwned"}"#)
        .await;
    assert_eq!(
        (refused.status, refused.body.as_str()),
        (404, r#"{"error":"not found"}"#)
    );
    let bob = hardened.token("bob").await;
    assert_ne!(
        hardened.get_as("/api/v2/orders/102", &bob).await.json()["item"],
        "pwned"
    );
    let own = hardened
        .call_as("PUT", "/api/v2/orders/101", &alice, r#"{"item":"new"}"#)
        .await;
    assert_eq!(
        (own.status, own.json()["item"].as_str()),
        (200, Some("new"))
    );
}

#[tokio::test]
async fn bfla_admin() {
    let vulnerable = Lab::vulnerable().await;
    let alice = vulnerable.token("alice").await;
    let listed = vulnerable.get_as("/api/v2/admin/users", &alice).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()["users"].as_array().map(Vec::len), Some(3));
    let deleted = vulnerable
        .call_as("DELETE", "/api/v2/admin/users/2", &alice, "")
        .await;
    assert_eq!(
        (deleted.status, deleted.json()["deleted"].as_u64()),
        (200, Some(2))
    );
    assert_eq!(
        vulnerable.login_response("bob", "bob-pass").await.status,
        404
    );

    let hardened = Lab::hardened().await;
    let alice = hardened.token("alice").await;
    let listed = hardened.get_as("/api/v2/admin/users", &alice).await;
    assert_eq!(
        (listed.status, listed.body.as_str()),
        (403, r#"{"error":"forbidden"}"#)
    );
    let deleted = hardened
        .call_as("DELETE", "/api/v2/admin/users/2", &alice, "")
        .await;
    assert_eq!(deleted.status, 403);
    assert_eq!(hardened.get("/api/v2/admin/users").await.status, 401);
    let admin = hardened.token("admin").await;
    assert_eq!(
        hardened.get_as("/api/v2/admin/users", &admin).await.status,
        200
    );
    assert_eq!(
        hardened
            .call_as("DELETE", "/api/v2/admin/users/99", &admin, "")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn mass_assignment() {
    let register = r#"{"username":"mallory","password":"m-pass","email":"m@evil.test","role":"admin","is_admin":true}"#;
    let vulnerable = Lab::vulnerable().await;
    let created = vulnerable.post("/api/v2/register", register).await;
    assert_eq!(
        (created.status, created.json()["role"].as_str()),
        (201, Some("admin"))
    );
    let mallory = vulnerable.token_with("mallory", "m-pass").await;
    let me = vulnerable.get_as("/api/v2/me", &mallory).await;
    assert_eq!(me.json()["role"], "admin");
    let alice = vulnerable.token("alice").await;
    let patched = vulnerable
        .call_as("PATCH", "/api/v2/me", &alice, r#"{"role":"admin"}"#)
        .await;
    assert_eq!(
        (patched.status, patched.json()["role"].as_str()),
        (200, Some("admin"))
    );

    let hardened = Lab::hardened().await;
    let created = hardened.post("/api/v2/register", register).await;
    assert_eq!(
        (created.status, created.json()["role"].as_str()),
        (201, Some("user"))
    );
    let mallory = hardened.token_with("mallory", "m-pass").await;
    assert_eq!(
        hardened.get_as("/api/v2/me", &mallory).await.json()["role"],
        "user"
    );
    assert_eq!(
        hardened
            .get_as("/api/v2/admin/users", &mallory)
            .await
            .status,
        403
    );
    let alice = hardened.token("alice").await;
    let patched = hardened
        .call_as(
            "PATCH",
            "/api/v2/me",
            &alice,
            r#"{"role":"admin","is_admin":true,"email":"a2@x.test"}"#,
        )
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!(
        (
            patched.json()["role"].as_str(),
            patched.json()["email"].as_str()
        ),
        (Some("user"), Some("a2@x.test"))
    );
    // Registration edge cases.
    assert_eq!(
        hardened.post("/api/v2/register", register).await.status,
        409
    );
    assert_eq!(
        hardened
            .post("/api/v2/register", r#"{"username":"x"}"#)
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn excessive_data_exposure() {
    let vulnerable = Lab::vulnerable().await;
    let alice = vulnerable.token("alice").await;
    let me = vulnerable.get_as("/api/v2/me", &alice).await.json();
    assert!(
        me["password_hash"]
            .as_str()
            .is_some_and(|h| h.starts_with("$2b$12$"))
    );
    assert!(
        me["api_key"]
            .as_str()
            .is_some_and(|k| k.starts_with("AKIA") && k.len() == 20)
    );
    let bob = vulnerable.get_as("/api/v2/users/2", &alice).await.json();
    assert_eq!(bob["email"], "bob@apiward-lab.test");
    assert!(bob.get("password_hash").is_some());
    let all = vulnerable.get_as("/api/v2/users", &alice).await;
    assert!(all.body.contains("admin@apiward-lab.test") && all.body.contains("AKIA"));

    let hardened = Lab::hardened().await;
    let alice = hardened.token("alice").await;
    let me = hardened.get_as("/api/v2/me", &alice).await.json();
    let mut keys: Vec<&str> = me
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["email", "id", "role", "username"]);
    let bob = hardened.get_as("/api/v2/users/2", &alice).await.json();
    let mut keys: Vec<&str> = bob
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["id", "role", "username"]);
    let all = hardened.get_as("/api/v2/users", &alice).await;
    assert!(!all.body.contains("password_hash") && !all.body.contains("AKIA"));
    assert!(!all.body.contains("bob@apiward-lab.test"));
    assert_eq!(
        hardened.get_as("/api/v2/users/77", &alice).await.status,
        404
    );
}

#[tokio::test]
async fn unbounded_page_size() {
    let vulnerable = Lab::vulnerable().await;
    let alice = vulnerable.token("alice").await;
    let page = vulnerable.get_as("/api/v2/orders?limit=5000", &alice).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.json()["orders"].as_array().map(Vec::len), Some(5000));
    assert_eq!(page.json()["orders"][0]["id"], 101);
    let huge = vulnerable
        .get_as(
            "/api/v2/orders?limit=18446744073709551615&offset=9999",
            &alice,
        )
        .await;
    assert_eq!(huge.json()["orders"].as_array().map(Vec::len), Some(1));

    let hardened = Lab::hardened().await;
    let alice = hardened.token("alice").await;
    let refused = hardened.get_as("/api/v2/orders?limit=5000", &alice).await;
    assert_eq!(
        (refused.status, refused.body.as_str()),
        (400, r#"{"error":"limit must be <= 100"}"#)
    );
    let page = hardened.get_as("/api/v2/orders?limit=100", &alice).await;
    assert_eq!(page.json()["orders"].as_array().map(Vec::len), Some(100));
    let default = hardened.get_as("/api/v2/orders", &alice).await.json();
    assert_eq!(default["orders"].as_array().map(Vec::len), Some(20));
    // Only alice's real order is listed; bob's is not.
    assert!(!default.to_string().contains("\"id\":102"));
}

#[tokio::test]
async fn admin_export_unauthenticated() {
    let vulnerable = Lab::vulnerable().await;
    let export = vulnerable.get("/api/v2/admin/export").await;
    assert_eq!(export.status, 200);
    assert_eq!(export.json()["export"].as_array().map(Vec::len), Some(3));

    let hardened = Lab::hardened().await;
    assert_eq!(hardened.get("/api/v2/admin/export").await.status, 401);
    let alice = hardened.token("alice").await;
    assert_eq!(
        hardened.get_as("/api/v2/admin/export", &alice).await.status,
        403
    );
    let admin = hardened.token("admin").await;
    assert_eq!(
        hardened.get_as("/api/v2/admin/export", &admin).await.status,
        200
    );
}
