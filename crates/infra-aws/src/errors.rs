//! Mapping SDK errors to [`ProviderError`]: the API's code and message, the operation, and
//! a kind the engine and the retry loop act on.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use infra_provider::{ErrorKind, ProviderError};

const THROTTLING: &[&str] = &[
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequests",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

const TRANSIENT: &[&str] = &[
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "Unavailable",
    "RequestTimeout",
    "RequestTimeoutException",
];

const CREDENTIALS: &[&str] = &[
    "AuthFailure",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "MissingAuthenticationToken",
    "InvalidAccessKeyId",
    "IncompleteSignature",
];

/// The kind of an API error from its code and HTTP status.
pub fn classify(code: Option<&str>, status: Option<u16>) -> ErrorKind {
    let code = code.unwrap_or("");
    if THROTTLING.contains(&code) || status == Some(429) {
        ErrorKind::Throttled
    } else if code.starts_with("NoSuch")
        || code == "ResourceNotFound"
        || code.ends_with("NotFound")
        || code.ends_with(".NotFound")
        || code.ends_with("NotFoundException")
    {
        ErrorKind::NotFound
    } else if CREDENTIALS.contains(&code) {
        ErrorKind::Credentials
    } else if TRANSIENT.contains(&code) || status.is_some_and(|s| s >= 500) {
        ErrorKind::Transient
    } else if status.is_some_and(|s| (400..500).contains(&s)) || !code.is_empty() {
        ErrorKind::Rejected
    } else {
        ErrorKind::Other
    }
}

/// Convert an SDK error of operation `op` (`ec2:CreateVpc`).
pub fn from_sdk<E>(op: &str, err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = err.code().map(str::to_string);
    let (kind, message) = match &err {
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
            let message = err
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| format!("{} (http status {status})", DisplayErrorContext(&err)));
            (classify(code.as_deref(), Some(status)), message)
        }
        SdkError::TimeoutError(_) => (
            ErrorKind::Transient,
            format!("timed out: {}", DisplayErrorContext(&err)),
        ),
        SdkError::ResponseError(_) => (
            ErrorKind::Transient,
            format!("could not read the response: {}", DisplayErrorContext(&err)),
        ),
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_) => {
            let text = DisplayErrorContext(&err).to_string();
            if text.to_lowercase().contains("credentials") {
                (ErrorKind::Credentials, format!("no usable AWS credentials: {text}; set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE"))
            } else if matches!(err, SdkError::DispatchFailure(_)) {
                (ErrorKind::Transient, format!("could not reach the endpoint: {text}; check AWS_ENDPOINT_URL and the network"))
            } else {
                (
                    ErrorKind::Other,
                    format!("could not build the request: {text}"),
                )
            }
        }
        _ => (ErrorKind::Other, DisplayErrorContext(&err).to_string()),
    };
    ProviderError {
        kind,
        code,
        message,
        operation: Some(op.to_string()),
    }
}

/// Whether an error is "the thing is already gone".
pub fn is_not_found(e: &ProviderError) -> bool {
    e.kind == ErrorKind::NotFound
}

/// A call's result, with "an earlier attempt whose answer was lost already did it"
/// ([`crate::call::ALREADY_DONE`]) as `Ok(None)`.
pub fn unless_done<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code.as_deref() == Some(crate::call::ALREADY_DONE) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A delete's result, with "it is already gone" (one of `codes`) as done.
pub fn gone_is_done<T>(r: Result<T, ProviderError>, codes: &[&str]) -> Result<(), ProviderError> {
    match r {
        Err(e) if has_code(&e, codes) => Ok(()),
        r => r.map(|_| ()),
    }
}

/// A read's result, with "no such thing" as `Ok(None)`.
pub fn found<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether an error has one of `codes`.
pub fn has_code(e: &ProviderError, codes: &[&str]) -> bool {
    e.code.as_deref().is_some_and(|c| codes.contains(&c))
}

pub fn unsupported(type_name: &str, what: &str) -> ProviderError {
    ProviderError::new(ErrorKind::Rejected, format!("the aws provider does not support {what} `{type_name}`; use one of the types listed in the documentation"))
}

pub fn missing(type_name: &str, attr: &str) -> ProviderError {
    ProviderError::new(
        ErrorKind::Rejected,
        format!("{type_name}: `{attr}` must be set to a known value"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(
            classify(Some("InvalidVpcID.NotFound"), Some(400)),
            ErrorKind::NotFound
        );
        assert_eq!(
            classify(Some("NatGatewayNotFound"), Some(400)),
            ErrorKind::NotFound
        );
        assert_eq!(
            classify(Some("RequestLimitExceeded"), Some(503)),
            ErrorKind::Throttled
        );
        assert_eq!(
            classify(Some("ThrottlingException"), Some(400)),
            ErrorKind::Throttled
        );
        assert_eq!(classify(None, Some(429)), ErrorKind::Throttled);
        assert_eq!(
            classify(Some("InternalError"), Some(500)),
            ErrorKind::Transient
        );
        assert_eq!(classify(None, Some(502)), ErrorKind::Transient);
        assert_eq!(
            classify(Some("AuthFailure"), Some(401)),
            ErrorKind::Credentials
        );
        assert_eq!(
            classify(Some("InvalidParameterValue"), Some(400)),
            ErrorKind::Rejected
        );
        assert_eq!(classify(None, None), ErrorKind::Other);
        assert_eq!(
            classify(Some("NoSuchEntity"), Some(404)),
            ErrorKind::NotFound
        );
        assert_eq!(
            classify(Some("NoSuchHostedZone"), Some(404)),
            ErrorKind::NotFound
        );
    }
}

/// An EKS delete refused with ResourceInUseException (node groups still going away, or
/// another operation in progress) is a dependency to wait out, as EC2's
/// DependencyViolation: `AwsProvider::settle` retries it.
pub(crate) fn eks_in_use_is_a_dependency<T>(
    result: Result<T, ProviderError>,
) -> Result<(), ProviderError> {
    match result {
        Err(e) if has_code(&e, &["ResourceInUseException"]) => {
            Err(ProviderError::new(ErrorKind::Rejected, e.message.clone())
                .with_code("DependencyViolation"))
        }
        other => other.map(|_| ()),
    }
}
