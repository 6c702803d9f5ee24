"""VPC IP Address Manager (IPAM) for LocalStack 4.13.1, which (like its moto) answers every
IPAM operation "not implemented". localstack_patches.py calls `patch()` before LocalStack
starts; the handlers are named exactly like the Ec2Provider methods and registered on it,
as the VPC Block Public Access emulation is.

Emulated as AWS documents it, per account and region (see localstack/README.md):
- CreateIpam makes the IPAM and its two default scopes (private and public) and a default
  resource discovery; DescribeIpams / DescribeIpamScopes / DescribeIpamPools take ids,
  filters (`tag:`, `tag-key` and the documented attribute filters) and pages; ModifyIpam
  adds and removes operating regions; DeleteIpam refuses while pools exist unless
  `Cascade` (which deletes the private scope's pools, CIDRs and allocations, and is refused
  while the public scope has a pool, as on AWS).
- CreateIpamPool / ModifyIpamPool / DeleteIpamPool (refused while a CIDR is provisioned,
  unless `Cascade`); a pool's locale must be one of its IPAM's operating regions.
- ProvisionIpamPoolCidr answers `pending-provision`; the CIDR is `provisioned` a moment
  later (PROVISION_SECONDS; minutes on AWS), and only then allocatable. A CIDR of a pool
  with a source pool is allocated from the source pool. DeprovisionIpamPoolCidr is refused
  while an allocation lies inside the CIDR, answers `pending-deprovision`, and the CIDR is
  `deprovisioned` a moment later (and stays listed so, as on AWS).
- AllocateIpamPoolCidr (with `PreviewNextCidr` it reserves nothing) takes the lowest free
  block of the netmask (or the pool's default), or the given CIDR if it is free inside a
  provisioned CIDR; GetIpamPoolAllocations / ReleaseIpamPoolAllocation (manual allocations
  only). ClientToken makes Create* / Provision / Allocate idempotent.
- CreateVpc with `Ipv4IpamPoolId` allocates the VPC's block from the pool (the netmask, the
  pool's default netmask, or `CidrBlock`, which must be free inside a provisioned CIDR);
  "The allocation size is too big for the pool." when nothing fits, as AWS answers.
  DeleteVpc releases the allocation at once (AWS takes up to 20 minutes).
- CreateTags / DeleteTags work on `ipam-`, `ipam-scope-`, `ipam-pool-` ids (moto's id check
  is widened for these prefixes); the tags live in moto's tag store.
"""

import datetime
import functools
import ipaddress
import secrets
import threading
import time

# how long a provisioned or deprovisioned CIDR stays pending
PROVISION_SECONDS = 1.0

PREFIXES = ("ipam-pool-", "ipam-scope-", "ipam-res-disco-", "ipam-")

_lock = threading.RLock()
_regions = {}  # (account, region) -> state dict


def _hex(n=17):
    return secrets.token_hex(9)[:n]


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _state(account, region):
    key = (account, region)
    if key not in _regions:
        _regions[key] = {
            "ipams": {},
            "scopes": {},
            "pools": {},
            "cidrs": {},  # pool id -> {cidr id: dict}
            "allocs": {},  # pool id -> {allocation id: dict}
            "tokens": {},  # (operation, client token) -> answer
        }
    return _regions[key]


def _public(d):
    return {k: v for k, v in d.items() if not k.startswith("_")}


def _net(cidr):
    return ipaddress.ip_network(cidr, strict=False)


def _overlaps(a, b):
    return a.version == b.version and a.overlaps(b)


def _settle(c):
    """Move a pending CIDR on once its time has come."""
    due = c.get("_due")
    if due is not None and time.monotonic() >= due:
        c["State"] = {"pending-provision": "provisioned", "pending-deprovision": "deprovisioned"}.get(
            c["State"], c["State"]
        )
        c.pop("_due", None)
    return c


