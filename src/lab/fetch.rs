//! The lab's simulated outbound HTTP client, for the SSRF and webhook weaknesses.
//!
//! The lab must never open a connection anywhere, so there is no client here at all. A "fetch" is resolved
//! in-process: the lab's own address goes through its router (reaching routes such as `/internal/admin` that only
//! answer internal requests), the cloud metadata addresses answer canned documents, `file:///etc/passwd` answers a
//! canned file, and everything else is "connection refused". That is exactly what a scanner needs to observe SSRF,
//! and nothing a hostile URL can turn against the machine running the lab.

use std::net::IpAddr;

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{Method, header};
use serde_json::json;
use url::{Host, Url};

use crate::lab::layer::Dispatcher;
use crate::lab::state::LabState;

/// Redirects a following fetch takes at most.
pub(crate) const MAX_REDIRECTS: usize = 5;
/// Bytes of a fetched body kept.
const MAX_FETCHED: usize = 1024 * 1024;
/// The one outcome for anything unreachable, worded as a real client would.
pub(crate) const REFUSED: &str = "connection refused";

/// What one simulated request produced.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// An answer: status, `Location` if any, body as text.
    Answer {
        status: u16,
        location: Option<String>,
        body: String,
    },
    /// No answer (nothing listens there, as far as the lab is concerned).
    Refused,
}

impl Fetched {
    /// The absolute redirect target, if this answer is a redirect.
    pub fn redirect_target(&self, base: &Url) -> Option<Url> {
        match self {
            Self::Answer {
                status,
                location: Some(location),
                ..
            } if (300..400).contains(status) => base.join(location).ok(),
            _ => None,
        }
    }
}

/// Performs one simulated request, without following redirects.
pub(crate) async fn fetch_once(
    state: &LabState,
    dispatcher: Option<&Dispatcher>,
    url: &Url,
) -> Fetched {
    match url.scheme() {
        "file" if url.path() == "/etc/passwd" => answer(200, PASSWD.to_owned()),
        "http" => fetch_http(state, dispatcher, url).await,
        // The lab speaks no TLS and nothing else exists, so every other scheme and host is unreachable.
        _ => Fetched::Refused,
    }
}

/// Follows up to [`MAX_REDIRECTS`] redirects; returns the last URL and what it answered.
pub(crate) async fn fetch_following(
    state: &LabState,
    dispatcher: Option<&Dispatcher>,
    url: &Url,
) -> (Url, Fetched) {
    let mut current = url.clone();
    let mut fetched = fetch_once(state, dispatcher, &current).await;
    for _ in 0..MAX_REDIRECTS {
        let Some(next) = fetched.redirect_target(&current) else {
            break;
        };
        current = next;
        fetched = fetch_once(state, dispatcher, &current).await;
    }
    (current, fetched)
}

/// `http://` targets: the lab itself, cloud metadata, or nothing.
async fn fetch_http(state: &LabState, dispatcher: Option<&Dispatcher>, url: &Url) -> Fetched {
    let Some(host) = url.host() else {
        return Fetched::Refused;
    };
    if is_metadata_aws(&host) {
        return answer(200, aws_metadata(url.path()));
    }
    if is_metadata_gcp(&host) {
        return answer(200, gcp_metadata());
    }
    let port = url.port_or_known_default().unwrap_or(80);
    let is_self = is_local(&host) && state.self_port.get().is_none_or(|own| *own == port);
    match (is_self, dispatcher) {
        (true, Some(dispatcher)) => dispatch(dispatcher, url).await,
        _ => Fetched::Refused,
    }
}

/// Sends a plain GET for `url`'s path through the lab's own routes, as a fetcher without credentials would.
async fn dispatch(dispatcher: &Dispatcher, url: &Url) -> Fetched {
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or("localhost")),
        None => url.host_str().unwrap_or("localhost").to_owned(),
    };
    let Ok(request) = Request::builder()
        .method(Method::GET)
        .uri(target)
        .header(header::HOST, host)
        .header(header::USER_AGENT, "apiward-lab-fetcher/1.0")
        .body(Body::empty())
    else {
        return Fetched::Refused;
    };
    let Some(response) = dispatcher.send(request).await else {
        return Fetched::Refused;
    };
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = match to_bytes(response.into_body(), MAX_FETCHED).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => "(response body too large)".to_owned(),
    };
    Fetched::Answer {
        status,
        location,
        body,
    }
}

/// Loopback in any spelling the URL parser normalises to (`127.1`, `0x7f.0.0.1`, `[::ffff:127.0.0.1]`), plus
/// `0.0.0.0` and `localhost`, which reach the local machine too.
pub(crate) fn is_local(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Host::Ipv4(ip) => ip.is_loopback() || ip.is_unspecified(),
        Host::Ipv6(ip) => {
            let ip = IpAddr::V6(*ip).to_canonical();
            ip.is_loopback() || ip.is_unspecified()
        }
    }
}

