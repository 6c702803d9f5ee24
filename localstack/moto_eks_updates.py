"""moto's server, plus the EKS update operations moto 5.2.5 lacks.

LocalStack's community edition has no EKS, so localstack/up serves EKS from moto. moto has
UpdateClusterConfig and UpdateNodegroupConfig but not the three operations `infra` needs
for in-place upgrades:

- UpdateClusterVersion     POST /clusters/{name}/updates
- UpdateNodegroupVersion   POST /clusters/{name}/node-groups/{nodegroupName}/update-version
- DescribeUpdate           GET  /clusters/{name}/updates/{updateId}[?nodegroupName=]

They behave as EKS documents them, closely enough to test a client's waiting:
- an update starts `InProgress` and becomes `Successful` after MOTO_EKS_UPDATE_SECONDS
  (default 2), while the cluster or node group reports status UPDATING;
- a cluster moves one minor version at a time;
- a node group cannot be newer than its cluster;
- a node group's launch template version can change, not the template itself.

It also lets TagResource, UntagResource and ListTagsForResource reach node groups, add-ons
and access entries (moto 5.2.5 tags clusters only and answers NotFound for their ARNs,
which EKS tags), and adds what moto lacks for `aws_eks_access_entry`,
`aws_eks_access_policy_association` and `aws_eks_addon`:

- CreateAccessEntry, DescribeAccessEntry, UpdateAccessEntry, DeleteAccessEntry,
  ListAccessEntries; AssociateAccessPolicy, ListAssociatedAccessPolicies,
  DisassociateAccessPolicy (re-associating a policy replaces its scope, as on EKS);
- CreateAddon, DescribeAddon, UpdateAddon (an `AddonUpdate` that stays InProgress as the
  version updates do), DeleteAddon, ListAddons. An add-on is ACTIVE once created; its
  version defaults to `v1.0.0-eksbuild.1`;
- AssociateIdentityProviderConfig, DescribeIdentityProviderConfig,
  ListIdentityProviderConfigs, DisassociateIdentityProviderConfig (OIDC only, as EKS): a
  config is CREATING for MOTO_EKS_UPDATE_SECONDS after its association (whose update stays
  InProgress as long), and DELETING as long after its disassociation before it is gone.

And, from moto_eks_catalogue (next to this file), DescribeAddonVersions and
DescribeClusterVersions over a small fixed catalogue.

Access entries, add-ons and identity provider configs live on moto's cluster object and go
with it. Fargate profiles (moto's own) take tags through TagResource here too.

It also installs moto_eks_v21 (next to this file): the cluster, node group and add-on
fields moto drops (access, upgrade and zonal shift configs, Auto Mode, deletion protection,
node repair, remote access, pod identity) and UpdateClusterConfig for them.

It also installs moto_eks_capabilities (next to this file): EKS Pod Identity associations,
EKS capabilities and ECR Public's GetAuthorizationToken.

It also imports moto_subnet_groups (next to this file): RDS, ElastiCache and Redshift
subnet groups in the subnets of LocalStack's EC2 (INFRA_LOCALSTACK_ENDPOINT).

Usage: python moto_eks_updates.py -H HOST -p PORT (the arguments of moto_server).
"""

import os
import sys
import time
import uuid

from moto.core.responses import ActionResult
from moto.eks import urls
from moto.eks.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.eks.models import EKSBackend
from moto.eks.responses import EKSResponse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import moto_subnet_groups  # noqa: E402,F401  (patches moto when imported)
from moto_eks_catalogue import describe_addon_versions, describe_cluster_versions  # noqa: E402

DELAY = float(os.environ.get("MOTO_EKS_UPDATE_SECONDS", "2"))

# Bumped with every change here: localstack/up replaces a running server of another version.
VERSION = "infra-moto-ext-9"

# update id -> (update dict, finishes at, object whose status is UPDATING meanwhile)
UPDATES = {}


def _minor(version):
    try:
        major, minor = str(version).split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        raise _invalid(f"unsupported Kubernetes version {version}")


def _invalid(message):
    return InvalidParameterException(
        clusterName=None, nodegroupName=None, fargateProfileName=None, addonName=None,
        message=message,
    )


def _start(kind, params, target):
    update = {
        "id": str(uuid.uuid4()),
        "status": "InProgress",
        "type": kind,
        "params": params,
        "createdAt": time.time(),
        "errors": [],
    }
    target.status = "UPDATING"
    UPDATES[update["id"]] = (update, time.monotonic() + DELAY, target)
    return update


