//! placeholder: the conformance suite every Provider passes
