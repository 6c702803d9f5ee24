//! CIDR block syntax and host-bit checks.

use std::net::IpAddr;

/// `Ok` for a valid network address such as `10.0.0.0/16`; otherwise why not, naming the
/// network address when only host bits are wrong.
pub(crate) fn check(s: &str) -> Result<(), String> {
    let Some((addr, prefix)) = s.split_once('/') else {
        return Err("expected an address and a prefix length such as 10.0.0.0/16".into());
    };
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| format!("`{addr}` is not an IP address"))?;
    let bits = if ip.is_ipv4() { 32 } else { 128 };
    let prefix: u32 = prefix
        .parse()
        .map_err(|_| format!("`{prefix}` is not a prefix length"))?;
    if prefix > bits {
        return Err(format!(
            "the prefix length must be at most {bits}, found {prefix}"
        ));
    }
    match ip {
        IpAddr::V4(v4) => {
            let n = u32::from(v4);
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix)
            };
            if n & !mask != 0 {
                return Err(format!(
                    "host bits are set; the network address is {}/{prefix}",
                    std::net::Ipv4Addr::from(n & mask)
                ));
            }
        }
        IpAddr::V6(v6) => {
            let n = u128::from(v6);
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix)
            };
            if n & !mask != 0 {
                return Err(format!(
                    "host bits are set; the network address is {}/{prefix}",
                    std::net::Ipv6Addr::from(n & mask)
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn cidrs() {
        assert_eq!(check("10.0.0.0/16"), Ok(()));
        assert_eq!(check("0.0.0.0/0"), Ok(()));
        assert_eq!(check("::/0"), Ok(()));
        assert_eq!(
            check("10.0.1.0/16").unwrap_err(),
            "host bits are set; the network address is 10.0.0.0/16"
        );
        assert_eq!(
            check("10.0.0.0/33").unwrap_err(),
            "the prefix length must be at most 32, found 33"
        );
        assert!(check("10.0.0.300/16").is_err());
        assert!(check("10.0.0.0").is_err());
        assert!(check("2001:db8::1/64")
            .unwrap_err()
            .contains("2001:db8::/64"));
    }
}