def _settle():
    now = time.monotonic()
    for update, done_at, target in UPDATES.values():
        if update["status"] == "InProgress" and now >= done_at:
            update["status"] = "Successful"
            target.status = "ACTIVE"


def _cluster(backend, name):
    cluster = backend.clusters.get(name)
    if cluster is None:
        raise ResourceNotFoundException(
            clusterName=name,
            nodegroupName=None,
            fargateProfileName=None,
            addonName=None,
            message=f"No cluster found for name: {name}.",
        )
    return cluster


def _nodegroup(backend, cluster_name, name):
    cluster = _cluster(backend, cluster_name)
    nodegroup = cluster.nodegroups.get(name)
    if nodegroup is None:
        raise ResourceNotFoundException(
            clusterName=cluster_name,
            nodegroupName=name,
            fargateProfileName=None,
            addonName=None,
            message=f"No node group found for name: {name}.",
        )
    return cluster, nodegroup


def update_cluster_version(self):
    name = self._get_param("name")
    version = self._get_param("version")
    cluster = _cluster(self.eks_backend, name)
    _settle()
    if cluster.status != "ACTIVE":
        raise _invalid(f"cluster {name} is {cluster.status}; wait for it")
    old, new = _minor(cluster.version), _minor(version)
    if new[0] != old[0] or new[1] != old[1] + 1:
        raise _invalid(f"Unsupported Kubernetes minor version update from {cluster.version} to {version}")
    cluster.version = version
    update = _start(
        "VersionUpdate",
        [
            {"type": "Version", "value": version},
            {"type": "PlatformVersion", "value": "eks.1"},
        ],
        cluster,
    )
    return ActionResult({"update": update})


def update_nodegroup_version(self):
    cluster_name = self._get_param("name")
    name = self._get_param("nodegroupName")
    version = self._get_param("version")
    release = self._get_param("releaseVersion")
    template = self._get_param("launchTemplate")
    cluster, nodegroup = _nodegroup(self.eks_backend, cluster_name, name)
    _settle()
    if nodegroup.status != "ACTIVE":
        raise _invalid(f"node group {name} is {nodegroup.status}; wait for it")
    params = []
    if version:
        if _minor(version) > _minor(cluster.version):
            raise _invalid(f"node group version {version} cannot be newer than cluster version {cluster.version}")
        nodegroup.version = version
        params.append({"type": "Version", "value": version})
    if release:
        nodegroup.release_version = release
        params.append({"type": "ReleaseVersion", "value": release})
    if template:
        current = nodegroup.launch_template or {}
        same = (template.get("id") and template.get("id") == current.get("id")) or (
            template.get("name") and template.get("name") == current.get("name")
        )
        if not same:
            raise _invalid("a node group's launch template cannot be changed, only its version")
        current["version"] = template.get("version")
        params.append({"type": "LaunchTemplateVersion", "value": template.get("version")})
    update = _start("VersionUpdate", params, nodegroup)
    return ActionResult({"update": update})


def describe_update(self):
    update_id = self._get_param("updateId")
    _settle()
    found = UPDATES.get(update_id)
    if found is None:
        raise ResourceNotFoundException(
            clusterName=self._get_param("name"),
            nodegroupName=self._get_param("nodegroupName"),
            fargateProfileName=None,
            addonName=None,
            message=f"No update found for ID: {update_id}. ({VERSION})",
        )
    return ActionResult({"update": found[0]})


def _find_nodegroup(backend, arn):
    """A taggable object other than a cluster: a node group, add-on or access entry."""
    for cluster in backend.clusters.values():
        for nodegroup in cluster.nodegroups.values():
            if nodegroup.arn == arn:
                return nodegroup
        for obj in (
            list(_addons(cluster).values())
            + list(_entries(cluster).values())
            + list(_idps(cluster).values())
        ):
            if obj.arn == arn:
                return obj
        for profile in getattr(cluster, "fargate_profiles", {}).values():
            if profile.fargate_profile_arn == arn:
                return profile
    return None


# ---- access entries and add-ons ----

def _now():
    return time.time()


def _not_found(cluster_name, message):
    return ResourceNotFoundException(
        clusterName=cluster_name, nodegroupName=None, fargateProfileName=None,
        addonName=None, message=message,
    )


def _in_use(cluster_name, message):
    from moto.eks.exceptions import ResourceInUseException

    return ResourceInUseException(
        clusterName=cluster_name, nodegroupName=None, addonName=None, message=message,
    )


def _entries(cluster):
    if not hasattr(cluster, "infra_access_entries"):
        cluster.infra_access_entries = {}
    return cluster.infra_access_entries


