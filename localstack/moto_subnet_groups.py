"""Subnet groups of RDS, ElastiCache and Redshift on moto's server, in LocalStack's subnets.

LocalStack's community edition has no RDS and no ElastiCache, and its Redshift has no
ModifyClusterSubnetGroup, so localstack/up serves the three services from moto's server
(imported by moto_eks_updates.py). A stack's subnets live in LocalStack's EC2, not in
moto's, so:

- a subnet moto's own EC2 does not know is looked up in LocalStack (DescribeSubnets at
  INFRA_LOCALSTACK_ENDPOINT, cached: a subnet's VPC and zone never change) and stands in
  for a moto subnet: `get_subnet` and `describe_subnets` by id (RDS, ElastiCache) or by a
  `subnet-id` filter (Redshift) find it; an id neither knows is still InvalidSubnet;
- ModifyDBSubnetGroup keeps the group (moto 5.2.5 drops it from the backend);
- ElastiCache gets ModifyCacheSubnetGroup and DeleteCacheSubnetGroup, Redshift
  ModifyClusterSubnetGroup (moto has neither);
- names are stored in lowercase, as AWS stores them (moto keeps ElastiCache's and
  Redshift's as written);
- a DB subnet group reports SupportedNetworkTypes (IPV4, or IPV4 and DUAL when every
  subnet has an IPv6 block), which moto leaves out.
"""

import os
import threading
import types

from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.exceptions import InvalidSubnetIdError
from moto.ec2.models.subnets import SubnetBackend
from moto.elasticache import models as ec_models
from moto.elasticache.exceptions import CacheSubnetGroupNotFound
from moto.elasticache.responses import ElastiCacheResponse
from moto.rds.exceptions import DBSubnetGroupNotFoundError
from moto.rds.models import DBSubnetGroup, RDSBackend
from moto.rds.responses import RDSResponse
from moto.redshift.exceptions import ClusterSubnetGroupNotFoundError
from moto.redshift.models import RedshiftBackend
from moto.redshift.responses import RedshiftResponse

LOCALSTACK = os.environ.get("INFRA_LOCALSTACK_ENDPOINT")

# (region, subnet id) -> stand-in subnet
_FOREIGN = {}
_LOCK = threading.Lock()


