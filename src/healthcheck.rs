//! `fnt healthcheck`: the container's health probe, without curl in the image.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(3);

/// Asks `GET /healthz` of the server listening on `bind`; `Ok` when it answers 200.
pub fn check(bind: SocketAddr) -> anyhow::Result<()> {
    let addr = SocketAddr::new(reachable(bind.ip()), bind.port());
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut head = [0u8; 32];
    let mut read = 0;
    while read < 12 {
        match stream.read(&mut head[read..])? {
            0 => break,
            n => read += n,
        }
    }
    let status_line = String::from_utf8_lossy(&head[..read]);
    anyhow::ensure!(
        status_line.starts_with("HTTP/1.") && status_line.get(9..12) == Some("200"),
        "{addr} answered: {}",
        status_line.lines().next().unwrap_or("nothing")
    );
    Ok(())
}

/// A server bound to every interface is asked on loopback.
fn reachable(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_bind_is_checked_on_loopback() {
        assert_eq!(
            reachable("0.0.0.0".parse().expect("ip")),
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
        assert_eq!(
            reachable("::".parse().expect("ip")),
            IpAddr::V6(Ipv6Addr::LOCALHOST)
        );
        assert_eq!(
            reachable("10.0.0.2".parse().expect("ip")),
            "10.0.0.2".parse::<IpAddr>().expect("ip")
        );
    }

    #[test]
    fn nothing_listening_is_unhealthy() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        assert!(check(SocketAddr::from(([127, 0, 0, 1], port))).is_err());
    }
}