def _addons(cluster):
    if not hasattr(cluster, "infra_addons"):
        cluster.infra_addons = {}
    return cluster.infra_addons


class _Tagged:
    def __init__(self, arn, tags):
        self.arn = arn
        self.tags = dict(tags or {})
        self.status = "ACTIVE"


def _principal(self):
    from urllib.parse import unquote

    return unquote(self._get_param("principalArn"))


def _account_region(cluster):
    # arn:aws:eks:<region>:<account>:cluster/<name>
    parts = cluster.arn.split(":")
    return parts[3], parts[4]


def _entry_json(cluster, e):
    return {
        "clusterName": cluster.name,
        "principalArn": e.principal,
        "kubernetesGroups": e.groups,
        "accessEntryArn": e.arn,
        "createdAt": e.created,
        "modifiedAt": e.modified,
        "tags": e.tags,
        "username": e.username,
        "type": e.type,
    }


def _entry(self, cluster):
    principal = _principal(self)
    e = _entries(cluster).get(principal)
    if e is None:
        raise _not_found(cluster.name, f"The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'. ({principal})")
    return e


def create_access_entry(self):
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    principal = self._get_param("principalArn")
    if principal in _entries(cluster):
        raise _in_use(cluster.name, f"The specified access entry resource is already in use on this cluster. ({principal})")
    region, account = _account_region(cluster)
    kind = self._get_param("type") or "STANDARD"
    role = principal.split(":role/")[-1].split("/")[-1] if ":role/" in principal else None
    username = self._get_param("username") or (
        f"arn:aws:sts::{account}:assumed-role/{role}/{{{{SessionName}}}}" if role else principal
    )
    e = _Tagged(
        f"arn:aws:eks:{region}:{account}:access-entry/{cluster.name}/{uuid.uuid4()}",
        self._get_param("tags"),
    )
    e.principal, e.type, e.username = principal, kind, username
    e.groups = self._get_param("kubernetesGroups") or []
    e.created = e.modified = _now()
    e.policies = {}
    _entries(cluster)[principal] = e
    return ActionResult({"accessEntry": _entry_json(cluster, e)})


def describe_access_entry(self):
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    return ActionResult({"accessEntry": _entry_json(cluster, _entry(self, cluster))})


def update_access_entry(self):
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    e = _entry(self, cluster)
    groups = self._get_param("kubernetesGroups")
    if groups is not None:
        e.groups = groups
    if self._get_param("username"):
        e.username = self._get_param("username")
    e.modified = _now()
    return ActionResult({"accessEntry": _entry_json(cluster, e)})


def delete_access_entry(self):
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    e = _entry(self, cluster)
    del _entries(cluster)[e.principal]
    return ActionResult({})


def list_access_entries(self):
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    return ActionResult({"accessEntries": sorted(_entries(cluster))})


def associate_access_policy(self):
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    e = _entry(self, cluster)
    arn = self._get_param("policyArn")
    scope = self._get_param("accessScope") or {"type": "cluster"}
    old = e.policies.get(arn)
    e.policies[arn] = {
        "policyArn": arn,
        "accessScope": {"type": scope.get("type"), "namespaces": scope.get("namespaces") or []},
        "associatedAt": old["associatedAt"] if old else _now(),
        "modifiedAt": _now(),
    }
    return ActionResult({
        "clusterName": cluster.name,
        "principalArn": e.principal,
        "associatedAccessPolicy": e.policies[arn],
    })


def list_associated_access_policies(self):
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    e = _entry(self, cluster)
    return ActionResult({
        "clusterName": cluster.name,
        "principalArn": e.principal,
        "associatedAccessPolicies": list(e.policies.values()),
    })


def disassociate_access_policy(self):
    from urllib.parse import unquote

    cluster = _cluster(self.eks_backend, self._get_param("name"))
    e = _entry(self, cluster)
    arn = unquote(self._get_param("policyArn"))
    if e.policies.pop(arn, None) is None:
        raise _not_found(cluster.name, f"The specified policy is not associated with this access entry. ({arn})")
    return ActionResult({})


def _addon_json(cluster, a):
    return {
        "addonName": a.name,
        "clusterName": cluster.name,
        "status": a.status,
        "addonVersion": a.version,
        "health": {"issues": []},
        "addonArn": a.arn,
        "createdAt": a.created,
        "modifiedAt": a.modified,
        "serviceAccountRoleArn": a.role,
        "tags": a.tags,
        "configurationValues": a.config,
    }


def _addon(self, cluster):
    name = self._get_param("addonName")
    a = _addons(cluster).get(name)
    if a is None:
        raise _not_found(cluster.name, f"No addon: {name} found in cluster: {cluster.name}")
    return a


