//! The client's address, for per-address login limits: the socket's peer, or the nearest address
//! in `X-Forwarded-For` that is not a trusted proxy, when the peer itself is one.

use std::future::{ready, Ready};
use std::net::IpAddr;

use actix_web::{web, FromRequest, HttpRequest};
use ipnet::IpNet;

use crate::error::ApiError;
use crate::state::AppState;

pub struct ClientAddress(pub String);

impl FromRequest for ClientAddress {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.server.trusted_proxies.as_slice())
            .unwrap_or(&[]);
        let peer = req.peer_addr().map(|a| a.ip());
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        let address = client_address(peer, &forwarded, trusted);
        ready(Ok(ClientAddress(
            address.map(|a| a.to_string()).unwrap_or_else(|| "unknown".into()),
        )))
    }
}

/// Reads `X-Forwarded-For` right to left, past every trusted proxy, and only when the peer is
/// trusted: anybody else could write any address there.
pub fn client_address(peer: Option<IpAddr>, forwarded: &str, trusted: &[IpNet]) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut address = peer?;
    if !is_trusted(&address) {
        return Some(address);
    }
    for hop in forwarded.rsplit(',').map(str::trim).filter(|h| !h.is_empty()) {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            // A malformed hop ends what can be believed; the last trusted hop is the client.
            break;
        };
        address = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn forwarded_addresses_count_only_behind_trusted_proxies() {
        let peer: IpAddr = "10.0.0.5".parse().unwrap();
        let trusted = nets(&["10.0.0.0/8"]);
        // Untrusted peer: the header is ignored.
        assert_eq!(client_address(Some(peer), "1.2.3.4", &[]), Some(peer));
        // Trusted peer: the nearest untrusted hop, read right to left.
        assert_eq!(
            client_address(Some(peer), "6.6.6.6, 1.2.3.4, 10.0.0.7", &trusted),
            Some("1.2.3.4".parse().unwrap())
        );
        // A forged leftmost entry does not win over the hop the proxy added.
        assert_eq!(
            client_address(Some(peer), "9.9.9.9,1.2.3.4", &trusted),
            Some("1.2.3.4".parse().unwrap())
        );
        // Only trusted hops: the farthest of them.
        assert_eq!(
            client_address(Some(peer), "10.1.1.1", &trusted),
            Some("10.1.1.1".parse().unwrap())
        );
        assert_eq!(
            client_address(Some(peer), "garbage, 10.1.1.1", &trusted),
            Some("10.1.1.1".parse().unwrap())
        );
        assert_eq!(client_address(Some(peer), "", &trusted), Some(peer));
    }
}
