"""The EKS fields moto 5.2.5 drops or answers unlike EKS, for what terraform-aws-eks v21
sets (imported by moto_eks_updates.py, which owns the update machinery used here).

Clusters: CreateCluster keeps accessConfig (authenticationMode CONFIG_MAP and
bootstrapClusterCreatorAdminPermissions true unless sent), upgradePolicy (supportType
EXTENDED unless sent), zonalShiftConfig, computeConfig, storageConfig, outpostConfig,
deletionProtection (false unless sent) and controlPlaneScalingConfig (tier standard unless
sent); kubernetesNetworkConfig gets EKS's defaults (serviceIpv4Cidr 172.20.0.0/16, ipFamily
ipv4, elasticLoadBalancing disabled; an ipv6 cluster a serviceIpv6Cidr). moto kept only what
was sent, and the default network config only when none was sent.

UpdateClusterConfig changes accessConfig.authenticationMode (only towards API, as EKS),
upgradePolicy, zonalShiftConfig, computeConfig, storageConfig,
kubernetesNetworkConfig.elasticLoadBalancing (merged; moto replaced the whole network
config), deletionProtection and controlPlaneScalingConfig, and answers an `update` that
stays InProgress (the cluster UPDATING) like the version updates; moto answered the cluster
and ignored these fields. VPC and logging changes still go through moto (which replaces the
whole VPC config). DeleteCluster is refused while deletionProtection is on, as on EKS.

OIDC issuer: each cluster gets its own (`https://oidc.eks.<region>.amazonaws.com/id/<32 hex>`),
as on EKS; moto gave every cluster of a server the same one.

Cluster security group: EKS makes one for every cluster in the cluster's VPC
(`eks-cluster-sg-<name>-<digits>`, tagged `kubernetes.io/cluster/<name> = owned`) and
answers its id as resourcesVpcConfig.clusterSecurityGroupId; moto made none and answered
none. Here it is made in LocalStack's EC2 (INFRA_LOCALSTACK_ENDPOINT, where the subnets
are) and deleted with the cluster, as EKS does.

Node groups: CreateNodegroup keeps updateConfig and nodeRepairConfig (moto's handler
dropped both; nodeRepairConfig reads `enabled: false` unless sent) and has no remoteAccess
unless sent (moto answered `ec2SshKey: eksKeypair` for every group).

Add-ons: podIdentityAssociations are kept as association ARNs (what EKS answers), replaced
by UpdateAddon, and DescribePodIdentityAssociation answers each (namespace kube-system), which
moto 5.2.5 lacks.
"""

import os
import random
import uuid

from moto.core.responses import ActionResult
from moto.eks.exceptions import InvalidRequestException
from moto.eks.responses import EKSResponse

# moto_eks_updates (run as __main__) hands itself over in install()
ext = None


def _cluster_defaults(cluster, p):
    access = p("accessConfig") or {}
    cluster.access_config = {
        "authenticationMode": access.get("authenticationMode") or "CONFIG_MAP",
        "bootstrapClusterCreatorAdminPermissions": access.get(
            "bootstrapClusterCreatorAdminPermissions", True
        ),
    }
    cluster.upgrade_policy = {
        "supportType": (p("upgradePolicy") or {}).get("supportType") or "EXTENDED"
    }
    cluster.zonal_shift_config = p("zonalShiftConfig")
    cluster.compute_config = p("computeConfig")
    cluster.storage_config = p("storageConfig")
    cluster.outpost_config = p("outpostConfig")
    cluster.deletion_protection = bool(p("deletionProtection"))
    cluster.control_plane_scaling_config = {
        "tier": (p("controlPlaneScalingConfig") or {}).get("tier") or "standard"
    }
    net = dict(p("kubernetesNetworkConfig") or {})
    net.setdefault("ipFamily", "ipv4")
    net.setdefault("serviceIpv4Cidr", "172.20.0.0/16")
    if net["ipFamily"] == "ipv6":
        net.setdefault("serviceIpv6Cidr", f"fd{uuid.uuid4().hex[:2]}:{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}::/108")
    net.setdefault("elasticLoadBalancing", {"enabled": False})
    cluster.kubernetes_network_config = net


LOCALSTACK = os.environ.get("INFRA_LOCALSTACK_ENDPOINT")


