//! The local provider's types (terraform-provider-local v2): `local_file` and
//! `local_sensitive_file` write a file on the machine that applies, and the data sources of
//! the same names read one. Every argument of the resources forces a new file; `id` is the
//! hex SHA-1 of the content. `local_file`'s permissions default to "0777" and
//! `local_sensitive_file`'s to "0700" (before the umask), as in the provider; the content
//! of `local_sensitive_file` (and `local_file`'s deprecated `sensitive_content`) is
//! sensitive.

use super::*;
use crate::Mode::{Data, Managed};

/// The computed checksums both resources and both data sources have.
fn checksums() -> Vec<AttrSchema> {
    computed(&[
        "content_md5",
        "content_sha1",
        "content_sha256",
        "content_base64sha256",
        "content_sha512",
        "content_base64sha512",
    ])
}

fn file(type_name: &'static str, sensitive: bool) -> ResourceSchema {
    let permission = if sensitive { "0700" } else { "0777" };
    let content = |name: &'static str, secret: bool| {
        let a = attr(name, s()).optional().force_new();
        if secret {
            a.sensitive()
        } else {
            a
        }
    };
    let mut a = vec![
        attr("filename", s()).required().force_new(),
        content("content", sensitive),
        content("content_base64", sensitive),
        attr("source", s()).optional().force_new(),
        attr("file_permission", s())
            .optional()
            .default(permission)
            .force_new(),
        attr("directory_permission", s())
            .optional()
            .default(permission)
            .force_new(),
    ];
    if !sensitive {
        // deprecated in the provider in favour of local_sensitive_file
        a.push(content("sensitive_content", true));
    }
    a.extend(checksums());
    resource(type_name, Managed, a, vec![])
}

fn data(type_name: &'static str, sensitive: bool) -> ResourceSchema {
    let content = |name: &'static str| {
        let a = attr(name, s()).computed();
        if sensitive {
            a.sensitive()
        } else {
            a
        }
    };
    let mut a = vec![
        attr("filename", s()).required(),
        content("content"),
        content("content_base64"),
    ];
    a.extend(checksums());
    resource(type_name, Data, a, vec![])
}

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    vec![
        file("local_file", false),
        file("local_sensitive_file", true),
        data("local_file", false),
        data("local_sensitive_file", true),
    ]
}

/// A `file_permission` / `directory_permission` value as the provider takes it: 3 or 4
/// octal digits ("0600", "755"), at most 0777. The error says what was wrong.
pub fn file_permission(text: &str) -> Result<u32, String> {
    if !(3..=4).contains(&text.len()) {
        return Err(format!(
            "`{text}` is not a file mode: write 3 or 4 octal digits, such as \"0600\""
        ));
    }
    match u32::from_str_radix(text, 8) {
        Ok(mode) if mode <= 0o777 && !text.starts_with('+') => Ok(mode),
        _ => Err(format!(
            "`{text}` is not a file mode in octal notation: use the digits 0-7, at most \"0777\" (such as \"0600\")"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_three_or_four_octal_digits() {
        assert_eq!(file_permission("0600"), Ok(0o600));
        assert_eq!(file_permission("755"), Ok(0o755));
        assert_eq!(file_permission("0777"), Ok(0o777));
        for bad in ["", "06", "00600", "0800", "1777", "rw-", "+644", "0x1f"] {
            assert!(file_permission(bad).is_err(), "{bad}");
        }
    }
}
