"""What moto 5.2.5 lacks for terraform-aws-eks's `karpenter` and `eks-capabilities`
examples (imported by moto_eks_updates.py, which owns the update machinery used here):

EKS Pod Identity associations (on moto's cluster object, with the add-ons' associations of
moto_eks_v21):
- CreatePodIdentityAssociation: namespace, serviceAccount and roleArn are required
  (InvalidParameterException); a service account has one association
  (ResourceInUseException) unless the same clientRequestToken is sent again, which answers
  the association that token made; a targetRoleArn gets an externalId (a UUID);
  disableSessionTags defaults to false. Usable at once (no status).
- DescribePodIdentityAssociation, UpdatePodIdentityAssociation (roleArn, targetRoleArn: an
  empty string removes it and its externalId, disableSessionTags), DeletePodIdentityAssociation
  (answers the association; gone at once), ListPodIdentityAssociations (filtered by
  namespace / serviceAccount). An unknown id is ResourceNotFoundException.
- An add-on's association (ownerArn set) cannot be changed or deleted directly
  (InvalidRequestException), as on EKS.

EKS capabilities (Nov 2025):
- CreateCapability: type ACK, ARGOCD or KRO and deletePropagationPolicy RETAIN
  (InvalidParameterException otherwise); ARGOCD needs configuration.argoCd.awsIdc.idcInstanceArn
  and only ARGOCD takes a configuration (InvalidParameterException); a name is unique in its
  cluster (ResourceInUseException, unless the same clientRequestToken comes again). A
  capability is CREATING for MOTO_EKS_UPDATE_SECONDS, then ACTIVE; version `v1.0.0`;
  Argo CD's namespace defaults to `argocd`, idcRegion to the cluster's region, and EKS's
  serverUrl and idcManagedApplicationArn are made up.
- DescribeCapability, ListCapabilities, DeleteCapability (DELETING for
  MOTO_EKS_UPDATE_SECONDS, then gone), UpdateCapability (roleArn, deletePropagationPolicy,
  Argo CD role mappings added/updated by role or removed, network access; a
  `CapabilityUpdate` that stays InProgress as long, the capability UPDATING; refused while
  it is not ACTIVE: InvalidRequestException).
- A cluster with capabilities cannot be deleted (ResourceInUseException), as on EKS.

TagResource, UntagResource and ListTagsForResource reach both.

ECR Public: GetAuthorizationToken (`SpencerFrontendService.GetAuthorizationToken`, signed
for `ecr-public`), answering base64 of `AWS:<random>` valid 12 hours. ECR Public's API is
in us-east-1 only: a request signed for another region is refused with
UnsupportedCommandException here (on AWS that endpoint does not exist).
"""

import base64
import json
import time
import uuid

from moto.core.responses import ActionResult
from moto.eks.responses import EKSResponse

ext = None  # moto_eks_updates, handed over in install()
v21 = None  # moto_eks_v21 (the add-ons' pod identity associations)

TOKENS = {}  # clientRequestToken -> (kind, cluster, key)


def _invalid_request(message):
    from moto.eks.exceptions import InvalidRequestException

    return InvalidRequestException(message=message)


# ---- pod identity associations ----

def _pods(cluster):
    return v21._pods(cluster)


class _Tags:
    """What TagResource finds for an ARN: an object whose .tags is the stored dict's."""

    def __init__(self, tags):
        self.tags = tags


def _association(self, cluster):
    aid = self._get_param("associationId")
    found = _pods(cluster).get(aid)
    if found is None:
        raise ext._not_found(cluster.name, f"Could not find pod identity association {aid}")
    return found


def _token(self, kind, cluster):
    token = self._get_param("clientRequestToken")
    seen = TOKENS.get(token) if token else None
    if seen and seen[0] == kind and seen[1] == cluster.name:
        return seen[2]
    return None