def create_addon(self):
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    name = self._get_param("addonName")
    if name in _addons(cluster):
        raise _in_use(cluster.name, f"Addon already exists: {name}")
    region, account = _account_region(cluster)
    a = _Tagged(
        f"arn:aws:eks:{region}:{account}:addon/{cluster.name}/{name}/{uuid.uuid4()}",
        self._get_param("tags"),
    )
    a.name = name
    a.version = self._get_param("addonVersion") or "v1.0.0-eksbuild.1"
    a.role = self._get_param("serviceAccountRoleArn")
    a.config = self._get_param("configurationValues")
    a.created = a.modified = _now()
    _addons(cluster)[name] = a
    return ActionResult({"addon": _addon_json(cluster, a)})


def describe_addon(self):
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    _settle()
    return ActionResult({"addon": _addon_json(cluster, _addon(self, cluster))})


def update_addon(self):
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    a = _addon(self, cluster)
    _settle()
    params = []
    for key, attr, kind in [
        ("addonVersion", "version", "AddonVersion"),
        ("serviceAccountRoleArn", "role", "ServiceAccountRoleArn"),
        ("configurationValues", "config", "ConfigurationValues"),
    ]:
        value = self._get_param(key)
        if value is not None:
            setattr(a, attr, value)
            params.append({"type": kind, "value": value})
    a.modified = _now()
    update = _start("AddonUpdate", params, a)
    return ActionResult({"update": update})


def delete_addon(self):
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    a = _addon(self, cluster)
    del _addons(cluster)[a.name]
    out = _addon_json(cluster, a)
    out["status"] = "DELETING"
    return ActionResult({"addon": out})


def list_addons(self):
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    return ActionResult({"addons": sorted(_addons(cluster))})


# ---- identity provider configs (OIDC) ----

OIDC_KEYS = [
    "identityProviderConfigName", "issuerUrl", "clientId", "usernameClaim",
    "usernamePrefix", "groupsClaim", "groupsPrefix", "requiredClaims",
]


def _idps(cluster):
    if not hasattr(cluster, "infra_idps"):
        cluster.infra_idps = {}
    # a disassociated config is DELETING for DELAY, then gone
    now = time.monotonic()
    for name in [n for n, c in cluster.infra_idps.items() if getattr(c, "gone_at", None) and now >= c.gone_at]:
        del cluster.infra_idps[name]
    return cluster.infra_idps


def _idp_json(cluster, c):
    out = {k: v for k, v in c.oidc.items() if v is not None}
    out.update({
        "identityProviderConfigArn": c.arn,
        "clusterName": cluster.name,
        "tags": c.tags,
        "status": c.status,
    })
    return {"oidc": out}


def _idp(self, cluster):
    ref = self._get_param("identityProviderConfig") or {}
    if ref.get("type") != "oidc":
        raise _invalid(f"identity provider config type {ref.get('type')} is not supported; use oidc")
    c = _idps(cluster).get(ref.get("name"))
    if c is None:
        raise _not_found(cluster.name, f"No identity provider config found for name: {ref.get('name')}.")
    return c


def associate_identity_provider_config(self):
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    oidc = self._get_param("oidc") or {}
    name = oidc.get("identityProviderConfigName")
    for key in ["identityProviderConfigName", "issuerUrl", "clientId"]:
        if not oidc.get(key):
            raise _invalid(f"oidc.{key} is required")
    if name in _idps(cluster):
        raise _in_use(cluster.name, f"Identity provider config {name} is already associated with cluster {cluster.name}.")
    if _idps(cluster):
        raise _invalid("a cluster can have one OIDC identity provider config")
    region, account = _account_region(cluster)
    c = _Tagged(
        f"arn:aws:eks:{region}:{account}:identityproviderconfig/{cluster.name}/oidc/{name}/{uuid.uuid4()}",
        self._get_param("tags"),
    )
    c.oidc = {k: oidc.get(k) for k in OIDC_KEYS}
    c.name = name
    update = _start(
        "AssociateIdentityProviderConfig",
        [{"type": "IdentityProviderConfig", "value": f'[{{"type":"oidc","name":"{name}"}}]'}],
        c,
    )
    c.status = "CREATING"
    _idps(cluster)[name] = c
    return ActionResult({"cluster": {"name": cluster.name}, "update": update, "tags": c.tags})


def describe_identity_provider_config(self):
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    _settle()
    return ActionResult({"identityProviderConfig": _idp_json(cluster, _idp(self, cluster))})


