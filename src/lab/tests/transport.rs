//! Transport-level switches: security headers, cookie flags, CORS, TRACE, version banners, plain HTTP.

use super::Lab;

const HSTS: &str = "max-age=31536000; includeSubDomains";

#[tokio::test]
async fn missing_security_headers() {
    let vulnerable = Lab::vulnerable().await;
    let token = vulnerable.token("alice").await;
    for response in [
        vulnerable.get("/api/v2/health").await,
        vulnerable.get_as("/api/v2/me", &token).await,
        vulnerable.get("/nope").await,
    ] {
        for name in [
            "strict-transport-security",
            "x-content-type-options",
            "cache-control",
        ] {
            assert_eq!(response.header(name), None, "{name}");
        }
    }

    let hardened = Lab::hardened().await;
    let token = hardened.token("alice").await;
    for response in [
        hardened.get("/api/v2/health").await,
        hardened.get("/nope").await,
        hardened.get("/api/v2/me").await,
        hardened.send("TRACE", "/", &[], None).await,
    ] {
        assert_eq!(response.header("strict-transport-security"), Some(HSTS));
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    }
    assert_eq!(
        hardened.get("/api/v2/health").await.header("cache-control"),
        None
    );
    assert_eq!(
        hardened
            .get_as("/api/v2/me", &token)
            .await
            .header("cache-control"),
        Some("no-store")
    );
    let with_cookie = hardened
        .send(
            "GET",
            "/api/v2/health",
            &[("Cookie", "theme=dark; session=abc")],
            None,
        )
        .await;
    assert_eq!(with_cookie.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn insecure_cookies() {
    let vulnerable = Lab::vulnerable().await;
    let cookie = vulnerable
        .login_response("alice", "alice-pass")
        .await
        .header("set-cookie")
        .map(str::to_owned);
    let cookie = cookie.expect("cookie");
    assert!(
        cookie.starts_with("session=") && cookie.ends_with("; Path=/"),
        "{cookie}"
    );

    let hardened = Lab::hardened().await;
    let cookie = hardened
        .login_response("alice", "alice-pass")
        .await
        .header("set-cookie")
        .map(str::to_owned);
    let cookie = cookie.expect("cookie");
    assert!(
        cookie.ends_with("; Path=/; Secure; HttpOnly; SameSite=Strict"),
        "{cookie}"
    );
}

#[tokio::test]
async fn cors_reflect_any_origin() {
    let vulnerable = Lab::vulnerable().await;
    for origin in ["https://evil.test", "null"] {
        for method in ["GET", "OPTIONS"] {
            let response = vulnerable
                .send(
                    method,
                    "/api/v2/me",
                    &[("Origin", origin), ("Access-Control-Request-Method", "GET")],
                    None,
                )
                .await;
            assert_eq!(
                response.header("access-control-allow-origin"),
                Some(origin),
                "{method} {origin}"
            );
            assert_eq!(
                response.header("access-control-allow-credentials"),
                Some("true")
            );
            assert_eq!(response.header("vary"), Some("Origin"));
        }
    }

    let hardened = Lab::hardened().await;
    for origin in [
        "https://evil.test",
        "null",
        "https://app.apiward-lab.test.evil.test",
    ] {
        for method in ["GET", "OPTIONS"] {
            let response = hardened
                .send(method, "/api/v2/health", &[("Origin", origin)], None)
                .await;
            assert_eq!(
                response.header("access-control-allow-origin"),
                None,
                "{method} {origin}"
            );
            assert_eq!(response.header("access-control-allow-credentials"), None);
        }
    }
    let trusted = "https://app.apiward-lab.test";
    let preflight = hardened
        .send(
            "OPTIONS",
            "/api/v2/orders/1",
            &[
                ("Origin", trusted),
                ("Access-Control-Request-Method", "PUT"),
            ],
            None,
        )
        .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some(trusted)
    );
    assert_eq!(
        preflight.header("access-control-allow-credentials"),
        Some("true")
    );
    assert!(
        preflight
            .header("access-control-allow-methods")
            .is_some_and(|m| m.contains("PUT"))
    );
}

#[tokio::test]
async fn trace_enabled() {
    let vulnerable = Lab::vulnerable().await;
    let echoed = vulnerable
        .send(
            "TRACE",
            "/anything?x=1",
            &[("X-Probe", "apiward-trace")],
            None,
        )
        .await;
    assert_eq!(echoed.status, 200);
    assert_eq!(echoed.header("content-type"), Some("message/http"));
    assert!(
        echoed.body.starts_with("TRACE /anything?x=1 HTTP/1.1\r\n"),
        "{}",
        echoed.body
    );
    assert!(echoed.body.contains("x-probe: apiward-trace"));

    let hardened = Lab::hardened().await;
    let refused = hardened
        .send("TRACE", "/anything", &[("X-Probe", "apiward-trace")], None)
        .await;
    assert_eq!(refused.status, 405);
    assert!(!refused.body.contains("apiward-trace"));
}

#[tokio::test]
async fn version_banner() {
    let vulnerable = Lab::vulnerable().await;
    for path in ["/", "/nope", "/api/v2/me"] {
        let response = vulnerable.get(path).await;
        assert_eq!(
            response.header("server"),
            Some("apiward-lab/1.4.2 (Ubuntu)"),
            "{path}"
        );
        assert_eq!(
            response.header("x-powered-by"),
            Some("Express/4.17.1"),
            "{path}"
        );
    }
    let hardened = Lab::hardened().await;
    for path in ["/", "/nope", "/api/v2/me"] {
        let response = hardened.get(path).await;
        assert_eq!(
            (response.header("server"), response.header("x-powered-by")),
            (None, None),
            "{path}"
        );
    }
}

#[tokio::test]
async fn plain_http_served() {
    let vulnerable = Lab::vulnerable().await;
    let served = vulnerable
        .send(
            "GET",
            "/api/v2/health?x=1",
            &[("X-Forwarded-Proto", "http")],
            None,
        )
        .await;
    assert_eq!(served.status, 200);

    let hardened = Lab::hardened().await;
    let redirected = hardened
        .send(
            "GET",
            "/api/v2/health?x=1",
            &[("X-Forwarded-Proto", "http")],
            None,
        )
        .await;
    assert_eq!(redirected.status, 308);
    assert_eq!(
        redirected.header("location").map(str::to_owned),
        Some(format!(
            "https://127.0.0.1:{}/api/v2/health?x=1",
            hardened.port()
        ))
    );
    assert_eq!(redirected.body, "");
    let https = hardened
        .send(
            "GET",
            "/api/v2/health",
            &[("X-Forwarded-Proto", "https")],
            None,
        )
        .await;
    assert_eq!(https.status, 200);
    assert_eq!(hardened.get("/api/v2/health").await.status, 200);
}
