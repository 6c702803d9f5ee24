//! Work on helper threads, results taken in order on this one: the walk evaluates a large
//! block's instances on helper threads while it plans (visits) the ones already
//! evaluated, in key order, so that evaluating and planning overlap on two cores.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// How a run is laid out: items per batch, helper threads, and their stack size.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    pub batch: usize,
    pub stack_size: usize,
}

struct State<T, R> {
    /// Batches no thread has taken yet.
    todo: Vec<Option<Vec<T>>>,
    /// Batches worked and not yet consumed.
    done: Vec<Option<Vec<R>>>,
    /// The next batch to take: helpers and this thread take batches in order.
    next: usize,
    /// The batch this thread consumes now; helpers stay within `lead` batches of it, so
    /// that only a few batches of results wait at a time.
    at: usize,
    /// Set when this thread is done (or unwinding) or a helper panicked: helpers stop.
    stop: bool,
}

struct Shared<T, R> {
    state: Mutex<State<T, R>>,
    changed: Condvar,
    lead: usize,
}

impl<T, R> Shared<T, R> {
    fn lock(&self) -> MutexGuard<'_, State<T, R>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, State<T, R>>) -> MutexGuard<'a, State<T, R>> {
        self.changed
            .wait(guard)
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn stop(&self) {
        self.lock().stop = true;
        self.changed.notify_all();
    }
}

/// Stops the helpers when dropped: on this thread at the end of the run or when it
/// unwinds, on a helper only when it unwinds (a helper waiting for room, or this thread
/// waiting for a batch, would otherwise wait forever).
struct StopOnDrop<'a, T, R> {
    shared: &'a Shared<T, R>,
    always: bool,
}

impl<T, R> Drop for StopOnDrop<'_, T, R> {
    fn drop(&mut self) {
        if self.always || std::thread::panicking() {
            self.shared.stop();
        }
    }
}

/// Apply `work` to every item, in batches, on one helper thread per entry of `setups`
/// (each helper runs inside `wrap` with its setup, e.g. to install thread-local context)
/// and on this thread, and give each result to `consume` on this thread in the items'
/// order. This thread works a batch itself whenever no helper has taken it yet, so the
/// run completes even if no helper thread can be started. A helper's panic is resumed
/// here once every helper has stopped.
pub(crate) fn ordered<T, R, S>(
    items: Vec<T>,
    layout: Layout,
    setups: Vec<S>,
    work: &(dyn Fn(T) -> R + Sync),
    wrap: &(dyn Fn(S, &mut dyn FnMut()) + Sync),
    consume: &mut dyn FnMut(R),
) where
    T: Send,
    R: Send,
    S: Send,
{
    let batch = layout.batch.max(1);
    let mut batches = Vec::with_capacity(items.len().div_ceil(batch));
    let mut rest = items;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(batch));
        batches.push(Some(std::mem::replace(&mut rest, tail)));
    }
    let n = batches.len();
    let shared = Shared {
        state: Mutex::new(State {
            todo: batches,
            done: (0..n).map(|_| None).collect(),
            next: 0,
            at: 0,
            stop: false,
        }),
        changed: Condvar::new(),
        lead: setups.len() + 1,
    };
    std::thread::scope(|s| {
        let shared = &shared;
        let handles: Vec<_> = setups
            .into_iter()
            .filter_map(|setup| {
                std::thread::Builder::new()
                    .stack_size(layout.stack_size)
                    .spawn_scoped(s, move || {
                        let _stop = StopOnDrop {
                            shared,
                            always: false,
                        };
                        wrap(setup, &mut || helper(shared, work));
                    })
                    // no thread: this one takes its share
                    .ok()
            })
            .collect();
        {
            let _stop = StopOnDrop {
                shared,
                always: true,
            };
            for i in 0..n {
                let next = {
                    let mut st = shared.lock();
                    st.at = i;
                    shared.changed.notify_all();
                    loop {
                        if let Some(results) = st.done[i].take() {
                            break Some(Ok(results));
                        }
                        if st.next == i {
                            st.next += 1;
                            break Some(Err(st.todo[i].take().unwrap_or_default()));
                        }
                        if st.stop {
                            // a helper panicked (maybe while working batch i)
                            break None;
                        }
                        st = shared.wait(st);
                    }
                };
                match next {
                    Some(Ok(results)) => results.into_iter().for_each(&mut *consume),
                    Some(Err(items)) => items.into_iter().map(work).for_each(&mut *consume),
                    None => break,
                }
            }
        }
        let mut panic = None;
        for h in handles {
            if let Err(p) = h.join() {
                panic.get_or_insert(p);
            }
        }
        if let Some(p) = panic {
            std::panic::resume_unwind(p);
        }
    });
}