def create_pod_identity_association(self):
    cluster = ext._cluster(self.eks_backend, self._get_param("name"))
    again = _token(self, "pod", cluster)
    if again in _pods(cluster):
        return ActionResult({"association": _pods(cluster)[again]})
    namespace = self._get_param("namespace")
    account = self._get_param("serviceAccount")
    role = self._get_param("roleArn")
    for key, v in [("namespace", namespace), ("serviceAccount", account), ("roleArn", role)]:
        if not v:
            raise ext._invalid(f"{key} is required")
    for a in _pods(cluster).values():
        if a["namespace"] == namespace and a["serviceAccount"] == account:
            raise ext._in_use(
                cluster.name,
                f"Association already exists: {a['associationId']} for service account {account} in namespace {namespace}",
            )
    region, account_id = ext._account_region(cluster)
    aid = f"a-{uuid.uuid4().hex[:17]}"
    target = self._get_param("targetRoleArn") or None
    found = {
        "clusterName": cluster.name,
        "namespace": namespace,
        "serviceAccount": account,
        "roleArn": role,
        "associationArn": f"arn:aws:eks:{region}:{account_id}:podidentityassociation/{cluster.name}/{aid}",
        "associationId": aid,
        "tags": dict(self._get_param("tags") or {}),
        "createdAt": ext._now(),
        "modifiedAt": ext._now(),
        "disableSessionTags": bool(self._get_param("disableSessionTags")),
    }
    if target:
        found["targetRoleArn"] = target
        found["externalId"] = str(uuid.uuid4())
    _pods(cluster)[aid] = found
    token = self._get_param("clientRequestToken")
    if token:
        TOKENS[token] = ("pod", cluster.name, aid)
    return ActionResult({"association": found})


def describe_pod_identity_association(self):
    cluster = ext._cluster(self.eks_backend, self._get_param("name"))
    return ActionResult({"association": _association(self, cluster)})


def _own(found):
    if found.get("ownerArn"):
        raise _invalid_request(
            f"Pod identity association {found['associationId']} is owned by {found['ownerArn']}; change it through its owner"
        )


def update_pod_identity_association(self):
    cluster = ext._cluster(self.eks_backend, self._get_param("name"))
    found = _association(self, cluster)
    _own(found)
    role = self._get_param("roleArn")
    if role:
        found["roleArn"] = role
    target = self._get_param("targetRoleArn")
    if target is not None:
        if target:
            if found.get("targetRoleArn") != target or "externalId" not in found:
                found["externalId"] = str(uuid.uuid4())
            found["targetRoleArn"] = target
        else:
            found.pop("targetRoleArn", None)
            found.pop("externalId", None)
    disable = self._get_param("disableSessionTags")
    if disable is not None:
        found["disableSessionTags"] = bool(disable)
    found["modifiedAt"] = ext._now()
    return ActionResult({"association": found})


def delete_pod_identity_association(self):
    cluster = ext._cluster(self.eks_backend, self._get_param("name"))
    found = _association(self, cluster)
    _own(found)
    del _pods(cluster)[found["associationId"]]
    return ActionResult({"association": found})


def list_pod_identity_associations(self):
    cluster = ext._cluster(self.eks_backend, self._get_param("name"))
    namespace = self._get_param("namespace")
    account = self._get_param("serviceAccount")
    keys = ["clusterName", "namespace", "serviceAccount", "associationArn", "associationId", "ownerArn"]
    out = [
        {k: a[k] for k in keys if a.get(k) is not None}
        for a in _pods(cluster).values()
        if (not namespace or a["namespace"] == namespace)
        and (not account or a["serviceAccount"] == account)
    ]
    return ActionResult({"associations": out})


# ---- capabilities ----

TYPES = {"ACK", "ARGOCD", "KRO"}
POLICIES = {"RETAIN"}


def _caps(cluster):
    if not hasattr(cluster, "infra_capabilities"):
        cluster.infra_capabilities = {}
    now = time.monotonic()
    caps = cluster.infra_capabilities
    for name, c in list(caps.items()):
        if c.status == "CREATING" and now >= c.ready_at:
            c.status = "ACTIVE"
        if c.status == "DELETING" and now >= c.gone_at:
            del caps[name]
    return caps


def _cap_json(c):
    out = {
        "capabilityName": c.name,
        "arn": c.arn,
        "clusterName": c.cluster,
        "type": c.type,
        "roleArn": c.role,
        "status": c.status,
        "version": "v1.0.0",
        "tags": c.tags,
        "health": {"issues": []},
        "createdAt": c.created,
        "modifiedAt": c.modified,
        "deletePropagationPolicy": c.policy,
    }
    if c.argo is not None:
        out["configuration"] = {"argoCd": c.argo}
    return out


def _capability(self, cluster):
    name = self._get_param("capabilityName")
    c = _caps(cluster).get(name)
    if c is None:
        raise ext._not_found(cluster.name, f"No capability found for name: {name}.")
    return c