def _localstack_subnet(region, subnet_id):
    """The subnet as LocalStack's EC2 describes it, or None."""
    if not LOCALSTACK:
        return None
    key = (region, subnet_id)
    with _LOCK:
        if key in _FOREIGN:
            return _FOREIGN[key]
    import boto3
    from botocore.exceptions import ClientError

    client = boto3.client(
        "ec2",
        endpoint_url=LOCALSTACK,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    try:
        found = client.describe_subnets(SubnetIds=[subnet_id]).get("Subnets", [])
    except ClientError:
        return None
    if not found:
        return None
    s = found[0]
    ipv6 = [
        a for a in s.get("Ipv6CidrBlockAssociationSet", [])
        if a.get("Ipv6CidrBlockState", {}).get("State") != "disassociated"
    ]
    subnet = types.SimpleNamespace(
        id=s["SubnetId"],
        vpc_id=s["VpcId"],
        availability_zone=s.get("AvailabilityZone"),
        availability_zone_id=s.get("AvailabilityZoneId"),
        cidr_block=s.get("CidrBlock"),
        ipv6_native=bool(s.get("Ipv6Native")),
        ipv6_cidr_block_associations={a["AssociationId"]: a for a in ipv6},
        default_for_az=False,
        owner_id=s.get("OwnerId"),
    )
    with _LOCK:
        _FOREIGN[key] = subnet
    return subnet


_get_subnet = SubnetBackend.get_subnet
_describe_subnets = SubnetBackend.describe_subnets


def get_subnet(self, subnet_id):
    try:
        return _get_subnet(self, subnet_id)
    except InvalidSubnetIdError:
        found = _localstack_subnet(self.region_name, subnet_id)
        if found is None:
            raise
        return found


def describe_subnets(self, subnet_ids=None, filters=None):
    by_filter = None
    if filters and set(filters) == {"subnet-id"}:
        by_filter = filters["subnet-id"]
        by_filter = [by_filter] if isinstance(by_filter, str) else list(by_filter)
    if subnet_ids and not filters:
        return [get_subnet(self, i) for i in subnet_ids]
    if by_filter is not None and not subnet_ids:
        out = []
        for i in by_filter:
            try:
                out.append(get_subnet(self, i))
            except InvalidSubnetIdError:
                pass  # a filter omits what does not exist
        return out
    return _describe_subnets(self, subnet_ids=subnet_ids, filters=filters)


SubnetBackend.get_subnet = get_subnet
SubnetBackend.describe_subnets = describe_subnets


# ---- RDS ----

def modify_db_subnet_group(self, subnet_name, description, subnets):
    group = self.subnet_groups.get(subnet_name)
    if group is None:
        raise DBSubnetGroupNotFoundError(subnet_name)
    if subnets:
        group.subnets = subnets
        group.vpc_id = subnets[0].vpc_id
    if description is not None:
        group.description = description
    return group


def _db_network_types(self):
    dual = bool(self._subnets) and all(
        getattr(s, "ipv6_cidr_block_associations", None) for s in self._subnets
    )
    return ["IPV4", "DUAL"] if dual else ["IPV4"]


def _rds_modify_response(self):
    # moto's handler sends SubnetIds=[] when none are given; keep them then
    name = self.params.get("DBSubnetGroupName")
    description = self.params.get("DBSubnetGroupDescription")
    ids = self.params.get("SubnetIds", [])
    backend = self.backend
    subnets = [backend_ec2(self).get_subnet(i) for i in ids]
    group = backend.modify_db_subnet_group(name, description, subnets)
    return ActionResult({"DBSubnetGroup": group})


def backend_ec2(response):
    from moto.ec2.models import ec2_backends

    return ec2_backends[response.current_account][response.region]


RDSBackend.modify_db_subnet_group = modify_db_subnet_group
RDSResponse.modify_db_subnet_group = _rds_modify_response
DBSubnetGroup.supported_network_types = property(_db_network_types)


# ---- ElastiCache ----

_ec_create = ec_models.ElastiCacheBackend.create_cache_subnet_group


def _ec_group(backend, name):
    group = backend.cache_subnet_groups.get((name or "").lower())
    if group is None:
        raise CacheSubnetGroupNotFound(name)
    return group


def ec_create(self, cache_subnet_group_name, cache_subnet_group_description, subnet_ids, tags):
    return _ec_create(
        self,
        cache_subnet_group_name=cache_subnet_group_name.lower(),
        cache_subnet_group_description=cache_subnet_group_description,
        subnet_ids=subnet_ids,
        tags=tags,
    )


def ec_describe(self, cache_subnet_group_name=None):
    if cache_subnet_group_name:
        return [_ec_group(self, cache_subnet_group_name)]
    return list(self.cache_subnet_groups.values())


def modify_cache_subnet_group(self):
    backend = self.elasticache_backend
    group = _ec_group(backend, self._get_param("CacheSubnetGroupName"))
    description = self._get_param("CacheSubnetGroupDescription")
    ids = self._get_param("SubnetIds", [])
    if ids:
        # the model computes subnets, VPC and network types from the ids when it is made
        fresh = ec_models.CacheSubnetGroup(
            backend.account_id, backend.region_name, group.cache_subnet_group_name,
            group.cache_subnet_group_description, ids, None,
        )
        for attr in ["subnet_ids", "subnets", "supported_network_types", "vpc_id"]:
            setattr(group, attr, getattr(fresh, attr))
    if description is not None:
        group.cache_subnet_group_description = description
    return ActionResult({"CacheSubnetGroup": group})


def delete_cache_subnet_group(self):
    backend = self.elasticache_backend
    group = _ec_group(backend, self._get_param("CacheSubnetGroupName"))
    del backend.cache_subnet_groups[group.cache_subnet_group_name]
    backend.tagging_service.delete_all_tags_for_resource(group.arn)
    return EmptyResult()


ec_models.ElastiCacheBackend.create_cache_subnet_group = ec_create
ec_models.ElastiCacheBackend.describe_cache_subnet_groups = ec_describe
ElastiCacheResponse.modify_cache_subnet_group = modify_cache_subnet_group
ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group


# ---- Redshift ----

_rs_create = RedshiftBackend.create_cluster_subnet_group
_rs_describe = RedshiftBackend.describe_cluster_subnet_groups
_rs_delete = RedshiftBackend.delete_cluster_subnet_group


def rs_create(self, cluster_subnet_group_name, description, subnet_ids, region_name, tags=None):
    return _rs_create(
        self, cluster_subnet_group_name.lower(), description, subnet_ids, region_name, tags
    )


def rs_describe(self, subnet_identifier=None):
    return _rs_describe(self, subnet_identifier.lower() if subnet_identifier else None)


def rs_delete(self, subnet_identifier):
    return _rs_delete(self, (subnet_identifier or "").lower())


def modify_cluster_subnet_group(self):
    backend = self.redshift_backend
    name = (self._get_param("ClusterSubnetGroupName") or "").lower()
    group = backend.subnet_groups.get(name)
    if group is None:
        raise ClusterSubnetGroupNotFoundError(name)
    ids = self._get_param("SubnetIds", [])
    if ids:
        from moto.redshift.exceptions import InvalidSubnetError

        if len(describe_subnets(group.ec2_backend, filters={"subnet-id": ids})) != len(ids):
            raise InvalidSubnetError(ids)
        group.subnet_ids = ids
    description = self._get_param("Description")
    if description is not None:
        group.description = description
    return ActionResult({"ClusterSubnetGroup": group})


RedshiftBackend.create_cluster_subnet_group = rs_create
RedshiftBackend.describe_cluster_subnet_groups = rs_describe
RedshiftBackend.delete_cluster_subnet_group = rs_delete
RedshiftResponse.modify_cluster_subnet_group = modify_cluster_subnet_group