def list_identity_provider_configs(self):
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    return ActionResult({
        "identityProviderConfigs": [{"type": "oidc", "name": n} for n in sorted(_idps(cluster))]
    })


def disassociate_identity_provider_config(self):
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    _settle()
    c = _idp(self, cluster)
    if c.status != "ACTIVE":
        raise _invalid(f"identity provider config {c.name} is {c.status}; wait for it")
    update = _start(
        "DisassociateIdentityProviderConfig",
        [{"type": "IdentityProviderConfig", "value": f'[{{"type":"oidc","name":"{c.name}"}}]'}],
        _Tagged("", {}),  # the config stays DELETING until it is gone
    )
    c.status = "DELETING"
    c.gone_at = time.monotonic() + DELAY
    return ActionResult({"update": update})


def _tag_resource(original):
    def wrapped(self, resource_arn, tags):
        nodegroup = _find_nodegroup(self, resource_arn)
        if nodegroup is None:
            return original(self, resource_arn, tags)
        nodegroup.tags.update(tags)

    return wrapped


def _untag_resource(original):
    def wrapped(self, resource_arn, tag_keys):
        nodegroup = _find_nodegroup(self, resource_arn)
        if nodegroup is None:
            return original(self, resource_arn, tag_keys)
        for key in tag_keys if isinstance(tag_keys, list) else [tag_keys]:
            nodegroup.tags.pop(key, None)

    return wrapped


def _list_tags(original):
    def wrapped(self, resource_arn):
        nodegroup = _find_nodegroup(self, resource_arn)
        if nodegroup is None:
            return original(self, resource_arn)
        return nodegroup.tags

    return wrapped


def _settling(method):
    def wrapped(self, *args, **kwargs):
        _settle()
        return method(self, *args, **kwargs)

    return wrapped


EKSResponse.update_cluster_version = update_cluster_version
EKSResponse.update_nodegroup_version = update_nodegroup_version
EKSResponse.describe_update = describe_update
for _op in [
    create_access_entry, describe_access_entry, update_access_entry, delete_access_entry,
    list_access_entries, associate_access_policy, list_associated_access_policies,
    disassociate_access_policy, create_addon, describe_addon, update_addon, delete_addon,
    list_addons, associate_identity_provider_config, describe_identity_provider_config,
    list_identity_provider_configs, disassociate_identity_provider_config,
    describe_addon_versions, describe_cluster_versions,
]:
    setattr(EKSResponse, _op.__name__, _op)
EKSBackend.tag_resource = _tag_resource(EKSBackend.tag_resource)
EKSBackend.untag_resource = _untag_resource(EKSBackend.untag_resource)
EKSBackend.list_tags_for_resource = _list_tags(EKSBackend.list_tags_for_resource)
EKSBackend.describe_cluster = _settling(EKSBackend.describe_cluster)
EKSBackend.describe_nodegroup = _settling(EKSBackend.describe_nodegroup)
urls.url_paths.update(
    {
        "{0}/clusters/(?P<name>[^/]+)/updates$": urls.response.dispatch,
        "{0}/clusters/(?P<name>[^/]+)/updates/(?P<updateId>[^/]+)$": urls.response.dispatch,
        "{0}/clusters/(?P<name>[^/]+)/node-groups/(?P<nodegroupName>[^/]+)/update-version$": urls.response.dispatch,
        # the operation and its path parameters come from moto's botocore-based router; these
        # only let the requests reach it (a principal's ARN holds slashes)
        "{0}/clusters/(?P<name>[^/]+)/access-entries$": urls.response.dispatch,
        "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<rest>.+)$": urls.response.dispatch,
        "{0}/clusters/(?P<name>[^/]+)/addons$": urls.response.dispatch,
        "{0}/clusters/(?P<name>[^/]+)/addons/(?P<rest>.+)$": urls.response.dispatch,
        "{0}/clusters/(?P<name>[^/]+)/identity-provider-configs$": urls.response.dispatch,
        "{0}/clusters/(?P<name>[^/]+)/identity-provider-configs/(?P<rest>[a-z]+)$": urls.response.dispatch,
        "{0}/addons/supported-versions$": urls.response.dispatch,
        "{0}/cluster-versions$": urls.response.dispatch,
    }
)

import moto_eks_v21  # noqa: E402  (the fields terraform-aws-eks v21 sets)

moto_eks_v21.install(sys.modules[__name__])

import moto_eks_capabilities  # noqa: E402  (pod identity, capabilities, ECR Public's token)

moto_eks_capabilities.install(sys.modules[__name__], moto_eks_v21)

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