def _argo(cluster, config, region):
    argo = (config or {}).get("argoCd")
    idc = (argo or {}).get("awsIdc") or {}
    if not idc.get("idcInstanceArn"):
        raise ext._invalid("configuration.argoCd.awsIdc.idcInstanceArn is required for an ARGOCD capability")
    region_, account = ext._account_region(cluster)
    namespace = argo.get("namespace") or "argocd"
    return {
        "namespace": namespace,
        "awsIdc": {
            "idcInstanceArn": idc["idcInstanceArn"],
            "idcRegion": idc.get("idcRegion") or region,
            "idcManagedApplicationArn": f"arn:aws:sso::{account}:application/{idc['idcInstanceArn'].rsplit('/', 1)[-1]}/apl-{uuid.uuid4().hex[:16]}",
        },
        "rbacRoleMappings": list(argo.get("rbacRoleMappings") or []),
        "networkAccess": {"vpceIds": list((argo.get("networkAccess") or {}).get("vpceIds") or [])},
        "serverUrl": f"https://{uuid.uuid4().hex[:12]}.eks-capabilities.{region_}.amazonaws.com",
    }


def create_capability(self):
    cluster = ext._cluster(self.eks_backend, self._get_param("name"))
    again = _token(self, "capability", cluster)
    if again in _caps(cluster):
        return ActionResult({"capability": _cap_json(_caps(cluster)[again])})
    name = self._get_param("capabilityName")
    kind = self._get_param("type")
    policy = self._get_param("deletePropagationPolicy")
    role = self._get_param("roleArn")
    if not name or not role:
        raise ext._invalid("capabilityName and roleArn are required")
    if kind not in TYPES:
        raise ext._invalid(f"type {kind} is not one of {sorted(TYPES)}")
    if policy not in POLICIES:
        raise ext._invalid(f"deletePropagationPolicy {policy} is not one of {sorted(POLICIES)}")
    if name in _caps(cluster):
        raise ext._in_use(cluster.name, f"Capability {name} already exists in cluster {cluster.name}.")
    config = self._get_param("configuration")
    region, account = ext._account_region(cluster)
    if kind == "ARGOCD":
        argo = _argo(cluster, config, region)
    elif config:
        raise ext._invalid(f"a {kind} capability takes no configuration")
    else:
        argo = None
    c = ext._Tagged(
        f"arn:aws:eks:{region}:{account}:capability/{cluster.name}/{name}/{uuid.uuid4()}",
        self._get_param("tags"),
    )
    c.name, c.cluster, c.type, c.role, c.policy, c.argo = name, cluster.name, kind, role, policy, argo
    c.status = "CREATING"
    c.ready_at = time.monotonic() + ext.DELAY
    c.created = c.modified = ext._now()
    _caps(cluster)[name] = c
    token = self._get_param("clientRequestToken")
    if token:
        TOKENS[token] = ("capability", cluster.name, name)
    return ActionResult({"capability": _cap_json(c)})


def describe_capability(self):
    cluster = ext._cluster(self.eks_backend, self._get_param("name"))
    ext._settle()
    return ActionResult({"capability": _cap_json(_capability(self, cluster))})


def list_capabilities(self):
    cluster = ext._cluster(self.eks_backend, self._get_param("name"))
    ext._settle()
    keys = ["capabilityName", "arn", "type", "status", "version", "createdAt", "modifiedAt"]
    return ActionResult({
        "capabilities": [
            {k: v for k, v in _cap_json(c).items() if k in keys} for c in _caps(cluster).values()
        ]
    })


def update_capability(self):
    cluster = ext._cluster(self.eks_backend, self._get_param("name"))
    ext._settle()
    c = _capability(self, cluster)
    if c.status != "ACTIVE":
        raise _invalid_request(f"Capability {c.name} is {c.status}; wait for it to be ACTIVE")
    params = []
    role = self._get_param("roleArn")
    if role:
        c.role = role
        params.append({"type": "RoleArn", "value": role})
    policy = self._get_param("deletePropagationPolicy")
    if policy:
        if policy not in POLICIES:
            raise ext._invalid(f"deletePropagationPolicy {policy} is not one of {sorted(POLICIES)}")
        c.policy = policy
    argo = ((self._get_param("configuration") or {}).get("argoCd")) or {}
    if argo and c.argo is None:
        raise ext._invalid(f"a {c.type} capability takes no Argo CD configuration")
    mappings = argo.get("rbacRoleMappings") or {}
    if mappings:
        current = {m["role"]: m for m in c.argo["rbacRoleMappings"]}
        for m in mappings.get("removeRoleMappings") or []:
            current.pop(m.get("role"), None)
        for m in mappings.get("addOrUpdateRoleMappings") or []:
            current[m.get("role")] = m
        c.argo["rbacRoleMappings"] = list(current.values())
        params.append({"type": "RoleMappingsToAddOrUpdate", "value": json.dumps(mappings.get("addOrUpdateRoleMappings") or [])})
        params.append({"type": "RoleMappingsToRemove", "value": json.dumps(mappings.get("removeRoleMappings") or [])})
    if "networkAccess" in argo:
        c.argo["networkAccess"] = {"vpceIds": list((argo.get("networkAccess") or {}).get("vpceIds") or [])}
        params.append({"type": "NetworkAccess", "value": json.dumps(c.argo["networkAccess"])})
    c.modified = ext._now()
    update = ext._start("CapabilityUpdate", params, c)
    return ActionResult({"update": update})


