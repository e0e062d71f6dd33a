//! `net_proxy` (needs the supervisor): `--net-allow HOST[:PORT]`.
//!
//! The command reaches named hosts through nono's proxy alone: the proxy
//! (in the supervisor) admits the allowed hosts, and the supervisor's
//! destination check lets the command's `connect` reach nothing but the
//! proxy's address and the `--net-connect` ports (a Landlock port rule
//! alone would let it reach any host on the proxy's port number). Without
//! UDP ports, UDP sockets are refused too: the proxy resolves names, the
//! command needs no DNS. The proxy's port is chosen when it is bound
//! ([`with_proxy_port`]); until then it is 0.

use super::{Lowering, Pass};
use nono_model::{NetPolicy, NetRights, PortRule, ProxyRules, Requirement, Ruleset, SocketFilter};

fn lower_net_proxy(lowering: &mut Lowering<'_>) {
    if lowering.intent.hosts.is_empty() {
        return;
    }
    let mut hosts = lowering.intent.hosts.clone();
    hosts.sort();
    hosts.dedup();
    let (direct_ports, direct_udp_ports, udp) = match &lowering.intent.net {
        NetPolicy::Ports {
            connect,
            udp_connect,
            udp_bind,
            ..
        } => (
            connect.clone(),
            udp_connect.clone(),
            !(udp_connect.is_empty() && udp_bind.is_empty()),
        ),
        _ => (Default::default(), Default::default(), false),
    };
    lowering.ruleset.proxy = Some(ProxyRules {
        port: 0,
        hosts,
        direct_ports,
        direct_udp_ports,
    });
    lowering.ruleset.supervision.inet_destinations = true;
    if !udp && lowering.ruleset.socket_filter == Some(SocketFilter::TcpUdpOnly) {
        lowering.ruleset.socket_filter = Some(SocketFilter::TcpOnly);
    }
}

fn without_net_proxy(lowering: &mut Lowering<'_>) {
    if !lowering.intent.hosts.is_empty() {
        lowering.gap_below("--net-allow: without the supervisor's destination check the command can reach any host on the proxy's port number");
    }
}

/// Gives `ruleset` the port its proxy was bound to: the proxy's address is
/// then what the supervisor lets the command connect to, and Landlock's
/// TCP connect rule (ABI 4) names that port. A ruleset without a proxy is
/// left as it is.
pub fn with_proxy_port(ruleset: &mut Ruleset, port: u16) {
    let Some(proxy) = ruleset.proxy.as_mut() else {
        return;
    };
    proxy.port = port;
    if ruleset.handled_net.contains(NetRights::CONNECT_TCP) {
        match ruleset.port_rules.iter_mut().find(|r| r.port == port) {
            Some(rule) => rule.rights |= NetRights::CONNECT_TCP,
            None => {
                ruleset.port_rules.push(PortRule {
                    port,
                    rights: NetRights::CONNECT_TCP,
                });
                ruleset.port_rules.sort_by_key(|r| r.port);
            }
        }
    }
}

pub const PASS: Pass = Pass {
    name: "net_proxy",
    requires: Requirement::Supervisor,
    lower: lower_net_proxy,
    without: without_net_proxy,
};

#[cfg(test)]
mod tests {
    use super::with_proxy_port;
    use crate::passes::{Host, Intent, lower};
    use nono_model::{Abi, NetPolicy, NetRights, SocketFilter};

    fn intent(udp: bool) -> Intent {
        Intent {
            net: NetPolicy::Ports {
                connect: [22].into(),
                bind: Default::default(),
                udp_connect: if udp { [53].into() } else { Default::default() },
                udp_bind: Default::default(),
            },
            hosts: vec![
                "b.example".parse().unwrap_or_else(|_| unreachable!()),
                "a.example:8443".parse().unwrap_or_else(|_| unreachable!()),
            ],
            ..Intent::default()
        }
    }

    #[test]
    fn the_command_reaches_the_proxy_port_and_its_own_ports_only() {
        for abi in Abi::known() {
            let mut lowered = lower(Host::landlock(abi), &[], &intent(false));
            with_proxy_port(&mut lowered.ruleset, 40000);
            let r = &lowered.ruleset;
            let proxy = r.proxy.as_ref().unwrap_or_else(|| unreachable!());
            assert_eq!(proxy.port, 40000);
            assert_eq!(proxy.hosts[0].to_string(), "a.example:8443");
            assert_eq!(proxy.upstream_ports(), [80, 443, 8443].into());
            assert!(r.supervision.inet_destinations, "ABI {abi}");
            assert_eq!(r.socket_filter, Some(SocketFilter::TcpOnly));
            let ports: Vec<u16> = r
                .port_rules
                .iter()
                .filter(|p| p.rights.contains(NetRights::CONNECT_TCP))
                .map(|p| p.port)
                .collect();
            let want: Vec<u16> = if abi >= Abi::V4 {
                vec![22, 40000]
            } else {
                vec![]
            };
            assert_eq!(ports, want, "ABI {abi}");
        }
    }

    #[test]
    fn udp_ports_keep_udp_sockets() {
        let lowered = lower(Host::landlock(Abi::V4), &[], &intent(true));
        assert_eq!(
            lowered.ruleset.socket_filter,
            Some(SocketFilter::TcpUdpOnly)
        );
    }

    #[test]
    fn without_the_supervisor_the_destination_check_is_a_gap() {
        let host = Host {
            supervisor: false,
            ..Host::landlock(Abi::LATEST)
        };
        let lowered = lower(host, &[], &intent(false));
        assert!(lowered.gaps.iter().any(|g| g.feature == "net_proxy"));
        assert!(lowered.ruleset.proxy.is_none());
    }
}