/// Whether a host is one a hardened fetcher must never reach: local, private, link-local or metadata.
pub(crate) fn is_internal(host: &Host<&str>) -> bool {
    if is_local(host) || is_metadata_aws(host) || is_metadata_gcp(host) {
        return true;
    }
    let ip = match host {
        Host::Domain(_) => return false,
        Host::Ipv4(ip) => IpAddr::V4(*ip),
        Host::Ipv6(ip) => IpAddr::V6(*ip).to_canonical(),
    };
    match ip {
        IpAddr::V4(ip) => ip.is_private() || ip.is_link_local() || is_shared(ip),
        IpAddr::V6(ip) => {
            let first = ip.segments()[0];
            // fc00::/7 unique local, fe80::/10 link-local.
            (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

/// 100.64.0.0/10 (carrier-grade NAT), which `Ipv4Addr::is_shared` covers only on nightly.
fn is_shared(ip: std::net::Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    a == 100 && (b & 0xc0) == 64
}

/// The AWS/Azure/OpenStack instance metadata address.
fn is_metadata_aws(host: &Host<&str>) -> bool {
    matches!(host, Host::Ipv4(ip) if ip.octets() == [169, 254, 169, 254])
}

/// Google Cloud's metadata server name.
fn is_metadata_gcp(host: &Host<&str>) -> bool {
    matches!(host, Host::Domain(name)
        if name.eq_ignore_ascii_case("metadata.google.internal") || name.eq_ignore_ascii_case("metadata"))
}

fn answer(status: u16, body: String) -> Fetched {
    Fetched::Answer {
        status,
        location: None,
        body,
    }
}

/// What EC2's metadata service would list at `path` (a small, fake but faithful subset).
fn aws_metadata(path: &str) -> String {
    const ROLE: &str = "apiward-lab-ec2-role";
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        return "1.0\n2009-04-04\n2021-07-15\nlatest".to_owned();
    }
    if path.ends_with(&format!("iam/security-credentials/{ROLE}")) {
        return json!({
            "Code": "Success",
            "Type": "AWS-HMAC",
            "AccessKeyId": "AKIALABFAKE7EXAMPLE2",
            "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYLABFAKEKEY",
            "Token": "IQoJb3JpZ2luX2VjEFAKE//lab-session-token",
            "Expiration": "2030-01-01T00:00:00Z"
        })
        .to_string();
    }
    if path.ends_with("iam/security-credentials") {
        return ROLE.to_owned();
    }
    "ami-id\nami-launch-index\nhostname\niam/\ninstance-id\ninstance-type\nlocal-ipv4\nplacement/\npublic-ipv4\nsecurity-groups"
        .to_owned()
}

/// What GCE's metadata server would answer to a recursive query (fake values).
fn gcp_metadata() -> String {
    json!({
        "computeMetadata": {
            "v1": {
                "project": {"projectId": "apiward-lab", "numericProjectId": 123456789012_u64},
                "instance": {
                    "hostname": "lab-1.c.apiward-lab.internal",
                    "zone": "projects/123456789012/zones/europe-west1-b",
                    "serviceAccounts": {
                        "default": {
                            "email": "lab@apiward-lab.iam.gserviceaccount.com",
                            "token": {"access_token": "ya29.LABFAKE-token", "expires_in": 3599, "token_type": "Bearer"}
                        }
                    }
                }
            }
        }
    })
    .to_string()
}

/// A canned `/etc/passwd`, for `file://` SSRF.
const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
app:x:1000:1000:apiward lab app:/app:/bin/sh
";

#[cfg(test)]
mod tests {
    use super::*;

    fn host_of(url: &str) -> Host<String> {
        Url::parse(url)
            .expect("url")
            .host()
            .expect("host")
            .to_owned()
    }

    #[test]
    fn local_and_internal_hosts_in_any_spelling() {
        for url in [
            "http://127.0.0.1/",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost./",
            "http://0.0.0.0/",
        ] {
            let host = host_of(url);
            assert!(is_local(&host_ref(&host)), "{url}");
        }
        for url in [
            "http://10.0.0.1/",
            "http://192.168.1.1/",
            "http://172.16.0.1/",
            "http://169.254.169.254/",
            "http://metadata.google.internal/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://100.64.0.1/",
        ] {
            assert!(is_internal(&host_ref(&host_of(url))), "{url}");
        }
        assert!(!is_internal(&host_ref(&host_of(
            "https://images.apiward-lab.test/"
        ))));
    }

    fn host_ref(host: &Host<String>) -> Host<&str> {
        match host {
            Host::Domain(name) => Host::Domain(name.as_str()),
            Host::Ipv4(ip) => Host::Ipv4(*ip),
            Host::Ipv6(ip) => Host::Ipv6(*ip),
        }
    }
}
