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

It also lets TagResource, UntagResource and ListTagsForResource reach node groups (moto
5.2.5 tags clusters only and answers NotFound for a node group's ARN, which EKS tags).

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

DELAY = float(os.environ.get("MOTO_EKS_UPDATE_SECONDS", "2"))

# Bumped with every change here: localstack/up replaces a running server of another version.
VERSION = "infra-moto-ext-2"

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
    for cluster in backend.clusters.values():
        for nodegroup in cluster.nodegroups.values():
            if nodegroup.arn == arn:
                return nodegroup
    return None


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
    }
)

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
