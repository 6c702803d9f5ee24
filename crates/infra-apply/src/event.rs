//! Progress events and the final report. Apply never prints: the binary renders these.

use std::collections::BTreeMap;
use std::time::Duration;

use infra_model::{Address, Value};
use infra_plan::{Step, StepKind};

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    StepStarted {
        step: Step,
    },
    /// `id` is the cloud id the step created, updated or deleted.
    StepCompleted {
        step: Step,
        elapsed: Duration,
        id: Option<String>,
    },
    StepFailed {
        step: Step,
        elapsed: Duration,
        error: String,
    },
    /// Not run because `because` (a predecessor, possibly indirect) failed.
    StepSkipped {
        step: Step,
        because: Address,
    },
    /// Still waiting: for a created resource to become ready (`Create`), or for a
    /// delete the cloud refuses until a dependent is gone (`Delete`). `detail` says what
    /// it waits for, when the provider knows.
    Waiting {
        address: Address,
        kind: StepKind,
        elapsed: Duration,
        detail: Option<String>,
    },
    /// The shutdown signal arrived: nothing new starts; `in_flight` steps are finishing.
    Interrupted {
        in_flight: usize,
    },
}

/// What an apply did, step by step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplyReport {
    /// In completion order, with the cloud id concerned.
    pub completed: Vec<(Step, Option<String>)>,
    /// With the error, including the API's code and message.
    pub failed: Vec<(Step, String)>,
    /// Dependents of failed steps.
    pub skipped: Vec<Step>,
    /// Steps that did not start because of the shutdown signal.
    pub not_started: Vec<Step>,
    /// The shutdown signal fired during the apply.
    pub interrupted: bool,
    /// The attributes of every resource and data source after the apply (prior values
    /// updated with what the apply produced, deleted objects removed), for outputs.
    pub values: BTreeMap<Address, Value>,
}

impl ApplyReport {
    /// Everything planned was done.
    pub fn success(&self) -> bool {
        self.failed.is_empty()
            && self.skipped.is_empty()
            && self.not_started.is_empty()
            && !self.interrupted
    }
}
