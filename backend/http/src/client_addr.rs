//! The client's address, for throttling: the peer's, or — behind trusted proxies (an ingress, a
//! load balancer) — the one the outermost trusted proxy saw, from `X-Forwarded-For`. Without
//! that, everyone behind one ingress would share one count. IPv6 addresses are counted by their
//! /64, which one subscriber holds whole, so a client cannot take a fresh count per address.
use std::net::{IpAddr, Ipv6Addr};

/// `hops` is how many proxies the operator runs in front (`MINQING_TRUSTED_PROXY_HOPS`); each
/// appends the address it was reached from, so the client is the `hops`-th entry from the
/// right. Entries a client wrote itself sit further left and are never read. With fewer entries
/// than hops (a request that bypassed a proxy), the leftmost is taken; with none, the peer.
pub fn client_addr(peer: Option<IpAddr>, forwarded_for: Option<&str>, hops: usize) -> String {
    let forwarded: Vec<IpAddr> = match (hops, forwarded_for) {
        (0, _) | (_, None) => Vec::new(),
        (_, Some(list)) => list
            .split(',')
            .filter_map(|e| e.trim().parse().ok())
            .collect(),
    };
    let chosen = forwarded
        .len()
        .checked_sub(hops)
        .and_then(|i| forwarded.get(i))
        .or(forwarded.first())
        .copied()
        .or(peer);
    match chosen {
        None => "unknown".into(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn without_trusted_proxies_the_peer_counts_and_the_header_is_ignored() {
        assert_eq!(client_addr(ip("10.0.0.7"), Some("1.2.3.4"), 0), "10.0.0.7");
        assert_eq!(client_addr(None, None, 0), "unknown");
    }

    #[test]
    fn behind_proxies_the_address_the_outermost_one_saw_counts() {
        // The client forged 6.6.6.6; the ingress appended 1.2.3.4.
        assert_eq!(
            client_addr(ip("10.0.0.2"), Some("6.6.6.6, 1.2.3.4"), 1),
            "1.2.3.4"
        );
        // Two proxies: the ingress saw 1.2.3.4, the inner proxy saw the ingress.
        assert_eq!(
            client_addr(ip("10.0.0.3"), Some("6.6.6.6, 1.2.3.4, 10.0.0.2"), 2),
            "1.2.3.4"
        );
        // Fewer entries than proxies, or none readable: the leftmost, else the peer.
        assert_eq!(client_addr(ip("10.0.0.2"), Some("1.2.3.4"), 2), "1.2.3.4");
        assert_eq!(client_addr(ip("10.0.0.2"), Some("nonsense"), 1), "10.0.0.2");
        assert_eq!(client_addr(ip("10.0.0.2"), None, 1), "10.0.0.2");
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64() {
        let a = client_addr(ip("2001:db8:1:2::1"), None, 0);
        let b = client_addr(ip("2001:db8:1:2:ffff::9"), None, 0);
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(a, b);
        assert_ne!(a, client_addr(ip("2001:db8:1:3::1"), None, 0));
        assert_eq!(client_addr(ip("::ffff:1.2.3.4"), None, 0), "1.2.3.4");
    }
}
