//! The SDK clients and shared batchers an `AwsProvider` holds, one accessor each.

use crate::{nacl_batch, route53_batch, AwsProvider};

impl AwsProvider {
    pub(crate) fn ec2(&self) -> &aws_sdk_ec2::Client {
        &self.ec2
    }

    pub(crate) fn iam(&self) -> &aws_sdk_iam::Client {
        &self.iam
    }

    pub(crate) fn eks(&self) -> &aws_sdk_eks::Client {
        &self.eks
    }

    pub(crate) fn route53(&self) -> &aws_sdk_route53::Client {
        &self.route53
    }

    pub(crate) fn acl_reads(&self) -> &nacl_batch::AclReads {
        &self.acl_reads
    }

    pub(crate) fn records(&self) -> &route53_batch::Batcher {
        &self.records
    }

    pub(crate) fn sts(&self) -> &aws_sdk_sts::Client {
        &self.sts
    }

    pub(crate) fn rds(&self) -> &aws_sdk_rds::Client {
        &self.rds
    }

    pub(crate) fn elasticache(&self) -> &aws_sdk_elasticache::Client {
        &self.elasticache
    }

    pub(crate) fn redshift(&self) -> &aws_sdk_redshift::Client {
        &self.redshift
    }

    pub(crate) fn logs(&self) -> &aws_sdk_cloudwatchlogs::Client {
        &self.logs
    }

    pub(crate) fn kms(&self) -> &aws_sdk_kms::Client {
        &self.kms
    }

    pub(crate) fn ssm(&self) -> &aws_sdk_ssm::Client {
        &self.ssm
    }

    pub(crate) fn autoscaling(&self) -> &aws_sdk_autoscaling::Client {
        &self.autoscaling
    }

    pub(crate) fn s3(&self) -> &aws_sdk_s3::Client {
        &self.s3
    }

    pub(crate) fn sqs(&self) -> &aws_sdk_sqs::Client {
        &self.sqs
    }

    pub(crate) fn events(&self) -> &aws_sdk_eventbridge::Client {
        &self.events
    }

    pub(crate) fn ssoadmin(&self) -> &aws_sdk_ssoadmin::Client {
        &self.idc.ssoadmin
    }

    pub(crate) fn identitystore(&self) -> &aws_sdk_identitystore::Client {
        &self.idc.identitystore
    }

    pub(crate) fn ecrpublic(&self) -> &aws_sdk_ecrpublic::Client {
        &self.idc.ecrpublic
    }

    pub(crate) fn credentials(
        &self,
    ) -> Option<&aws_credential_types::provider::SharedCredentialsProvider> {
        self.credentials.as_ref()
    }
}

/// The clients of IAM Identity Center and ECR Public, read by data sources only; each
/// honours its `AWS_ENDPOINT_URL_<SERVICE>` (`SSO_ADMIN`, `IDENTITYSTORE`, `ECR_PUBLIC`).
#[derive(Debug)]
pub(crate) struct IdcClients {
    ssoadmin: aws_sdk_ssoadmin::Client,
    identitystore: aws_sdk_identitystore::Client,
    ecrpublic: aws_sdk_ecrpublic::Client,
}

impl IdcClients {
    pub(crate) fn new(config: &aws_types::SdkConfig) -> Self {
        IdcClients {
            ssoadmin: aws_sdk_ssoadmin::Client::new(config),
            identitystore: aws_sdk_identitystore::Client::new(config),
            ecrpublic: aws_sdk_ecrpublic::Client::new(config),
        }
    }
}
