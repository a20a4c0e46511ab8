//! The order in which a request's candidate models are tried, by strategy.

use std::sync::Arc;

use hub_core::config::RouterStrategy;
use rand::Rng;

use crate::snapshot::Route;

/// The models to try for a request whose model resolved to `requested`, best first.
///
/// `routes` are the router's models in list order and `weights` their weights, in the same
/// order.
pub(crate) fn order(
    strategy: RouterStrategy,
    requested: &Arc<Route>,
    routes: &[Arc<Route>],
    weights: &[u32],
) -> Vec<Arc<Route>> {
    match strategy {
        RouterStrategy::Simple => vec![Arc::clone(requested)],
        RouterStrategy::OrderedFallback => {
            let others = routes.iter().filter(|route| !Arc::ptr_eq(route, requested));
            std::iter::once(requested).chain(others).cloned().collect()
        }
        RouterStrategy::WeightedRandom => weighted_shuffle(routes, weights, &mut rand::rng()),
        RouterStrategy::LeastLatency => least_latency(routes, &mut rand::rng()),
    }
}

/// A random order in which each model comes first with probability proportional to its
/// weight, and so on for the rest: sampling without replacement.
fn weighted_shuffle(routes: &[Arc<Route>], weights: &[u32], rng: &mut impl Rng) -> Vec<Arc<Route>> {
    let mut pool: Vec<(u64, &Arc<Route>)> = weights
        .iter()
        .map(|weight| u64::from(*weight))
        .zip(routes)
        .collect();
    let mut ordered = Vec::with_capacity(pool.len());

    while !pool.is_empty() {
        let total: u64 = pool.iter().map(|(weight, _)| weight).sum();
        let mut ticket = rng.random_range(0..total.max(1));
        let position = pool
            .iter()
            .position(|(weight, _)| {
                if ticket < *weight {
                    true
                } else {
                    ticket -= weight;
                    false
                }
            })
            .unwrap_or(pool.len() - 1);
        ordered.push(Arc::clone(pool.swap_remove(position).1));
    }
    ordered
}

/// Power of two choices: of two models drawn at random, the one with the lower moving
/// average of latency goes first; the rest follow fastest first. Drawing two rather than
/// always taking the fastest keeps every model measured and spreads a burst of requests.
fn least_latency(routes: &[Arc<Route>], rng: &mut impl Rng) -> Vec<Arc<Route>> {
    let mut ordered: Vec<Arc<Route>> = routes.to_vec();
    ordered.sort_by(|a, b| a.health.latency_us().total_cmp(&b.health.latency_us()));
    if ordered.len() < 2 {
        return ordered;
    }

    let first = rng.random_range(0..ordered.len());
    let mut second = rng.random_range(0..ordered.len() - 1);
    if second >= first {
        second += 1;
    }
    // The list is sorted, so the lower index of the two is the faster model.
    let chosen = ordered.remove(first.min(second));
    ordered.insert(0, chosen);
    ordered
}