fn helper<T, R>(shared: &Shared<T, R>, work: &(dyn Fn(T) -> R + Sync)) {
    loop {
        let (i, items) = {
            let mut st = shared.lock();
            loop {
                if st.stop || st.next >= st.todo.len() {
                    return;
                }
                if st.next < st.at + shared.lead {
                    break;
                }
                st = shared.wait(st);
            }
            let i = st.next;
            st.next += 1;
            (i, st.todo[i].take().unwrap_or_default())
        };
        let results: Vec<R> = items.into_iter().map(work).collect();
        shared.lock().done[i] = Some(results);
        shared.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn layout(batch: usize) -> Layout {
        Layout {
            batch,
            stack_size: 1 << 20,
        }
    }

    fn run(n: usize, batch: usize, helpers: usize) -> Vec<usize> {
        let mut out = Vec::new();
        ordered(
            (0..n).collect(),
            layout(batch),
            (0..helpers).collect(),
            &|i: usize| {
                // uneven work, so that batches finish out of order
                let mut x = i as u64;
                for _ in 0..(i % 7) * 500 {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                }
                (i, x)
            },
            &|_setup: usize, body: &mut dyn FnMut()| body(),
            &mut |(i, _)| out.push(i),
        );
        out
    }

    #[test]
    fn results_are_consumed_in_item_order_whatever_the_threads() {
        for (n, batch, helpers) in [
            (0, 4, 2),
            (1, 4, 2),
            (1000, 7, 3),
            (1000, 1000, 2),
            (37, 1, 4),
            (500, 16, 0),
        ] {
            let out = run(n, batch, helpers);
            assert_eq!(
                out,
                (0..n).collect::<Vec<_>>(),
                "n={n} batch={batch} helpers={helpers}"
            );
        }
    }

    #[test]
    fn helpers_do_the_work_while_this_thread_consumes() {
        let consumed = AtomicUsize::new(0);
        let worked_elsewhere = AtomicUsize::new(0);
        let me = std::thread::current().id();
        let mut seen = 0;
        ordered(
            (0..400).collect::<Vec<usize>>(),
            layout(10),
            vec![(), ()],
            &|i| {
                if std::thread::current().id() != me {
                    worked_elsewhere.fetch_add(1, Ordering::Relaxed);
                }
                i
            },
            &|(), body| body(),
            &mut |i| {
                assert_eq!(i, seen);
                seen += 1;
                consumed.fetch_add(1, Ordering::Relaxed);
                // consuming is slow: the helpers get ahead
                std::thread::sleep(std::time::Duration::from_micros(50));
            },
        );
        assert_eq!(consumed.load(Ordering::Relaxed), 400);
        assert!(worked_elsewhere.load(Ordering::Relaxed) > 0);
    }

    #[test]
    fn a_helpers_panic_reaches_the_caller_and_nothing_hangs() {
        let caught = std::panic::catch_unwind(|| {
            ordered(
                (0..100).collect::<Vec<usize>>(),
                layout(5),
                vec![(), ()],
                &|i| {
                    if i == 57 {
                        panic!("boom at 57");
                    }
                    i
                },
                &|(), body| body(),
                &mut |_| std::thread::sleep(std::time::Duration::from_micros(20)),
            )
        });
        let payload = caught.expect_err("the panic is resumed");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom at 57"));
    }

    #[test]
    fn a_panic_while_consuming_stops_the_helpers() {
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            ordered(
                (0..1000).collect::<Vec<usize>>(),
                layout(3),
                vec![(), ()],
                &|i| i,
                &|(), body| body(),
                &mut |i| assert!(i < 10, "consumer fails at {i}"),
            )
        }));
        assert!(caught.is_err());
    }
}