def _next_free(net, length, taken):
    """The lowest block of `length` inside `net` that overlaps none of `taken`."""
    size = 2 ** (net.max_prefixlen - length)
    cur = int(net.network_address)
    end = int(net.broadcast_address)
    while cur + size - 1 <= end:
        hi = cur + size - 1
        blocker = None
        for t in taken:
            lo_t, hi_t = int(t.network_address), int(t.broadcast_address)
            if t.version == net.version and lo_t <= hi and hi_t >= cur:
                blocker = hi_t if blocker is None else max(blocker, hi_t)
        if blocker is None:
            return ipaddress.ip_network((cur, length))
        cur = ((blocker + 1 + size - 1) // size) * size
    return None


def _filter(items, filters, fields):
    """AWS filters: `tag:KEY`, `tag-key`, and the attribute filters in `fields`."""
    for f in filters or []:
        name, values = f.get("Name", ""), set(f.get("Values") or [])
        if name.startswith("tag:"):
            key = name[4:]
            items = [i for i in items if any(t["Key"] == key and t["Value"] in values for t in i["Tags"])]
        elif name == "tag-key":
            items = [i for i in items if any(t["Key"] in values for t in i["Tags"])]
        elif name in fields:
            field = fields[name]
            items = [i for i in items if str(i.get(field)).lower() in {v.lower() for v in values}]
    return items


def _page(items, request):
    start = int(request.get("NextToken") or 0)
    size = int(request.get("MaxResults") or 1000)
    page = items[start : start + size]
    token = str(start + size) if start + size < len(items) else None
    return page, token


def patch():
    from localstack.aws.api import CommonServiceException, handler
    from localstack.services.ec2.provider import Ec2Provider, get_ec2_backend
    from moto.ec2 import models as ec2_models
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.vpcs import VPCBackend
    from moto.ec2.responses.vpcs import VPCs

    valid = ec2_models.is_valid_resource_id

    @functools.wraps(valid)
    def is_valid_resource_id(resource_id):
        return resource_id.startswith(PREFIXES) or valid(resource_id)

    ec2_models.is_valid_resource_id = is_valid_resource_id

    def fail(code, message):
        raise CommonServiceException(code=code, message=message, status_code=400)

    def tags_of(context, rid):
        backend = get_ec2_backend(context.account_id, context.region)
        return [{"Key": k, "Value": v} for k, v in backend.tags.get(rid, {}).items()]

    def tag_at_creation(context, rid, request):
        tags = {}
        for spec in request.get("TagSpecifications") or []:
            for tag in spec.get("Tags") or []:
                tags[tag["Key"]] = tag.get("Value", "")
        if tags:
            get_ec2_backend(context.account_id, context.region).create_tags([rid], tags)

    def drop_tags(context, rid):
        get_ec2_backend(context.account_id, context.region).tags.pop(rid, None)

    def shown(context, d, id_field):
        out = _public(d)
        out["Tags"] = tags_of(context, d[id_field])
        return out

    def remembered(context, op, request, make):
        """Create* with a ClientToken answers the first call's answer again."""
        token = request.get("ClientToken")
        s = _state(context.account_id, context.region)
        if token and (op, token) in s["tokens"]:
            return s["tokens"][(op, token)]()
        answer = make()
        if token:
            s["tokens"][(op, token)] = answer
        return answer()

    def arn(context, kind, rid):
        return f"arn:aws:ec2::{context.account_id}:{kind}/{rid}"

    # ---- lookups ----

    def ipam_of(context, ipam_id):
        i = _state(context.account_id, context.region)["ipams"].get(ipam_id)
        if i is None:
            fail("InvalidIpamId.NotFound", f"The ipam ID '{ipam_id}' does not exist")
        return i

    def scope_of(context, scope_id):
        sc = _state(context.account_id, context.region)["scopes"].get(scope_id)
        if sc is None:
            fail("InvalidIpamScopeId.NotFound", f"The ipam scope ID '{scope_id}' does not exist")
        return sc

    def pool_state(account, pool_id):
        """The state of the account's region that holds the pool (a VPC in another region
        may take its block from a pool of this IPAM's region)."""
        for (acc, _), s in list(_regions.items()):
            if acc == account and pool_id in s["pools"]:
                return s
        return None

    def pool_of(context, pool_id):
        s = pool_state(context.account_id, pool_id)
        if s is None:
            fail("InvalidIpamPoolId.NotFound", f"The ipam pool ID '{pool_id}' does not exist")
        return s, s["pools"][pool_id]

    def cidrs_of(s, pool_id):
        return [_settle(c) for c in s["cidrs"].setdefault(pool_id, {}).values()]

    def provisioned(s, pool_id):
        return [_net(c["Cidr"]) for c in cidrs_of(s, pool_id) if c["State"] == "provisioned"]

    def allocations(s, pool_id):
        return s["allocs"].setdefault(pool_id, {})

    def allocate(s, pool, cidr=None, length=None, disallowed=(), allowed=(), preview=False, **what):
        """Take a block of `pool` (the given `cidr`, or the lowest free block of `length`)."""
        pool_id = pool["IpamPoolId"]
        taken = [_net(a["Cidr"]) for a in allocations(s, pool_id).values()]
        taken += [_net(d) for d in disallowed]
        spaces = provisioned(s, pool_id)
        if cidr:
            want = _net(cidr)
            inside = any(want.version == p.version and want.subnet_of(p) for p in spaces)
            if not inside or any(_overlaps(want, t) for t in taken):
                fail(
                    "InvalidParameterValue",
                    f"The CIDR {cidr} is not available in the pool {pool_id}: it must lie inside a provisioned CIDR of the pool and overlap no allocation.",
                )
            block = want
        else:
            if length is None:
                length = pool.get("AllocationDefaultNetmaskLength")
            if length is None:
                fail(
                    "InvalidParameterValue",
                    f"The pool {pool_id} has no default netmask length: give a netmask length or a CIDR.",
                )
            length = int(length)
            lo, hi = pool.get("AllocationMinNetmaskLength"), pool.get("AllocationMaxNetmaskLength")
            if (lo is not None and length < lo) or (hi is not None and length > hi):
                fail(
                    "InvalidParameterValue",
                    f"The netmask length {length} is outside the pool's allocation rules ({lo}..{hi}).",
                )
            block = None
            for space in sorted(spaces, key=lambda n: (n.version, int(n.network_address))):
                if length < space.prefixlen:
                    continue
                if allowed and not any(space.overlaps(_net(a)) for a in allowed):
                    continue
                block = _next_free(space, length, taken)
                if block is not None:
                    break
            if block is None:
                fail("InvalidParameterValue", "The allocation size is too big for the pool.")
        out = {"Cidr": str(block)}
        if preview:
            return out
        out.update(
            IpamPoolAllocationId="ipam-pool-alloc-" + secrets.token_hex(16),
            ResourceType=what.get("ResourceType", "custom"),
            ResourceOwner=what.get("ResourceOwner"),
            ResourceRegion=what.get("ResourceRegion"),
        )
        if what.get("ResourceId"):
            out["ResourceId"] = what["ResourceId"]
        if what.get("Description"):
            out["Description"] = what["Description"]
        allocations(s, pool_id)[out["IpamPoolAllocationId"]] = out
        return out

    # ---- IPAM and scopes ----

    def counts(s, ipam):
        ipam["ScopeCount"] = sum(1 for sc in s["scopes"].values() if sc["IpamArn"] == ipam["IpamArn"])
        for sc in s["scopes"].values():
            sc["PoolCount"] = sum(1 for p in s["pools"].values() if p["IpamScopeArn"] == sc["IpamScopeArn"])

    def regions_of(request_regions):
        return [{"RegionName": r["RegionName"]} for r in request_regions or [] if r.get("RegionName")]

    @handler("CreateIpam", expand=False)
    def create_ipam(self, context, request):
        def make():
            with _lock:
                s = _state(context.account_id, context.region)
                ipam_id = "ipam-" + _hex()
                ipam_arn = arn(context, "ipam", ipam_id)
                regions = regions_of(request.get("OperatingRegions"))
                if not any(r["RegionName"] == context.region for r in regions):
                    regions.insert(0, {"RegionName": context.region})
                scopes = {}
                for kind in ("private", "public"):
                    sid = "ipam-scope-" + _hex()
                    scopes[kind] = sid
                    s["scopes"][sid] = {
                        "OwnerId": context.account_id,
                        "IpamScopeId": sid,
                        "IpamScopeArn": arn(context, "ipam-scope", sid),
                        "IpamArn": ipam_arn,
                        "IpamRegion": context.region,
                        "IpamScopeType": kind,
                        "IsDefault": True,
                        "State": "create-complete",
                    }
                ipam = {
                    "OwnerId": context.account_id,
                    "IpamId": ipam_id,
                    "IpamArn": ipam_arn,
                    "IpamRegion": context.region,
                    "PublicDefaultScopeId": scopes["public"],
                    "PrivateDefaultScopeId": scopes["private"],
                    "OperatingRegions": regions,
                    "State": "create-complete",
                    "DefaultResourceDiscoveryId": "ipam-res-disco-" + _hex(),
                    "DefaultResourceDiscoveryAssociationId": "ipam-res-disco-assoc-" + _hex(),
                    "ResourceDiscoveryAssociationCount": 1,
                    "Tier": request.get("Tier") or "advanced",
                    "EnablePrivateGua": bool(request.get("EnablePrivateGua")),
                    "MeteredAccount": request.get("MeteredAccount") or "ipam-owner",
                }
                if request.get("Description"):
                    ipam["Description"] = request["Description"]
                s["ipams"][ipam_id] = ipam
                counts(s, ipam)
                tag_at_creation(context, ipam_id, request)
            return lambda: {"Ipam": shown(context, ipam, "IpamId")}

        return remembered(context, "CreateIpam", request, make)

    @handler("DescribeIpams", expand=False)
    def describe_ipams(self, context, request):
        with _lock:
            s = _state(context.account_id, context.region)
            ids = request.get("IpamIds") or []
            for i in ids:
                ipam_of(context, i)
            found = [shown(context, i, "IpamId") for i in s["ipams"].values() if not ids or i["IpamId"] in ids]
            found = _filter(
                found,
                request.get("Filters"),
                {"ipam-id": "IpamId", "description": "Description", "owner-id": "OwnerId", "ipam-region": "IpamRegion", "state": "State", "tier": "Tier"},
            )
            page, token = _page(found, request)
            return {"Ipams": page, "NextToken": token}

    @handler("ModifyIpam", expand=False)
    def modify_ipam(self, context, request):
        with _lock:
            ipam = ipam_of(context, request.get("IpamId"))
            if request.get("Description") is not None:
                ipam["Description"] = request["Description"]
            for key in ("Tier", "MeteredAccount"):
                if request.get(key):
                    ipam[key] = request[key]
            if request.get("EnablePrivateGua") is not None:
                ipam["EnablePrivateGua"] = bool(request["EnablePrivateGua"])
            regions = [r["RegionName"] for r in ipam["OperatingRegions"]]
            for r in regions_of(request.get("AddOperatingRegions")):
                if r["RegionName"] not in regions:
                    regions.append(r["RegionName"])
            for r in regions_of(request.get("RemoveOperatingRegions")):
                if r["RegionName"] == ipam["IpamRegion"]:
                    fail("InvalidParameterValue", "The IPAM's home region cannot be removed from its operating regions.")
                if r["RegionName"] in regions:
                    regions.remove(r["RegionName"])
            ipam["OperatingRegions"] = [{"RegionName": r} for r in regions]
            ipam["State"] = "modify-complete"
            return {"Ipam": shown(context, ipam, "IpamId")}

    def drop_pool(context, s, pool_id):
        for c in s["cidrs"].pop(pool_id, {}).values():
            release_from_source(s, s["pools"][pool_id], c["Cidr"])
        s["allocs"].pop(pool_id, None)
        s["pools"].pop(pool_id, None)
        drop_tags(context, pool_id)

    @handler("DeleteIpam", expand=False)
    def delete_ipam(self, context, request):
        with _lock:
            s = _state(context.account_id, context.region)
            ipam = ipam_of(context, request.get("IpamId"))
            pools = [p for p in s["pools"].values() if p["IpamArn"] == ipam["IpamArn"]]
            if pools and not request.get("Cascade"):
                fail(
                    "IncorrectState",
                    f"The IPAM {ipam['IpamId']} has pools ({', '.join(p['IpamPoolId'] for p in pools)}): delete them first, or delete the IPAM with Cascade.",
                )
            public = [p for p in pools if p["IpamScopeType"] == "public"]
            if public:
                fail(
                    "IncorrectState",
                    f"The IPAM {ipam['IpamId']} has pools in its public scope ({', '.join(p['IpamPoolId'] for p in public)}): Cascade does not delete them; delete them first.",
                )
            # children first: a source pool's CIDRs are allocated to its children
            for p in sorted(pools, key=lambda p: -p["PoolDepth"]):
                drop_pool(context, s, p["IpamPoolId"])
            for sid in [k for k, sc in s["scopes"].items() if sc["IpamArn"] == ipam["IpamArn"]]:
                s["scopes"].pop(sid)
                drop_tags(context, sid)
            s["ipams"].pop(ipam["IpamId"])
            out = shown(context, ipam, "IpamId")
            drop_tags(context, ipam["IpamId"])
            out["State"] = "delete-in-progress"
            return {"Ipam": out}

    @handler("DescribeIpamScopes", expand=False)
    def describe_ipam_scopes(self, context, request):
        with _lock:
            s = _state(context.account_id, context.region)
            for i in s["ipams"].values():
                counts(s, i)
            ids = request.get("IpamScopeIds") or []
            for i in ids:
                scope_of(context, i)
            found = [shown(context, sc, "IpamScopeId") for sc in s["scopes"].values() if not ids or sc["IpamScopeId"] in ids]
            found = _filter(
                found,
                request.get("Filters"),
                {"ipam-scope-id": "IpamScopeId", "ipam-arn": "IpamArn", "ipam-scope-type": "IpamScopeType", "is-default": "IsDefault", "description": "Description"},
            )
            page, token = _page(found, request)
            return {"IpamScopes": page, "NextToken": token}

    # ---- pools ----

    def resource_tags(tags):
        return [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags or []]

    @handler("CreateIpamPool", expand=False)
    def create_ipam_pool(self, context, request):
        def make():
            with _lock:
                s = _state(context.account_id, context.region)
                scope = scope_of(context, request.get("IpamScopeId"))
                ipam = next(i for i in s["ipams"].values() if i["IpamArn"] == scope["IpamArn"])
                family = request.get("AddressFamily")
                if family not in ("ipv4", "ipv6"):
                    fail("InvalidParameterValue", "AddressFamily must be ipv4 or ipv6")
                locale = request.get("Locale")
                if locale and locale != "None" and locale not in [r["RegionName"] for r in ipam["OperatingRegions"]]:
                    fail(
                        "InvalidParameterValue",
                        f"The locale {locale} is not one of the IPAM's operating regions.",
                    )
                depth = 1
                source = request.get("SourceIpamPoolId")
                if source:
                    src_state, src = pool_of(context, source)
                    if src["IpamScopeArn"] != scope["IpamScopeArn"] or src["AddressFamily"] != family:
                        fail("InvalidParameterValue", "A source pool must be in the same scope and address family.")
                    depth = src["PoolDepth"] + 1
                pool_id = "ipam-pool-" + _hex()
                pool = {
                    "OwnerId": context.account_id,
                    "IpamPoolId": pool_id,
                    "IpamPoolArn": arn(context, "ipam-pool", pool_id),
                    "IpamScopeArn": scope["IpamScopeArn"],
                    "IpamScopeType": scope["IpamScopeType"],
                    "IpamArn": ipam["IpamArn"],
                    "IpamRegion": ipam["IpamRegion"],
                    "Locale": locale or "None",
                    "PoolDepth": depth,
                    "State": "create-complete",
                    "AutoImport": bool(request.get("AutoImport")),
                    "AddressFamily": family,
                    "AllocationResourceTags": resource_tags(request.get("AllocationResourceTags")),
                }
                if source:
                    pool["SourceIpamPoolId"] = source
                for key in (
                    "Description",
                    "AllocationMinNetmaskLength",
                    "AllocationMaxNetmaskLength",
                    "AllocationDefaultNetmaskLength",
                    "AwsService",
                ):
                    if request.get(key) is not None:
                        pool[key] = request[key]
                if family == "ipv6" and scope["IpamScopeType"] == "public":
                    pool["PublicIpSource"] = request.get("PublicIpSource") or "byoip"
                    if pool["PublicIpSource"] == "byoip":
                        pool["PubliclyAdvertisable"] = bool(request.get("PubliclyAdvertisable"))
                elif request.get("PubliclyAdvertisable") is not None:
                    pool["PubliclyAdvertisable"] = bool(request["PubliclyAdvertisable"])
                s["pools"][pool_id] = pool
                counts(s, ipam)
                tag_at_creation(context, pool_id, request)
            return lambda: {"IpamPool": shown(context, pool, "IpamPoolId")}

        return remembered(context, "CreateIpamPool", request, make)

    @handler("DescribeIpamPools", expand=False)
    def describe_ipam_pools(self, context, request):
        with _lock:
            s = _state(context.account_id, context.region)
            ids = request.get("IpamPoolIds") or []
            for i in ids:
                if i not in s["pools"]:
                    fail("InvalidIpamPoolId.NotFound", f"The ipam pool ID '{i}' does not exist")
            found = [shown(context, p, "IpamPoolId") for p in s["pools"].values() if not ids or p["IpamPoolId"] in ids]
            scope_ids = {sc["IpamScopeArn"]: sc["IpamScopeId"] for sc in s["scopes"].values()}
            for p in found:
                p["_scope"] = scope_ids.get(p["IpamScopeArn"])
            found = _filter(
                found,
                request.get("Filters"),
                {
                    "ipam-pool-id": "IpamPoolId",
                    "ipam-scope-id": "_scope",
                    "ipam-scope-arn": "IpamScopeArn",
                    "ipam-scope-type": "IpamScopeType",
                    "ipam-arn": "IpamArn",
                    "address-family": "AddressFamily",
                    "locale": "Locale",
                    "description": "Description",
                    "state": "State",
                    "source-ipam-pool-id": "SourceIpamPoolId",
                    "pool-depth": "PoolDepth",
                    "aws-service": "AwsService",
                },
            )
            page, token = _page([_public(p) for p in found], request)
            return {"IpamPools": page, "NextToken": token}

    @handler("ModifyIpamPool", expand=False)
    def modify_ipam_pool(self, context, request):
        with _lock:
            _, pool = pool_of(context, request.get("IpamPoolId"))
            for key in (
                "Description",
                "AllocationMinNetmaskLength",
                "AllocationMaxNetmaskLength",
                "AllocationDefaultNetmaskLength",
            ):
                if request.get(key) is not None:
                    pool[key] = request[key]
            if request.get("ClearAllocationDefaultNetmaskLength"):
                pool.pop("AllocationDefaultNetmaskLength", None)
            if request.get("AutoImport") is not None:
                pool["AutoImport"] = bool(request["AutoImport"])
            tags = {t["Key"]: t["Value"] for t in pool["AllocationResourceTags"]}
            for t in request.get("RemoveAllocationResourceTags") or []:
                tags.pop(t["Key"], None)
            for t in request.get("AddAllocationResourceTags") or []:
                tags[t["Key"]] = t.get("Value", "")
            pool["AllocationResourceTags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
            pool["State"] = "modify-complete"
            return {"IpamPool": shown(context, pool, "IpamPoolId")}

    @handler("DeleteIpamPool", expand=False)
    def delete_ipam_pool(self, context, request):
        with _lock:
            s, pool = pool_of(context, request.get("IpamPoolId"))
            pool_id = pool["IpamPoolId"]
            children = [p["IpamPoolId"] for p in s["pools"].values() if p.get("SourceIpamPoolId") == pool_id]
            if children:
                fail("IncorrectState", f"The pool {pool_id} is the source of pools {', '.join(children)}: delete them first.")
            live = [c["Cidr"] for c in cidrs_of(s, pool_id) if c["State"] not in ("deprovisioned", "failed-provision")]
            if live and not request.get("Cascade"):
                fail(
                    "IncorrectState",
                    f"The pool {pool_id} has CIDRs provisioned ({', '.join(live)}): deprovision them first, or delete the pool with Cascade.",
                )
            if live:
                users = [a for a in allocations(s, pool_id).values() if a["ResourceType"] in ("vpc", "subnet", "ipam-pool")]
                if users:
                    fail(
                        "IncorrectState",
                        f"The pool {pool_id} has allocations in use ({', '.join(a.get('ResourceId', a['Cidr']) for a in users)}).",
                    )
            out = shown(context, pool, "IpamPoolId")
            drop_pool(context, s, pool_id)
            for i in s["ipams"].values():
                counts(s, i)
            out["State"] = "delete-in-progress"
            return {"IpamPool": out}

    # ---- CIDRs ----

    def release_from_source(s, pool, cidr):
        source = pool.get("SourceIpamPoolId")
        if not source:
            return
        for aid, a in list(allocations(s, source).items()):
            if a["Cidr"] == cidr and a.get("ResourceId") == pool["IpamPoolId"]:
                allocations(s, source).pop(aid)

    @handler("ProvisionIpamPoolCidr", expand=False)
    def provision_ipam_pool_cidr(self, context, request):
        def make():
            with _lock:
                s, pool = pool_of(context, request.get("IpamPoolId"))
                pool_id = pool["IpamPoolId"]
                cidr, length = request.get("Cidr"), request.get("NetmaskLength")
                if bool(cidr) == (length is not None):
                    fail("InvalidParameterCombination", "Give exactly one of Cidr and NetmaskLength.")
                source = pool.get("SourceIpamPoolId")
                if source:
                    src_state, src = pool_of(context, source)
                    a = allocate(
                        src_state,
                        src,
                        cidr=cidr,
                        length=length,
                        ResourceType="ipam-pool",
                        ResourceId=pool_id,
                        ResourceOwner=context.account_id,
                        ResourceRegion=pool["Locale"] if pool["Locale"] != "None" else context.region,
                    )
                    cidr = a["Cidr"]
                elif not cidr:
                    fail("InvalidParameterValue", f"The pool {pool_id} has no source pool: give a Cidr to provision.")
                net = _net(cidr)
                if str(net) != cidr and not source:
                    fail("InvalidParameterValue", f"{cidr} is not a network address (did you mean {net}?)")
                if (net.version == 4) != (pool["AddressFamily"] == "ipv4"):
                    fail("InvalidParameterValue", f"{cidr} is not an {pool['AddressFamily']} CIDR.")
                for c in cidrs_of(s, pool_id):
                    if c["State"] != "deprovisioned" and _overlaps(_net(c["Cidr"]), net):
                        fail("InvalidParameterValue", f"The CIDR {cidr} overlaps {c['Cidr']}, already provisioned to the pool.")
                c = {
                    "Cidr": str(net),
                    "State": "pending-provision",
                    "IpamPoolCidrId": "ipam-pool-cidr-" + secrets.token_hex(16),
                    "NetmaskLength": net.prefixlen,
                    "_due": time.monotonic() + PROVISION_SECONDS,
                }
                s["cidrs"].setdefault(pool_id, {})[c["IpamPoolCidrId"]] = c
                answer = _public(c)
            return lambda: {"IpamPoolCidr": answer}

        return remembered(context, "ProvisionIpamPoolCidr", request, make)

    @handler("GetIpamPoolCidrs", expand=False)
    def get_ipam_pool_cidrs(self, context, request):
        with _lock:
            s, pool = pool_of(context, request.get("IpamPoolId"))
            found = [_public(c) for c in cidrs_of(s, pool["IpamPoolId"])]
            found = [dict(c, Tags=[]) for c in found]
            found = _filter(found, request.get("Filters"), {"cidr": "Cidr", "state": "State", "ipam-pool-cidr-id": "IpamPoolCidrId"})
            page, token = _page([{k: v for k, v in c.items() if k != "Tags"} for c in found], request)
            return {"IpamPoolCidrs": page, "NextToken": token}

    @handler("DeprovisionIpamPoolCidr", expand=False)
    def deprovision_ipam_pool_cidr(self, context, request):
        with _lock:
            s, pool = pool_of(context, request.get("IpamPoolId"))
            cidr = request.get("Cidr")
            c = next(
                (c for c in cidrs_of(s, pool["IpamPoolId"]) if c["Cidr"] == cidr and c["State"] != "deprovisioned"),
                None,
            )
            if c is None:
                fail("InvalidParameterValue", f"The CIDR {cidr} is not provisioned to the pool {pool['IpamPoolId']}.")
            if c["State"] != "provisioned":
                fail("IncorrectState", f"The CIDR {cidr} is {c['State']}.")
            net = _net(cidr)
            inside = [a for a in allocations(s, pool["IpamPoolId"]).values() if _overlaps(_net(a["Cidr"]), net)]
            if inside:
                fail(
                    "InvalidParameterValue",
                    f"The CIDR {cidr} has allocations ({', '.join(a.get('ResourceId') or a['IpamPoolAllocationId'] for a in inside)}): release them first.",
                )
            release_from_source(s, pool, cidr)
            c["State"] = "pending-deprovision"
            c["_due"] = time.monotonic() + PROVISION_SECONDS
            return {"IpamPoolCidr": _public(c)}

    # ---- allocations ----

    @handler("AllocateIpamPoolCidr", expand=False)
    def allocate_ipam_pool_cidr(self, context, request):
        def make():
            with _lock:
                s, pool = pool_of(context, request.get("IpamPoolId"))
                a = allocate(
                    s,
                    pool,
                    cidr=request.get("Cidr"),
                    length=request.get("NetmaskLength"),
                    disallowed=request.get("DisallowedCidrs") or [],
                    allowed=request.get("AllowedCidrs") or [],
                    preview=bool(request.get("PreviewNextCidr")),
                    ResourceType="custom",
                    ResourceOwner=context.account_id,
                    ResourceRegion=context.region,
                    Description=request.get("Description"),
                )
            return lambda: {"IpamPoolAllocation": dict(a)}

        if request.get("PreviewNextCidr"):
            return make()()
        return remembered(context, "AllocateIpamPoolCidr", request, make)

    @handler("GetIpamPoolAllocations", expand=False)
    def get_ipam_pool_allocations(self, context, request):
        with _lock:
            s, pool = pool_of(context, request.get("IpamPoolId"))
            found = [dict(a, Tags=[]) for a in allocations(s, pool["IpamPoolId"]).values()]
            if request.get("IpamPoolAllocationId"):
                found = [a for a in found if a["IpamPoolAllocationId"] == request["IpamPoolAllocationId"]]
            found = _filter(
                found,
                request.get("Filters"),
                {"cidr": "Cidr", "resource-id": "ResourceId", "resource-type": "ResourceType", "ipam-pool-allocation-id": "IpamPoolAllocationId"},
            )
            page, token = _page([{k: v for k, v in a.items() if k != "Tags"} for a in found], request)
            return {"IpamPoolAllocations": page, "NextToken": token}

    @handler("ReleaseIpamPoolAllocation", expand=False)
    def release_ipam_pool_allocation(self, context, request):
        with _lock:
            s, pool = pool_of(context, request.get("IpamPoolId"))
            a = allocations(s, pool["IpamPoolId"]).get(request.get("IpamPoolAllocationId"))
            if a is None or a["Cidr"] != request.get("Cidr"):
                fail(
                    "InvalidIpamPoolAllocationId.NotFound",
                    f"The allocation {request.get('IpamPoolAllocationId')} of {request.get('Cidr')} does not exist in the pool.",
                )
            if a["ResourceType"] != "custom":
                fail("InvalidParameterValue", f"Only manual allocations can be released; {a['Cidr']} belongs to {a.get('ResourceId')}.")
            allocations(s, pool["IpamPoolId"]).pop(a["IpamPoolAllocationId"])
            return {"Success": True}

    for f in (
        create_ipam,
        describe_ipams,
        modify_ipam,
        delete_ipam,
        describe_ipam_scopes,
        create_ipam_pool,
        describe_ipam_pools,
        modify_ipam_pool,
        delete_ipam_pool,
        provision_ipam_pool_cidr,
        get_ipam_pool_cidrs,
        deprovision_ipam_pool_cidr,
        allocate_ipam_pool_cidr,
        get_ipam_pool_allocations,
        release_ipam_pool_allocation,
    ):
        # the dispatch table resolves each handler by its function's name
        setattr(Ec2Provider, f.__name__, f)

    # ---- VPCs from a pool ----

    create_vpc = VPCs.create_vpc

    @functools.wraps(create_vpc)
    def create_vpc_from_pool(self):
        pool_id = self._get_param("Ipv4IpamPoolId")
        if not pool_id:
            return create_vpc(self)
        try:
            return vpc_from_pool(self, pool_id)
        except CommonServiceException as e:
            # moto's dispatch answers its own errors
            raise EC2ClientError(e.code, e.message)

    def vpc_from_pool(self, pool_id):
        with _lock:
            s = pool_state(self.current_account, pool_id)
            if s is None:
                raise CommonServiceException(
                    code="InvalidIpamPoolId.NotFound",
                    message=f"The ipam pool ID '{pool_id}' does not exist",
                    status_code=400,
                )
            pool = s["pools"][pool_id]
            if pool["AddressFamily"] != "ipv4":
                fail("InvalidParameterValue", f"The pool {pool_id} is not an IPv4 pool.")
            if pool["Locale"] not in ("None", self.region):
                fail("InvalidParameterValue", f"The pool {pool_id} has locale {pool['Locale']}, not {self.region}.")
            length = self._get_param("Ipv4NetmaskLength")
            a = allocate(
                s,
                pool,
                cidr=self._get_param("CidrBlock"),
                length=int(length) if length is not None else None,
                ResourceType="vpc",
                ResourceOwner=self.current_account,
                ResourceRegion=self.region,
            )
            # moto reads the block from the request's parameters
            if self.automated_parameter_parsing:
                self.params["CidrBlock"] = a["Cidr"]
            else:
                self.querystring["CidrBlock"] = [a["Cidr"]]
            try:
                result = create_vpc(self)
            except Exception:
                allocations(s, pool_id).pop(a["IpamPoolAllocationId"], None)
                raise
            a["ResourceId"] = result.result["Vpc"].id
            return result

    VPCs.create_vpc = create_vpc_from_pool

    delete_vpc = VPCBackend.delete_vpc

    @functools.wraps(delete_vpc)
    def delete_vpc_releasing(self, vpc_id):
        out = delete_vpc(self, vpc_id)
        with _lock:
            for (acc, _), s in list(_regions.items()):
                if acc != self.account_id:
                    continue
                for pool_allocs in s["allocs"].values():
                    for aid, a in list(pool_allocs.items()):
                        if a["ResourceType"] == "vpc" and a.get("ResourceId") == vpc_id:
                            pool_allocs.pop(aid)
        return out

    VPCBackend.delete_vpc = delete_vpc_releasing
