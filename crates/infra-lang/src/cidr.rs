//! `cidrsubnet`, `cidrsubnets`, `cidrhost` and `cidrnetmask`, computed as Terraform does
//! (hashicorp/go-cidr), for IPv4 and IPv6.

use std::net::{Ipv4Addr, Ipv6Addr};

use infra_model::Value;

use crate::functions::{Args, FnResult};

/// A network: its address (masked), address width (32 or 128) and prefix length.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Net {
    addr: u128,
    width: u32,
    len: u32,
}

fn all_ones(width: u32) -> u128 {
    if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    }
}

/// The netmask for a prefix length within an address width.
fn mask(width: u32, len: u32) -> u128 {
    let host_bits = width - len;
    let host = if host_bits == 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    all_ones(width) & !host
}

impl Net {
    fn parse(s: &str) -> Result<Net, String> {
        let invalid = || format!("invalid CIDR expression: invalid CIDR address: {s}");
        let (ip, len) = s.split_once('/').ok_or_else(invalid)?;
        if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let len: u32 = len.parse().map_err(|_| invalid())?;
        let (addr, width) = if ip.contains(':') {
            (
                u128::from(ip.parse::<Ipv6Addr>().map_err(|_| invalid())?),
                128,
            )
        } else {
            (
                u128::from(u32::from(ip.parse::<Ipv4Addr>().map_err(|_| invalid())?)),
                32,
            )
        };
        if len > width {
            return Err(invalid());
        }
        Ok(Net {
            addr: addr & mask(width, len),
            width,
            len,
        })
    }

    fn host_bits(&self) -> u32 {
        self.width - self.len
    }

    fn last(&self) -> u128 {
        self.addr | (all_ones(self.width) & !mask(self.width, self.len))
    }

    fn contains(&self, addr: u128) -> bool {
        addr & mask(self.width, self.len) == self.addr
    }

    fn ip_string(&self, addr: u128) -> String {
        if self.width == 32 {
            Ipv4Addr::from(addr as u32).to_string()
        } else {
            Ipv6Addr::from(addr).to_string()
        }
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.ip_string(self.addr), self.len)
    }
}

pub(crate) fn call(a: Args) -> FnResult {
    match a.f {
        "cidrsubnet" => {
            let net = Net::parse(&a.string(0, "prefix")?).map_err(|e| a.bad("prefix", e))?;
            let newbits = a.int(1, "newbits")?;
            let netnum = a.int(2, "netnum")?;
            if newbits < 0 {
                return Err(a.bad("newbits", "must not be negative"));
            }
            if newbits > 32 {
                return Err(a.bad("newbits", "may not extend prefix by more than 32 bits"));
            }
            let newbits = newbits as u32;
            if net.len + newbits > net.width {
                return Err(a.bad(
                    "newbits",
                    format!(
                        "insufficient address space to extend prefix of {} by {newbits}",
                        net.len
                    ),
                ));
            }
            if netnum < 0 || (netnum as u128) > (1u128 << newbits) - 1 {
                return Err(a.bad("netnum", format!("prefix extension of {newbits} does not accommodate a subnet numbered {netnum}")));
            }
            let len = net.len + newbits;
            let shift = net.width - len;
            let addr = net.addr | ((netnum as u128).checked_shl(shift).unwrap_or(0));
            Ok(Value::String(
                Net {
                    addr,
                    width: net.width,
                    len,
                }
                .to_string(),
            ))
        }
        "cidrhost" => {
            let net = Net::parse(&a.string(0, "prefix")?).map_err(|e| a.bad("prefix", e))?;
            let hostnum = a.int(1, "hostnum")?;
            let host_bits = net.host_bits();
            // Hosts in the prefix; saturate for IPv6 prefixes wider than any i64.
            let capacity: u128 = if host_bits >= 127 {
                u128::MAX
            } else {
                1u128 << host_bits
            };
            let offset = if hostnum >= 0 {
                let n = hostnum as u128;
                if n >= capacity {
                    return Err(a.bad(
                        "hostnum",
                        format!(
                            "prefix of {} does not accommodate a host numbered {hostnum}",
                            net.len
                        ),
                    ));
                }
                n
            } else {
                let back = hostnum.unsigned_abs() as u128;
                if back > capacity {
                    return Err(a.bad(
                        "hostnum",
                        format!(
                            "prefix of {} does not accommodate a host numbered {hostnum}",
                            net.len
                        ),
                    ));
                }
                // -1 is the last address.
                (net.last() - net.addr) - (back - 1)
            };
            Ok(Value::String(net.ip_string(net.addr + offset)))
        }
        "cidrnetmask" => {
            let net = Net::parse(&a.string(0, "prefix")?).map_err(|e| a.bad("prefix", e))?;
            if net.width != 32 {
                return Err(a.bad(
                    "prefix",
                    "only IPv4 networks have a netmask; IPv6 networks use prefix lengths",
                ));
            }
            Ok(Value::String(
                Ipv4Addr::from(mask(32, net.len) as u32).to_string(),
            ))
        }
        "cidrsubnets" => {
            let net = Net::parse(&a.string(0, "prefix")?).map_err(|e| a.bad("prefix", e))?;
            // Start just before the base network, like go-cidr's PreviousSubnet.
            let mut current = Net {
                addr: net.addr.wrapping_sub(1) & all_ones(net.width) & mask(net.width, net.len),
                width: net.width,
                len: net.len,
            };
            let mut out = Vec::new();
            for i in 1..a.args.len() {
                let newbits = a.int(i, "newbits")?;
                if newbits < 1 {
                    return Err(a.bad(
                        "newbits",
                        format!("argument {}: must extend prefix by at least one bit", i + 1),
                    ));
                }
                if newbits > 32 {
                    return Err(a.bad(
                        "newbits",
                        format!(
                            "argument {}: may not extend prefix by more than 32 bits",
                            i + 1
                        ),
                    ));
                }
                let len = net.len + newbits as u32;
                if len > net.width {
                    let v = if net.width == 32 { 4 } else { 6 };
                    return Err(a.bad("newbits", format!("argument {}: would extend prefix to {len} bits, which is too long for an IPv{v} address", i + 1)));
                }
                // go-cidr NextSubnet: the subnet of the new size that follows the current one.
                let m = mask(net.width, len);
                let base = current.last() & m;
                let last = Net {
                    addr: base,
                    width: net.width,
                    len,
                }
                .last();
                let next_addr = last.wrapping_add(1) & all_ones(net.width);
                let rollover = next_addr == 0;
                let next = Net {
                    addr: next_addr & m,
                    width: net.width,
                    len,
                };
                if rollover || !net.contains(next.addr) {
                    return Err(a.bad(
                        "newbits",
                        format!("argument {}: not enough remaining address space for a subnet with a prefix of {len} bits after {current}", i + 1),
                    ));
                }
                current = next;
                out.push(Value::String(current.to_string()));
            }
            Ok(Value::List(out))
        }
        other => Err(format!("{other}: not implemented")),
    }
}
