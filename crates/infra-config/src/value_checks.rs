//! Checks of one attribute's value that the providers make before anything runs (their
//! validators), reported at the attribute, file:line, when the value is known at load:
//! the local provider's file modes (3 or 4 octal digits) and `aws_ssm_activation`'s
//! `expiration_date` (RFC 3339, as the AWS provider's `IsRFC3339Time`).

use infra_model::{Address, Diagnostic, Value};

/// The problem with `value` of attribute `name` of `address`, if any: a summary and what
/// to do.
pub(crate) fn check(address: &Address, name: &str, value: &Value) -> Option<Diagnostic> {
    let text = value.as_str()?;
    let managed = address.mode == infra_model::Mode::Managed;
    match (address.type_name.as_str(), name) {
        ("local_file" | "local_sensitive_file", "file_permission" | "directory_permission")
            if managed =>
        {
            let why = infra_model::schema::file_permission(text).err()?;
            Some(
                Diagnostic::error(format!("invalid value for `{name}`: {why}"))
                    .with_detail(
                        "a mode in octal numeric notation, before the umask: \"0600\" for the owner alone, \"0644\", \"0755\"",
                    ),
            )
        }
        ("aws_ssm_activation", "expiration_date") if managed => {
            use time::format_description::well_known::Rfc3339;
            time::OffsetDateTime::parse(text, &Rfc3339).err()?;
            Some(
                Diagnostic::error(format!(
                    "invalid value for `expiration_date`: `{text}` is not an RFC 3339 time"
                ))
                .with_detail(
                    "write a date and time with its offset, such as 2030-01-02T15:04:05Z; timeadd(timestamp(), \"72h\") makes one",
                ),
            )
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_dates_are_checked_where_the_providers_check_them() {
        let file = Address::managed("local_file", "f");
        let bad = |a: &Address, n: &str, v: &str| check(a, n, &Value::string(v));
        assert!(bad(&file, "file_permission", "0600").is_none());
        assert!(bad(&file, "directory_permission", "755").is_none());
        let d = bad(&file, "file_permission", "0888").unwrap();
        assert!(d.summary.contains("`file_permission`"), "{}", d.summary);
        assert!(bad(&file, "file_permission", "rw-r--r--").is_some());
        // the same name elsewhere is not the local provider's
        assert!(bad(&Address::managed("aws_vpc", "v"), "file_permission", "x").is_none());
        let act = Address::managed("aws_ssm_activation", "a");
        assert!(bad(&act, "expiration_date", "2030-01-02T15:04:05Z").is_none());
        assert!(bad(&act, "expiration_date", "2030-01-02T15:04:05+02:00").is_none());
        assert!(bad(&act, "expiration_date", "2030-01-02").is_some());
        assert!(check(&act, "expiration_date", &Value::Unknown).is_none());
    }
}
