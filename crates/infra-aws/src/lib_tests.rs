//! Unit tests of the provider's wiring (lib.rs).

use super::*;

#[test]
fn missing_region_is_a_credentials_error_that_says_what_to_set() {
    let config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .build();
    let err = AwsProvider::from_config(&config).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Credentials);
    assert!(err.message.contains("AWS_REGION"), "{err}");
}

fn offline() -> AwsProvider {
    let config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .build();
    AwsProvider::from_config(&config).unwrap()
}

#[tokio::test]
async fn eks_waits_poll_until_ready_and_give_up_at_the_timeout() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let p = offline().with_eks_wait_timeout(Duration::from_secs(5));
    let n = AtomicU32::new(0);
    // CREATING, CREATING, ACTIVE
    let v = p
        .poll_eks("cluster", || async {
            Ok((n.fetch_add(1, Ordering::SeqCst) >= 2).then_some("ACTIVE"))
        })
        .await
        .unwrap();
    assert_eq!((v, n.load(Ordering::SeqCst)), ("ACTIVE", 3));

    let p = offline().with_eks_wait_timeout(Duration::from_secs(1));
    let err = p
        .poll_eks("EKS cluster c to become ACTIVE", || async {
            Ok(None::<()>)
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout);
    assert!(err.message.contains("EKS cluster c"), "{err}");
    assert!(err.message.contains("run again"), "{err}");
}

#[tokio::test]
async fn a_resource_timeouts_value_replaces_the_default_wait_timeout() {
    // the default (40 min) would never end here; the step's `timeouts` value does
    let p = offline();
    let started = std::time::Instant::now();
    let err = infra_provider::with_step_timeout(
        Some(Duration::from_secs(1)),
        p.poll_eks("EKS node group n to become ACTIVE", || async {
            Ok(None::<()>)
        }),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let p = offline().with_wait_timeout(Duration::from_secs(3600));
    let err = infra_provider::with_step_timeout(
        Some(Duration::from_secs(1)),
        p.poll("NAT gateway to become available", || async {
            Ok(None::<()>)
        }),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn missing_credentials_is_a_credentials_error_that_says_what_to_set() {
    let config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .build();
    let err = AwsProvider::check_credentials(&config).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Credentials);
    assert!(err.message.contains("AWS_ACCESS_KEY_ID"), "{err}");
}
