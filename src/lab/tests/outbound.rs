//! SSRF and webhook switches. The lab has no HTTP client: every "fetch" is resolved in-process, which these
//! tests also confirm by pointing it at a port where a real listener would notice a connection.

use std::time::Duration;

use super::Lab;

/// Percent-encodes a URL for use as a query value.
fn q(url: &str) -> String {
    url::form_urlencoded::byte_serialize(url.as_bytes()).collect()
}

#[tokio::test]
async fn ssrf() {
    let vulnerable = Lab::vulnerable().await;
    let port = vulnerable.port();
    let internal = vulnerable
        .get(&format!(
            "/api/v2/preview?url={}",
            q(&format!("http://127.0.0.1:{port}/internal/admin"))
        ))
        .await;
    assert_eq!(internal.status, 200);
    assert_eq!(internal.json()["status"], 200);
    assert!(
        internal.json()["body"]
            .as_str()
            .is_some_and(|b| b.contains("internal-only-data"))
    );
    // The internal route does not answer from outside.
    assert_eq!(vulnerable.get("/internal/admin").await.status, 404);

    let aws = vulnerable
        .get(&format!(
            "/api/v2/preview?url={}",
            q("http://169.254.169.254/latest/meta-data/")
        ))
        .await;
    assert!(
        aws.json()["body"]
            .as_str()
            .is_some_and(|b| b.contains("ami-id\n") && b.contains("instance-id"))
    );
    let gcp = vulnerable
        .get(&format!(
            "/api/v2/preview?url={}",
            q("http://metadata.google.internal/computeMetadata/v1/?recursive=true")
        ))
        .await;
    assert!(
        gcp.json()["body"]
            .as_str()
            .is_some_and(|b| b.contains("computeMetadata"))
    );
    let passwd = vulnerable
        .get(&format!("/api/v2/preview?url={}", q("file:///etc/passwd")))
        .await;
    assert!(
        passwd.json()["body"]
            .as_str()
            .is_some_and(|b| b.starts_with("root:x:0:0"))
    );
    // Redirects are followed to internal targets.
    let via_redirect = format!(
        "http://localhost:{port}/redirect?to={}",
        q(&format!("http://127.0.0.1:{port}/internal/admin"))
    );
    let followed = vulnerable
        .get(&format!("/api/v2/preview?url={}", q(&via_redirect)))
        .await;
    assert!(
        followed.body.contains("internal-only-data"),
        "{}",
        followed.body
    );
    // Anything else is unreachable; a self-referencing preview chain stops.
    let elsewhere = vulnerable
        .get(&format!("/api/v2/preview?url={}", q("http://example.com/")))
        .await;
    assert_eq!(
        (elsewhere.status, elsewhere.body.as_str()),
        (502, r#"{"error":"fetch failed: connection refused"}"#)
    );
    let mut nested = format!("http://127.0.0.1:{port}/api/v2/health");
    for _ in 0..6 {
        nested = format!("http://127.0.0.1:{port}/api/v2/preview?url={}", q(&nested));
    }
    assert!(
        vulnerable
            .get(&format!("/api/v2/preview?url={}", q(&nested)))
            .await
            .status
            < 600
    );

    let hardened = Lab::hardened().await;
    let port = hardened.port();
    for url in [
        format!("http://127.0.0.1:{port}/internal/admin"),
        format!("https://127.0.0.1:{port}/internal/admin"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "https://metadata.google.internal/".to_owned(),
        "http://10.0.0.5/".to_owned(),
        "https://[::1]/".to_owned(),
        "file:///etc/passwd".to_owned(),
        "gopher://127.0.0.1:6379/_INFO".to_owned(),
        "dict://127.0.0.1:11211/".to_owned(),
        "http://images.apiward-lab.test/a.png".to_owned(),
    ] {
        let refused = hardened
            .get(&format!("/api/v2/preview?url={}", q(&url)))
            .await;
        assert_eq!(
            (refused.status, refused.body.as_str()),
            (400, r#"{"error":"url not allowed"}"#),
            "{url}"
        );
    }
    let allowed = hardened
        .get(&format!(
            "/api/v2/preview?url={}",
            q("https://images.apiward-lab.test/a.png")
        ))
        .await;
    assert_eq!(allowed.status, 502);
}

#[tokio::test]
async fn preview_never_connects_out() {
    // A real listener on another loopback port: if the lab had a client, this would see a connection.
    let trap = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let trap_port = trap.local_addr().expect("addr").port();
    let lab = Lab::vulnerable().await;
    for url in [
        format!("http://127.0.0.1:{trap_port}/"),
        format!("http://localhost:{trap_port}/"),
        format!("https://127.0.0.1:{trap_port}/"),
    ] {
        let response = lab.get(&format!("/api/v2/preview?url={}", q(&url))).await;
        assert_eq!(response.status, 502, "{url}");
    }
    let token = lab.token("alice").await;
    let hook = lab
        .call_as(
            "POST",
            "/api/v2/webhooks",
            &token,
            &format!(r#"{{"url":"http://127.0.0.1:{trap_port}/hook"}}"#),
        )
        .await;
    assert_eq!(hook.status, 201);
    let accepted = tokio::time::timeout(Duration::from_millis(200), trap.accept()).await;
    assert!(accepted.is_err(), "the lab connected to a foreign port");
}

#[tokio::test]
async fn webhook_http_accepted() {
    let vulnerable = Lab::vulnerable().await;
    let token = vulnerable.token("alice").await;
    let hook = vulnerable
        .call_as(
            "POST",
            "/api/v2/webhooks",
            &token,
            r#"{"url":"http://hooks.example.test/x"}"#,
        )
        .await;
    assert_eq!(hook.status, 201);
    assert_eq!(hook.json()["url"], "http://hooks.example.test/x");
    assert!(hook.json()["id"].is_u64());

    let hardened = Lab::hardened().await;
    let token = hardened.token("alice").await;
    let refused = hardened
        .call_as(
            "POST",
            "/api/v2/webhooks",
            &token,
            r#"{"url":"http://hooks.example.test/x"}"#,
        )
        .await;
    assert_eq!(
        (refused.status, refused.body.as_str()),
        (400, r#"{"error":"webhook url must use https"}"#)
    );
    let https = hardened
        .call_as(
            "POST",
            "/api/v2/webhooks",
            &token,
            r#"{"url":"https://hooks.example.test/x"}"#,
        )
        .await;
    assert_eq!(https.status, 201);
    assert_eq!(
        hardened
            .post(
                "/api/v2/webhooks",
                r#"{"url":"https://hooks.example.test/x"}"#
            )
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn webhook_follows_redirects() {
    let vulnerable = Lab::vulnerable().await;
    let port = vulnerable.port();
    let token = vulnerable.token("alice").await;
    let target = format!("http://127.0.0.1:{port}/api/v2/health");
    let redirecting = format!("http://127.0.0.1:{port}/redirect?to={}", q(&target));
    let body = serde_json::json!({ "url": redirecting }).to_string();
    let hook = vulnerable
        .call_as("POST", "/api/v2/webhooks", &token, &body)
        .await;
    assert_eq!(hook.status, 201, "{}", hook.body);
    assert_eq!(hook.json()["verified"]["final_url"], target.as_str());
    assert_eq!(hook.json()["verified"]["status"], 200);

    // Hardened with plain http allowed, so the redirect rule itself is what refuses.
    let mut config = crate::lab::LabConfig::hardened();
    config.switches.webhook_http_accepted = true;
    let lab = Lab::with(config).await;
    let port = lab.port();
    let token = lab.token("alice").await;
    let target = format!("http://127.0.0.1:{port}/api/v2/health");
    let redirecting = format!("http://127.0.0.1:{port}/redirect?to={}", q(&target));
    let body = serde_json::json!({ "url": redirecting }).to_string();
    let refused = lab.call_as("POST", "/api/v2/webhooks", &token, &body).await;
    assert_eq!(
        (refused.status, refused.body.as_str()),
        (400, r#"{"error":"webhook url redirects"}"#)
    );
    let direct = serde_json::json!({ "url": target }).to_string();
    let ok = lab
        .call_as("POST", "/api/v2/webhooks", &token, &direct)
        .await;
    assert_eq!(
        (ok.status, ok.json()["verified"]["status"].as_u64()),
        (201, Some(200))
    );
}
