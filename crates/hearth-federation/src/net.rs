//! The network guard: which peer URLs Hearth may talk to, and the HTTP client that enforces it.
//!
//! By default only `https://` URLs without an explicit port whose host is a public address
//! are allowed (SSRF guard). Literal IPs are checked here; names are checked again at connect
//! time by a validating resolver, which closes the DNS-rebinding gap.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use activitypub_federation::resolver::ValidatingDnsResolver;
use url::{Host, Url};

use crate::settings::FederationSettings;

/// Why a peer URL was refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum UrlRejection {
    /// Not http(s).
    #[error("unsupported URL scheme {0:?}")]
    Scheme(String),
    /// `http://` while private networks are not allowed.
    #[error("plain http:// peers are refused (only https:// is allowed)")]
    PlainHttp,
    /// An explicit port while private networks are not allowed.
    #[error("URLs with an explicit port are refused")]
    ExplicitPort,
    /// No host at all.
    #[error("the URL has no host")]
    NoHost,
    /// A loopback, private, link-local or otherwise non-public address.
    #[error("{0} is a private or loopback address")]
    PrivateAddress(String),
}

/// Checks that `url` may be fetched from or delivered to.
pub fn check_peer_url(url: &Url, allow_private: bool) -> Result<(), UrlRejection> {
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => return Err(UrlRejection::PlainHttp),
        other => return Err(UrlRejection::Scheme(other.to_owned())),
    }
    if allow_private {
        return url.host().map(|_| ()).ok_or(UrlRejection::NoHost);
    }
    if url.port().is_some() {
        return Err(UrlRejection::ExplicitPort);
    }
    match url.host() {
        None => Err(UrlRejection::NoHost),
        Some(Host::Ipv4(ip)) if !is_public_ip(IpAddr::V4(ip)) => {
            Err(UrlRejection::PrivateAddress(ip.to_string()))
        }
        Some(Host::Ipv6(ip)) if !is_public_ip(IpAddr::V6(ip)) => {
            Err(UrlRejection::PrivateAddress(ip.to_string()))
        }
        Some(Host::Domain(domain)) => {
            let domain = domain.trim_end_matches('.').to_ascii_lowercase();
            if domain == "localhost" || domain.ends_with(".localhost") {
                Err(UrlRejection::PrivateAddress(domain))
            } else {
                Ok(())
            }
        }
        Some(_) => Ok(()),
    }
}

/// Whether `ip` is a globally routable unicast address.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link local
        || first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
}

/// The HTTP client for every outbound request: no automatic redirects (each hop is checked),
/// timeouts, Hearth's user agent, and the validating resolver unless private networks are allowed.
pub fn http_client(settings: &FederationSettings) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.request_timeout)
        .connect_timeout(settings.request_timeout)
        .user_agent(settings.user_agent.clone())
        .pool_max_idle_per_host(settings.delivery.per_instance.max(2))
        .dns_resolver(ValidatingDnsResolver::new(
            vec![],
            !settings.allow_private_networks,
        ))
        .build()
        .expect("the HTTP client configuration is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, allow: bool) -> Result<(), UrlRejection> {
        check_peer_url(&Url::parse(url).unwrap(), allow)
    }

    #[test]
    fn private_and_loopback_addresses_are_refused_by_default() {
        assert!(check("https://mastodon.social/users/a", false).is_ok());
        assert_eq!(
            check("http://mastodon.social/", false),
            Err(UrlRejection::PlainHttp)
        );
        assert_eq!(
            check("https://example.com:8443/", false),
            Err(UrlRejection::ExplicitPort)
        );
        for bad in [
            "https://127.0.0.1/",
            "https://10.1.2.3/",
            "https://192.168.0.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://localhost/",
            "https://0.0.0.0/",
            "https://100.64.0.1/",
        ] {
            assert!(
                matches!(check(bad, false), Err(UrlRejection::PrivateAddress(_))),
                "{bad} should be refused"
            );
        }
        assert!(matches!(
            check("ftp://example.com/", false),
            Err(UrlRejection::Scheme(_))
        ));
    }

    #[test]
    fn allowing_private_networks_admits_loopback_http_with_ports() {
        assert!(check("http://127.0.0.1:8080/users/a", true).is_ok());
        assert!(check("http://127.0.0.2:9000/", true).is_ok());
        assert!(matches!(
            check("file:///etc/passwd", true),
            Err(UrlRejection::Scheme(_))
        ));
    }
}
