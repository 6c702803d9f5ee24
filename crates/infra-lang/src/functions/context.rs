//! What the functions that depend on more than their arguments read, handed in by whoever
//! evaluates (this crate reads no clock, no environment and no entropy):
//!
//! - [`StackEnv`] (for a walk's duration, set by infra-config's walks, like
//!   [`super::files::with_files`]): the stack's directory (`abspath`), the home directory
//!   (`pathexpand`) and the time the plan was made (`plantimestamp`).
//! - [`ApplyClock`] (set by the binary around apply-time evaluation): "now" (`timestamp`)
//!   and a random stream (`uuid`, `bcrypt`'s salt). Without one, those functions are
//!   unknown, as Terraform plans them: known only after apply.
//!
//! Both are thread-locals; an evaluation that goes on on other threads sets them there
//! too ([`fork_clock`] gives each such thread its own random stream).

use std::cell::RefCell;
use std::sync::Arc;
use std::time::SystemTime;

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// The stack-wide facts some functions read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackEnv {
    /// The root stack directory as an absolute path (`path.cwd`): what `abspath` resolves
    /// a relative path against. `None`: not known, `abspath` of a relative path is an error.
    pub root_dir: Option<String>,
    /// The home directory (`HOME`), for `pathexpand`. `None`: not known, `~` is an error.
    pub home: Option<String>,
    /// When the plan was made, for `plantimestamp`. `None` (validate): unknown.
    pub plan_time: Option<SystemTime>,
}

/// The time and randomness of one apply-time evaluation.
#[derive(Clone)]
pub struct ApplyClock {
    now: SystemTime,
    rng: ChaCha20Rng,
}

impl ApplyClock {
    /// `now` for `timestamp()`; `seed` starts the random stream of `uuid()` and
    /// `bcrypt()` (two evaluations with clones of one clock give the same values).
    pub fn new(now: SystemTime, seed: [u8; 32]) -> ApplyClock {
        ApplyClock {
            now,
            rng: ChaCha20Rng::from_seed(seed),
        }
    }

    pub fn now(&self) -> SystemTime {
        self.now
    }
}

impl std::fmt::Debug for ApplyClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // the generator's state is a secret (a bcrypt salt, a UUID to come)
        f.debug_struct("ApplyClock")
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

thread_local! {
    static ENV: RefCell<Option<Arc<StackEnv>>> = const { RefCell::new(None) };
    static CLOCK: RefCell<Option<ApplyClock>> = const { RefCell::new(None) };
}

/// Run `f` with `env` visible to `abspath`, `pathexpand` and `plantimestamp` (nested calls
/// restore the outer one).
pub fn with_stack_env<R>(env: Arc<StackEnv>, f: impl FnOnce() -> R) -> R {
    let outer = ENV.with(|c| c.replace(Some(env)));
    let out = f();
    ENV.with(|c| *c.borrow_mut() = outer);
    out
}

/// Run `f` as an apply-time evaluation: `timestamp()` is `clock`'s time, `uuid()` and
/// `bcrypt()` draw from its random stream. With `None`, as at plan time: they are unknown.
/// Nested calls restore the outer clock.
pub fn with_clock<R>(clock: Option<ApplyClock>, f: impl FnOnce() -> R) -> R {
    let outer = CLOCK.with(|c| c.replace(clock));
    let out = f();
    CLOCK.with(|c| *c.borrow_mut() = outer);
    out
}

/// For another thread evaluating on behalf of this one: the clock in force here with a
/// random stream of its own (drawn from this one's, so the same seed gives the same
/// values), or `None` when there is none.
pub fn fork_clock() -> Option<ApplyClock> {
    CLOCK.with(|c| {
        c.borrow_mut().as_mut().map(|clock| {
            let mut seed = [0u8; 32];
            clock.rng.fill_bytes(&mut seed);
            ApplyClock::new(clock.now, seed)
        })
    })
}

/// What `f` reads of the stack's facts (`None` outside a walk).
pub(crate) fn env<R>(f: impl FnOnce(Option<&StackEnv>) -> R) -> R {
    ENV.with(|c| f(c.borrow().as_deref()))
}

/// The apply-time "now", or `None` at plan time.
pub(crate) fn now() -> Option<SystemTime> {
    CLOCK.with(|c| c.borrow().as_ref().map(|clock| clock.now))
}

/// `N` random bytes from the apply-time stream, or `None` at plan time.
pub(crate) fn random<const N: usize>() -> Option<[u8; N]> {
    CLOCK.with(|c| {
        c.borrow_mut().as_mut().map(|clock| {
            let mut out = [0u8; N];
            clock.rng.fill_bytes(&mut out);
            out
        })
    })
}
