//! The lowering fuzz target's input format (feature `fuzzing`): bytes to a
//! [`ScenarioSpec`] and target seeds, through `arbitrary`, then every
//! invariant of [`check_scenario`](super::check_scenario).

use super::scenario::{
    DENY_SOURCES, DenySpec, GrantSpec, IntentSpec, LinkSpec, NAMES, NodeSpec, Pick, SOURCES,
    Scenario, ScenarioSpec, TargetSeeds,
};
use arbitrary::{Result, Unstructured};
use nono_model::{Abi, Access, NetPolicy, Scopes};
use std::collections::BTreeSet;

fn pick(u: &mut Unstructured<'_>) -> Result<Pick> {
    Ok(Pick::from_byte(u.arbitrary()?))
}

fn access(u: &mut Unstructured<'_>) -> Result<Access> {
    Ok(*u.choose(&Access::ALL)?)
}

/// Mostly small ports (so that connect and bind sets overlap), sometimes any.
fn ports(u: &mut Unstructured<'_>) -> Result<BTreeSet<u16>> {
    let n = u.int_in_range(0..=4u8)?;
    let mut set = BTreeSet::new();
    for _ in 0..n {
        let port = if u.ratio(3u8, 4)? {
            u.int_in_range(0..=5u16)?
        } else {
            u.arbitrary()?
        };
        set.insert(port);
    }
    Ok(set)
}

fn intent(u: &mut Unstructured<'_>) -> Result<IntentSpec> {
    let net = match u.int_in_range(0..=2u8)? {
        0 => NetPolicy::Unrestricted,
        1 => NetPolicy::Block,
        _ => NetPolicy::Ports {
            connect: ports(u)?,
            bind: ports(u)?,
            udp_connect: ports(u)?,
            udp_bind: ports(u)?,
        },
    };
    let mut unix = Vec::new();
    for _ in 0..u.int_in_range(0..=3u8)? {
        unix.push(pick(u)?);
    }
    Ok(IntentSpec {
        net,
        scopes: Scopes {
            signals: u.arbitrary()?,
            abstract_unix: u.arbitrary()?,
        },
        log_denials: u.arbitrary()?,
        allow_sysv_ipc: u.arbitrary()?,
        unix,
    })
}

/// A scenario spec and target seeds from fuzz input, within the same bounds
/// as [`scenario_with_denies`](super::scenario_with_denies) and
/// [`scenario`](super::scenario): up to 18 nodes, 4 symlinks, 10 grants and
/// 5 denials.
pub fn scenario_input(u: &mut Unstructured<'_>) -> Result<(ScenarioSpec, TargetSeeds)> {
    let counts = (
        u.int_in_range(1..=18u8)?,
        u.int_in_range(0..=4u8)?,
        u.int_in_range(0..=10u8)?,
        u.int_in_range(0..=5u8)?,
    );
    let cwd = pick(u)?;
    let base = pick(u)?;
    let intent = intent(u)?;
    let shuffle = u64::from(u.arbitrary::<u16>()?);
    let mut seeds: TargetSeeds = [(0, 0); Abi::COUNT];
    for seed in &mut seeds {
        let b: u8 = u.arbitrary()?;
        *seed = ((b % 3), (b / 3) % 3);
    }
    let mut nodes = Vec::new();
    for _ in 0..counts.0 {
        nodes.push(NodeSpec {
            parent: pick(u)?,
            name: u.choose_index(NAMES.len())?,
            dir: u.ratio(3u8, 5)?,
        });
    }
    let mut links = Vec::new();
    for _ in 0..counts.1 {
        links.push(LinkSpec {
            dir: pick(u)?,
            target: pick(u)?,
            relative: u.arbitrary()?,
        });
    }
    let mut grants = Vec::new();
    for _ in 0..counts.2 {
        grants.push(GrantSpec {
            form: u.int_in_range(0..=8u8)?,
            target: pick(u)?,
            aux: pick(u)?,
            access: access(u)?,
            optional: u.ratio(1u8, 5)?,
            source: u.choose_index(SOURCES)?,
        });
    }
    let mut denies = Vec::new();
    for _ in 0..counts.3 {
        denies.push(DenySpec {
            kind: u.int_in_range(0..=2u8)?,
            pick: pick(u)?,
            aux: pick(u)?,
            via: if u.ratio(3u8, 10)? {
                Some(pick(u)?)
            } else {
                None
            },
            source: u.choose_index(DENY_SOURCES)?,
            exposed: u.ratio(3u8, 20)?,
        });
    }
    Ok((
        ScenarioSpec {
            nodes,
            links,
            grants,
            denies,
            cwd,
            base,
            intent,
            shuffle,
        },
        seeds,
    ))
}

/// The lowering fuzz target: decodes a scenario from `data` and checks
/// every invariant at every ABI of [`Abi::known`]. `Err` describes the
/// broken invariant and the scenario.
pub fn check_lowering_input(data: &[u8]) -> std::result::Result<(), String> {
    let mut u = Unstructured::new(data);
    // Running out of input is not an error: `arbitrary` then gives the
    // smallest values, which still make a valid scenario.
    let Ok((spec, seeds)) = scenario_input(&mut u) else {
        return Ok(());
    };
    let s = Scenario::build(spec);
    super::check_scenario(&s, &seeds).map_err(|e| format!("{e}\n{s:#?}\nseeds: {seeds:?}"))
}
