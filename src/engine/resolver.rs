//! Re-evaluates a resource's configuration at apply time, with the values known now and
//! the apply-time clock (`timestamp()`, `uuid()`, `bcrypt()` are known from here on).

use std::collections::BTreeMap;

use infra_apply::Resolver;
use infra_model::{Address, Value};

pub struct StackResolver<'a> {
    pub stack: &'a infra_config::Stack,
}

impl Resolver for StackResolver<'_> {
    fn resolve(
        &self,
        address: &Address,
        values: &BTreeMap<Address, Value>,
    ) -> Result<Value, String> {
        // apply time: timestamp(), uuid() and bcrypt() get their values now
        let clock = Some(super::clock::apply_clock());
        // marks stop here: the provider gets plain values
        infra_lang::with_clock(clock, || {
            self.stack
                .evaluate_instance(address, values)
                .map_err(|d| d.to_string())
        })
        .map(|v| {
            // the exact texts sent to the cloud are kept out of the SDK's logs
            crate::redact::register_marked(&v);
            v.unmark_deep()
        })
    }
}