def _ec2(region):
    import boto3

    return boto3.client(
        "ec2",
        endpoint_url=LOCALSTACK,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _make_cluster_security_group(cluster, region):
    """The security group EKS makes for a cluster, in the VPC of its subnets."""
    config = cluster.resources_vpc_config
    subnets = (config or {}).get("subnetIds") or []
    if not LOCALSTACK or not subnets:
        return
    try:
        ec2 = _ec2(region)
        vpc = ec2.describe_subnets(SubnetIds=[subnets[0]])["Subnets"][0]["VpcId"]
        name = f"eks-cluster-sg-{cluster.name}-{random.randint(10**9, 10**10 - 1)}"
        group = ec2.create_security_group(
            GroupName=name,
            Description="EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, as well as any managed workloads.",
            VpcId=vpc,
            TagSpecifications=[
                {
                    "ResourceType": "security-group",
                    "Tags": [
                        {"Key": "Name", "Value": name},
                        {"Key": f"kubernetes.io/cluster/{cluster.name}", "Value": "owned"},
                    ],
                }
            ],
        )
    except Exception:  # noqa: BLE001 - subnets elsewhere (not in LocalStack): as moto was
        return
    config["clusterSecurityGroupId"] = group["GroupId"]
    cluster.cluster_security_group_region = region


def _delete_cluster_security_group(cluster):
    group = ((cluster.resources_vpc_config or {}) if cluster else {}).get("clusterSecurityGroupId")
    region = getattr(cluster, "cluster_security_group_region", None)
    if not group or not region or not LOCALSTACK:
        return
    try:
        _ec2(region).delete_security_group(GroupId=group)
    except Exception:  # noqa: BLE001 - gone already
        pass


def _create_cluster(original):
    def wrapped(self):
        result = original(self)
        cluster = ext._cluster(self.eks_backend, self._get_param("name"))
        _cluster_defaults(cluster, self._get_param)
        # an issuer of its own, as on EKS (moto gives every cluster of a server the same
        # one, so a second cluster's IRSA OIDC provider collided with the first's)
        cluster.identity = {
            "oidc": {
                "issuer": f"https://oidc.eks.{self.region}.amazonaws.com/id/{uuid.uuid4().hex.upper()}"
            }
        }
        _make_cluster_security_group(cluster, self.region)
        return result

    return wrapped


NEW_CLUSTER_FIELDS = [
    # request key, attribute, update type
    ("upgradePolicy", "upgrade_policy", "UpgradePolicyUpdate"),
    ("zonalShiftConfig", "zonal_shift_config", "ZonalShiftConfigUpdate"),
    ("computeConfig", "compute_config", "AutoModeUpdate"),
    ("storageConfig", "storage_config", "AutoModeUpdate"),
    ("controlPlaneScalingConfig", "control_plane_scaling_config", "ControlPlaneScalingConfigUpdate"),
]


def _update_cluster_config(original):
    def wrapped(self):
        name = self._get_param("name")
        cluster = ext._cluster(self.eks_backend, name)
        ext._settle()
        if cluster.status != "ACTIVE":
            raise ext._in_use(name, f"Cluster {name} is {cluster.status}; an update is in progress")
        if self._get_param("resourcesVpcConfig") or self._get_param("logging"):
            group = (cluster.resources_vpc_config or {}).get("clusterSecurityGroupId")
            original(self)  # moto's own: VPC config and logging
            if group and cluster.resources_vpc_config is not None:
                # moto replaces the whole VPC config; EKS keeps the cluster's group
                cluster.resources_vpc_config.setdefault("clusterSecurityGroupId", group)
            kind, params = "EndpointAccessUpdate", [{"type": "ClusterLogging", "value": "see cluster"}]
        else:
            kind, params = "ConfigUpdate", []
        access = self._get_param("accessConfig")
        if access and access.get("authenticationMode"):
            old, new = cluster.access_config["authenticationMode"], access["authenticationMode"]
            order = ["CONFIG_MAP", "API_AND_CONFIG_MAP", "API"]
            if new in order and old in order and order.index(new) < order.index(old):
                raise ext._invalid(f"Unsupported authentication mode update from {old} to {new}")
            cluster.access_config["authenticationMode"] = new
            kind = "AccessConfigUpdate"
            params.append({"type": "AuthenticationMode", "value": new})
        for key, attr, update_kind in NEW_CLUSTER_FIELDS:
            value = self._get_param(key)
            if value is not None:
                setattr(cluster, attr, value)
                kind = update_kind
                params.append({"type": key[0].upper() + key[1:], "value": str(value)})
        net = self._get_param("kubernetesNetworkConfig")
        if net:
            for key in ["serviceIpv4Cidr", "ipFamily"]:
                if key in net and net[key] != cluster.kubernetes_network_config.get(key):
                    raise ext._invalid(f"kubernetesNetworkConfig.{key} cannot be changed")
            if "elasticLoadBalancing" in net:
                cluster.kubernetes_network_config["elasticLoadBalancing"] = net["elasticLoadBalancing"]
                params.append({"type": "KubernetesNetworkConfig", "value": str(net)})
        protection = self._get_param("deletionProtection")
        if protection is not None:
            cluster.deletion_protection = bool(protection)
            kind = "DeletionProtectionUpdate"
            params.append({"type": "DeletionProtection", "value": str(bool(protection)).lower()})
        return ActionResult({"update": ext._start(kind, params, cluster)})

    return wrapped


def _delete_cluster(original):
    def wrapped(self):
        ext._settle()
        cluster = self.eks_backend.clusters.get(self._get_param("name"))
        if cluster is not None and getattr(cluster, "deletion_protection", False):
            raise InvalidRequestException(
                message=f"Cluster {cluster.name} has deletion protection enabled; disable it with UpdateClusterConfig first"
            )
        result = original(self)
        _delete_cluster_security_group(cluster)
        return result

    return wrapped


def _create_nodegroup(original):
    def wrapped(self):
        ext._settle()
        result = original(self)
        _, nodegroup = ext._nodegroup(
            self.eks_backend, self._get_param("name"), self._get_param("nodegroupName")
        )
        nodegroup.update_config = self._get_param("updateConfig")
        nodegroup.node_repair_config = self._get_param("nodeRepairConfig") or {"enabled": False}
        nodegroup.remote_access = self._get_param("remoteAccess")
        return result

    return wrapped


def _pods(cluster):
    if not hasattr(cluster, "infra_pod_identities"):
        cluster.infra_pod_identities = {}
    return cluster.infra_pod_identities


def _pod_identity(self, cluster, addon, old=()):
    """The add-on's associations from the request, as EKS makes them (in kube-system);
    `old` (ARNs) are the ones they replace."""
    for arn in old:
        _pods(cluster).pop(arn.rsplit("/", 1)[-1], None)
    region, account = ext._account_region(cluster)
    out = []
    for a in self._get_param("podIdentityAssociations") or []:
        aid = f"a-{uuid.uuid4().hex[:17]}"
        arn = f"arn:aws:eks:{region}:{account}:podidentityassociation/{cluster.name}/{aid}"
        _pods(cluster)[aid] = {
            "clusterName": cluster.name,
            "namespace": "kube-system",
            "serviceAccount": a.get("serviceAccount"),
            "roleArn": a.get("roleArn"),
            "associationArn": arn,
            "associationId": aid,
            "tags": {},
            "createdAt": ext._now(),
            "modifiedAt": ext._now(),
            "ownerArn": addon.arn,
        }
        out.append(arn)
    return out


def describe_pod_identity_association(self):
    cluster = ext._cluster(self.eks_backend, self._get_param("name"))
    aid = self._get_param("associationId")
    found = _pods(cluster).get(aid)
    if found is None:
        raise ext._not_found(cluster.name, f"Could not find pod identity association {aid}")
    return ActionResult({"association": found})


def _addon_json(original):
    def wrapped(cluster, a):
        out = original(cluster, a)
        out["podIdentityAssociations"] = getattr(a, "pod_identities", [])
        return out

    return wrapped


def _create_addon(original):
    def wrapped(self):
        cluster = ext._cluster(self.eks_backend, self._get_param("name"))
        original(self)
        a = ext._addons(cluster)[self._get_param("addonName")]
        a.pod_identities = _pod_identity(self, cluster, a)
        return ActionResult({"addon": ext._addon_json(cluster, a)})

    return wrapped


def _update_addon(original):
    def wrapped(self):
        cluster = ext._cluster(self.eks_backend, self._get_param("name"))
        result = original(self)
        if self._get_param("podIdentityAssociations") is not None:
            a = ext._addons(cluster)[self._get_param("addonName")]
            a.pod_identities = _pod_identity(self, cluster, a, getattr(a, "pod_identities", []))
        return result

    return wrapped


def install(updates_module):
    """Patch moto; `updates_module` is moto_eks_updates (its helpers and update table)."""
    global ext
    ext = updates_module
    EKSResponse.create_cluster = _create_cluster(EKSResponse.create_cluster)
    EKSResponse.update_cluster_config = _update_cluster_config(EKSResponse.update_cluster_config)
    EKSResponse.delete_cluster = _delete_cluster(EKSResponse.delete_cluster)
    EKSResponse.create_nodegroup = _create_nodegroup(EKSResponse.create_nodegroup)
    ext._addon_json = _addon_json(ext._addon_json)
    EKSResponse.create_addon = _create_addon(EKSResponse.create_addon)
    EKSResponse.update_addon = _update_addon(EKSResponse.update_addon)
    EKSResponse.describe_pod_identity_association = describe_pod_identity_association
    ext.urls.url_paths[
        "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations/(?P<associationId>[^/]+)$"
    ] = ext.urls.response.dispatch
