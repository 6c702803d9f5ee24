//! placeholder: in-memory fake provider