def delete_capability(self):
    cluster = ext._cluster(self.eks_backend, self._get_param("name"))
    ext._settle()
    c = _capability(self, cluster)
    if c.status not in ("DELETING",):
        c.status = "DELETING"
        c.gone_at = time.monotonic() + ext.DELAY
    return ActionResult({"capability": _cap_json(c)})


def _find(original):
    def wrapped(backend, arn):
        found = original(backend, arn)
        if found is not None:
            return found
        for cluster in backend.clusters.values():
            for a in _pods(cluster).values():
                if a["associationArn"] == arn:
                    return _Tags(a["tags"])
            for c in _caps(cluster).values():
                if c.arn == arn:
                    return c
        return None

    return wrapped


def _delete_cluster(original):
    def wrapped(self):
        name = self._get_param("name")
        cluster = self.eks_backend.clusters.get(name)
        if cluster is not None and _caps(cluster):
            raise ext._in_use(
                name, f"Cluster has capabilities attached: {', '.join(sorted(_caps(cluster)))}; delete them first."
            )
        return original(self)

    return wrapped


# ---- ECR Public ----

def _ecr_public_answer(environ):
    """(status, body) for an ECR Public request, or None for any other request."""
    auth = environ.get("HTTP_AUTHORIZATION") or ""
    try:
        scope = auth.split(",")[0].split()[1].split("/")
        region, service = scope[2], scope[3]
    except (IndexError, ValueError):
        return None
    if service != "ecr-public":
        return None
    target = environ.get("HTTP_X_AMZ_TARGET") or ""
    if region != "us-east-1":
        return 400, {
            "__type": "UnsupportedCommandException",
            "message": f"ECR Public is served from us-east-1 only, not {region}",
        }
    if target.endswith(".GetAuthorizationToken"):
        secret = uuid.uuid4().hex + uuid.uuid4().hex
        return 200, {
            "authorizationData": {
                "authorizationToken": base64.b64encode(f"AWS:{secret}".encode()).decode(),
                "expiresAt": time.time() + 12 * 3600,
            }
        }
    return 400, {
        "__type": "UnsupportedCommandException",
        "message": f"{target} is not emulated (only GetAuthorizationToken)",
    }


def _ecr_public(app_call):
    def wrapped(self, environ, start_response):
        answer = _ecr_public_answer(environ)
        if answer is None:
            return app_call(self, environ, start_response)
        status, body = answer
        text = json.dumps(body).encode()
        start_response(
            "200 OK" if status == 200 else "400 Bad Request",
            [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(text)))],
        )
        return [text]

    return wrapped


def install(updates_module, v21_module):
    """Patch moto; `updates_module` is moto_eks_updates, `v21_module` moto_eks_v21."""
    global ext, v21
    ext, v21 = updates_module, v21_module
    for op in [
        create_pod_identity_association, describe_pod_identity_association,
        update_pod_identity_association, delete_pod_identity_association,
        list_pod_identity_associations, create_capability, describe_capability,
        list_capabilities, update_capability, delete_capability,
    ]:
        setattr(EKSResponse, op.__name__, op)
    EKSResponse.delete_cluster = _delete_cluster(EKSResponse.delete_cluster)
    ext._find_nodegroup = _find(ext._find_nodegroup)
    ext.urls.url_paths.update({
        "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations$": ext.urls.response.dispatch,
        "{0}/clusters/(?P<name>[^/]+)/capabilities$": ext.urls.response.dispatch,
        "{0}/clusters/(?P<name>[^/]+)/capabilities/(?P<capabilityName>[^/]+)$": ext.urls.response.dispatch,
    })
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    DomainDispatcherApplication.__call__ = _ecr_public(DomainDispatcherApplication.__call__)
