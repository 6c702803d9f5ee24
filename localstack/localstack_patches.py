"""LocalStack, with EC2 and KMS behaviours `infra` needs that it lacks.

localstack/up runs this file instead of `python -m localstack.runtime.main`: it patches
the classes below, then starts LocalStack in the same process, exactly as the module
would.

- CreateVpcEndpoint ignores `SubnetConfigurations`: an interface endpoint's network
  interface in a subnet gets a random address (not even inside the subnet). Here the
  interface in a subnet named by a configuration takes its `Ipv4` (and `Ipv6`) address,
  as on AWS; the others get an address inside their subnet.
- ModifyVpcEndpoint ignores `SubnetConfigurations` and `AddSubnetIds` makes no interface:
  here a configuration moves the interface's address, and an added subnet gets an
  interface (with the configured address, if any), a removed one loses it.

- KMS on Python 3.11: localstack-core 4.13.1 gives every new symmetric key a key material
  id from `uuid.uuid5(namespace, key_material)` with `key_material` as bytes, which
  Python 3.12 accepts and Python 3.11 (the version `up` runs it on) refuses with
  `TypeError: encoding without a string argument`: every CreateKey answered 500. `uuid5`
  here takes bytes as 3.12's does, and leaves strings as they were.

- Auto Scaling: LocalStack community 4.13.1 has no `autoscaling` provider (it is a Pro
  service), although the moto it bundles implements the API on the same in-process EC2
  backend. `autoscaling` is registered here as a service whose every operation goes to
  that moto backend (as LocalStack's own moto-backed providers fall through to it), so a
  group launches its instances from launch templates and subnets LocalStack's EC2 made.
- CreateFlowLogs drops `DestinationOptions` (an S3 flow log's file format and
  partitions): DescribeFlowLogs reported none, and a second flow log of the same resource
  into the same bucket with other options (terraform-aws-vpc's flow-log example: plain
  text and parquet) was refused as `FlowLogAlreadyExists`. Here the options are kept
  (AWS's defaults when none are sent), reported, and part of what makes two flow logs
  the same.

- VPC Block Public Access (the account's internet gateway block mode and its exclusions:
  Describe/ModifyVpcBlockPublicAccessOptions, Create/Describe/Modify/
  DeleteVpcBlockPublicAccessExclusion(s)): neither LocalStack 4.13.1 nor its moto
  implements them (every call answered "not implemented"). They are emulated here per
  account and region, as AWS documents them: the options start at mode `off`
  (`default-state`), a change completes at once (`update-complete`; AWS takes a while), an
  exclusion names one VPC or subnet that must exist, gets a `vpcbpa-exclude-` id, an ARN
  and tags (CreateTags/DeleteTags work on it), and a deleted one is reported
  `delete-complete` afterwards, as on AWS. Nothing blocks any traffic.

- VPC IP Address Manager (IPAM: CreateIpam and the other IPAM operations, and CreateVpc /
  DeleteVpc with an IPv4 pool): not implemented by LocalStack 4.13.1 or its moto either.
  Emulated in localstack_ipam.py (`_patch_ipam`), whose docstring says how.

- SSM hybrid activations (CreateActivation, DescribeActivations, DeleteActivation): not
  implemented by LocalStack 4.13.1's SSM or its moto. Emulated in
  localstack_ssm_activations.py (`_patch_ssm_activations`), whose docstring says how.

Each is written down in localstack/README.md. The version below is what localstack/up
checks (in $RUN/localstack.patches) before it reuses a running LocalStack.
"""

import functools
import os

VERSION = "infra-localstack-patches-8"


def _configs(params):
    out = {}
    for c in params or []:
        sid = c.get("SubnetId")
        if sid:
            out[sid] = c
    return out


def _set_address(eni, conf):
    ipv4 = conf.get("Ipv4")
    if ipv4:
        eni.private_ip_address = ipv4
        eni.private_ip_addresses = [{"Primary": True, "PrivateIpAddress": ipv4}]
    ipv6 = conf.get("Ipv6")
    if ipv6:
        eni.ipv6_addresses = [ipv6]


def _interface_in(backend, endpoint, subnet_id):
    for eni_id in list(getattr(endpoint, "network_interface_ids", None) or []):
        try:
            eni = backend.get_network_interface(eni_id)
        except Exception:  # noqa: BLE001 - an interface deleted meanwhile
            continue
        if getattr(eni.subnet, "id", None) == subnet_id:
            return eni
    return None


def _new_interface(backend, endpoint, subnet_id, conf):
    from moto.ec2.utils import random_private_ip

    subnet = backend.get_subnet(subnet_id)
    ip = (conf or {}).get("Ipv4") or random_private_ip(subnet.cidr_block)
    eni = backend.create_network_interface(subnet_id, ip)
    endpoint.network_interface_ids.append(eni.id)
    if conf:
        _set_address(eni, conf)
    return eni


def _patch_uuid5():
    import uuid

    uuid5 = uuid.uuid5

    def uuid5_bytes(namespace, name):
        if isinstance(name, (bytes, bytearray)):
            from hashlib import sha1

            digest = sha1(namespace.bytes + bytes(name)).digest()
            return uuid.UUID(bytes=digest[:16], version=5)
        return uuid5(namespace, name)

    uuid.uuid5 = uuid5_bytes


def _autoscaling_service():
    from localstack.aws.skeleton import Skeleton
    from localstack.aws.spec import load_service
    from localstack.services.moto import _proxy_moto
    from localstack.services.plugins import Service

    spec = load_service("autoscaling")
    table = {op: _proxy_moto for op in spec.operation_names}
    return Service("autoscaling", skeleton=Skeleton(spec, table))


def _keep_mixed_policy():
    import copy

    from moto.autoscaling.models import FakeAutoScalingGroup

    update = FakeAutoScalingGroup.update

    @functools.wraps(update)
    def update_keeping_policy(self, *args, **kwargs):
        given = any(
            kwargs.get(k) for k in ("mixed_instances_policy", "launch_template", "launch_config_name")
        )
        if not given and self.mixed_instances_policy:
            policy = copy.deepcopy(self.mixed_instances_policy)
            spec = policy.get("LaunchTemplate", {}).get("LaunchTemplateSpecification", {})
            if spec.get("LaunchTemplateId"):
                spec.pop("LaunchTemplateName", None)
            kwargs["mixed_instances_policy"] = policy
        return update(self, *args, **kwargs)

    FakeAutoScalingGroup.update = update_keeping_policy


def _patch_autoscaling():
    _keep_mixed_policy()
    from localstack.services.plugins import ServicePluginAdapter
    from localstack.services.plugins import ServicePluginManager

    resolve = ServicePluginManager._resolve_api_provider_specs
    load = ServicePluginManager._load_service_plugin

    def resolve_api_provider_specs(self):
        specs = resolve(self)
        specs.setdefault("autoscaling", ["default"])
        return specs

    def load_service_plugin(self, name):
        if name != "autoscaling":
            return load(self, name)
        plugin = ServicePluginAdapter(api="autoscaling", create_service=_autoscaling_service)
        plugin.load()
        plugin.name = "autoscaling:default"
        return plugin

    ServicePluginManager._resolve_api_provider_specs = resolve_api_provider_specs
    ServicePluginManager._load_service_plugin = load_service_plugin


def _flag(v):
    return str(v).lower() == "true"


def _patch_flow_log_options():
    import contextvars

    from moto.ec2.models.flow_logs import FlowLogsBackend
    from moto.ec2.responses import flow_logs as responses

    pending = contextvars.ContextVar("infra_flow_log_options", default=None)
    create_response = responses.FlowLogs.create_flow_logs

    @functools.wraps(create_response)
    def create_flow_logs_response(self):
        options = None
        # LocalStack's provider checks an S3 bucket itself and hands moto the type
        # `__placeholder__` (moto would look for the bucket in its own S3)
        if self._get_param("LogDestinationType") in ("s3", "__placeholder__"):
            d = self._get_param("DestinationOptions") or {}
            options = (
                d.get("FileFormat") or "plain-text",
                _flag(d.get("HiveCompatiblePartitions", False)),
                _flag(d.get("PerHourPartition", False)),
            )
        token = pending.set(options)
        try:
            return create_response(self)
        finally:
            pending.reset(token)

    responses.FlowLogs.create_flow_logs = create_flow_logs_response

    create = FlowLogsBackend.create_flow_logs

    @functools.wraps(create)
    def create_flow_logs(self, *args, **kwargs):
        options = pending.get()
        # flow logs with other options are not the same configuration: hide them from
        # moto's duplicate check
        other = {
            k: v
            for k, v in self.flow_logs.items()
            if getattr(v, "infra_options", None) != options
        }
        for k in other:
            del self.flow_logs[k]
        try:
            made, errors = create(self, *args, **kwargs)
        finally:
            self.flow_logs.update(other)
        for fl in made:
            fl.infra_options = options
        return made, errors

    FlowLogsBackend.create_flow_logs = create_flow_logs

    line = "<maxAggregationInterval>{{ flow_log.max_aggregation_interval }}</maxAggregationInterval>"
    described = (
        line
        + "{% if flow_log.infra_options %}<destinationOptions>"
        + "<fileFormat>{{ flow_log.infra_options[0] }}</fileFormat>"
        + "<hiveCompatiblePartitions>{{ 'true' if flow_log.infra_options[1] else 'false' }}</hiveCompatiblePartitions>"
        + "<perHourPartition>{{ 'true' if flow_log.infra_options[2] else 'false' }}</perHourPartition>"
        + "</destinationOptions>{% endif %}"
    )
    if line in responses.DESCRIBE_FLOW_LOGS_RESPONSE:
        responses.DESCRIBE_FLOW_LOGS_RESPONSE = responses.DESCRIBE_FLOW_LOGS_RESPONSE.replace(
            line, described, 1
        )


def _patch_block_public_access():
    import datetime
    import secrets

    from localstack.aws.api import CommonServiceException, handler
    from localstack.services.ec2.provider import Ec2Provider, get_ec2_backend
    from moto.ec2 import models as ec2_models

    # CreateTags / DeleteTags accept the exclusion's id (moto knows ids by their prefix)
    valid = ec2_models.is_valid_resource_id

    @functools.wraps(valid)
    def is_valid_resource_id(resource_id):
        return resource_id.startswith("vpcbpa-exclude-") or valid(resource_id)

    ec2_models.is_valid_resource_id = is_valid_resource_id

    options = {}  # (account, region) -> dict
    exclusions = {}  # (account, region) -> {id: dict}

    def now():
        return datetime.datetime.now(datetime.timezone.utc)

    def fail(code, message):
        raise CommonServiceException(code=code, message=message, status_code=400)

    def opts(context):
        key = (context.account_id, context.region)
        if key not in options:
            options[key] = {
                "AwsAccountId": context.account_id,
                "AwsRegion": context.region,
                "State": "default-state",
                "InternetGatewayBlockMode": "off",
                "ManagedBy": "account",
                "ExclusionsAllowed": "allowed",
            }
        return options[key]

    def with_tags(context, e):
        backend = get_ec2_backend(context.account_id, context.region)
        out = dict(e)
        tags = backend.tags.get(e["ExclusionId"], {})
        out["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        return out

    def mine(context):
        return exclusions.setdefault((context.account_id, context.region), {})

    def find(context, exclusion_id):
        e = mine(context).get(exclusion_id)
        if e is None or e["State"] == "delete-complete":
            fail(
                "InvalidVpcBlockPublicAccessExclusionId.NotFound",
                f"The exclusion ID '{exclusion_id}' does not exist",
            )
        return e

    modes = ("off", "block-bidirectional", "block-ingress")
    exclusion_modes = ("allow-bidirectional", "allow-egress")

    @handler("DescribeVpcBlockPublicAccessOptions", expand=False)
    def describe_vpc_block_public_access_options(self, context, request):
        return {"VpcBlockPublicAccessOptions": dict(opts(context))}

    @handler("ModifyVpcBlockPublicAccessOptions", expand=False)
    def modify_vpc_block_public_access_options(self, context, request):
        mode = request.get("InternetGatewayBlockMode")
        if mode not in modes:
            fail("InvalidParameterValue", f"InternetGatewayBlockMode must be one of {', '.join(modes)}")
        o = opts(context)
        o.update(InternetGatewayBlockMode=mode, State="update-complete", LastUpdateTimestamp=now())
        return {"VpcBlockPublicAccessOptions": dict(o)}

    @handler("CreateVpcBlockPublicAccessExclusion", expand=False)
    def create_vpc_block_public_access_exclusion(self, context, request):
        vpc, subnet = request.get("VpcId"), request.get("SubnetId")
        mode = request.get("InternetGatewayExclusionMode")
        if bool(vpc) == bool(subnet):
            fail("InvalidParameterCombination", "Specify exactly one of VpcId and SubnetId")
        if mode not in exclusion_modes:
            fail("InvalidParameterValue", f"InternetGatewayExclusionMode must be one of {', '.join(exclusion_modes)}")
        backend = get_ec2_backend(context.account_id, context.region)
        if vpc:
            backend.get_vpc(vpc)  # InvalidVpcID.NotFound
            arn = f"arn:aws:ec2:{context.region}:{context.account_id}:vpc/{vpc}"
        else:
            backend.get_subnet(subnet)  # InvalidSubnetID.NotFound
            arn = f"arn:aws:ec2:{context.region}:{context.account_id}:subnet/{subnet}"
        exclusion_id = "vpcbpa-exclude-" + secrets.token_hex(9)[:17]
        t = now()
        e = {
            "ExclusionId": exclusion_id,
            "InternetGatewayExclusionMode": mode,
            "ResourceArn": arn,
            "State": "create-complete",
            "CreationTimestamp": t,
            "LastUpdateTimestamp": t,
        }
        mine(context)[exclusion_id] = e
        tags = {}
        for spec in request.get("TagSpecifications") or []:
            for tag in spec.get("Tags") or []:
                tags[tag["Key"]] = tag.get("Value", "")
        if tags:
            backend.create_tags([exclusion_id], tags)
        return {"VpcBlockPublicAccessExclusion": with_tags(context, e)}

    @handler("DescribeVpcBlockPublicAccessExclusions", expand=False)
    def describe_vpc_block_public_access_exclusions(self, context, request):
        ids = request.get("ExclusionIds") or []
        found = []
        if ids:
            for i in ids:
                e = mine(context).get(i)
                if e is None:
                    fail(
                        "InvalidVpcBlockPublicAccessExclusionId.NotFound",
                        f"The exclusion ID '{i}' does not exist",
                    )
                found.append(with_tags(context, e))
        else:
            found = [with_tags(context, e) for e in mine(context).values()]
        for f in request.get("Filters") or []:
            name, values = f.get("Name", ""), set(f.get("Values") or [])
            if name.startswith("tag:"):
                key = name[4:]
                found = [e for e in found if any(t["Key"] == key and t["Value"] in values for t in e["Tags"])]
            elif name == "tag-key":
                found = [e for e in found if any(t["Key"] in values for t in e["Tags"])]
            elif name == "state":
                found = [e for e in found if e["State"] in values]
            elif name == "resource-arn":
                found = [e for e in found if e["ResourceArn"] in values]
            elif name == "internet-gateway-exclusion-mode":
                found = [e for e in found if e["InternetGatewayExclusionMode"] in values]
        return {"VpcBlockPublicAccessExclusions": found}

    @handler("ModifyVpcBlockPublicAccessExclusion", expand=False)
    def modify_vpc_block_public_access_exclusion(self, context, request):
        e = find(context, request.get("ExclusionId"))
        mode = request.get("InternetGatewayExclusionMode")
        if mode not in exclusion_modes:
            fail("InvalidParameterValue", f"InternetGatewayExclusionMode must be one of {', '.join(exclusion_modes)}")
        e.update(InternetGatewayExclusionMode=mode, State="update-complete", LastUpdateTimestamp=now())
        return {"VpcBlockPublicAccessExclusion": with_tags(context, e)}

    @handler("DeleteVpcBlockPublicAccessExclusion", expand=False)
    def delete_vpc_block_public_access_exclusion(self, context, request):
        e = find(context, request.get("ExclusionId"))
        t = now()
        e.update(State="delete-complete", LastUpdateTimestamp=t, DeletionTimestamp=t)
        return {"VpcBlockPublicAccessExclusion": with_tags(context, e)}

    # the dispatch table resolves each handler by its function's name
    Ec2Provider.describe_vpc_block_public_access_options = describe_vpc_block_public_access_options
    Ec2Provider.modify_vpc_block_public_access_options = modify_vpc_block_public_access_options
    Ec2Provider.create_vpc_block_public_access_exclusion = create_vpc_block_public_access_exclusion
    Ec2Provider.describe_vpc_block_public_access_exclusions = describe_vpc_block_public_access_exclusions
    Ec2Provider.modify_vpc_block_public_access_exclusion = modify_vpc_block_public_access_exclusion
    Ec2Provider.delete_vpc_block_public_access_exclusion = delete_vpc_block_public_access_exclusion


def _patch_ipam():
    # VPC IP Address Manager: its own module (localstack_ipam.py), as large as this one
    import localstack_ipam

    localstack_ipam.patch()


def _patch_ssm_activations():
    import localstack_ssm_activations

    localstack_ssm_activations.patch()


def patch():
    _patch_uuid5()
    _patch_ssm_activations()
    _patch_block_public_access()
    _patch_ipam()
    _patch_autoscaling()
    _patch_flow_log_options()
    from moto.ec2.responses.vpcs import VPCs

    create = VPCs.create_vpc_endpoint

    @functools.wraps(create)
    def create_vpc_endpoint(self):
        result = create(self)
        confs = _configs(self._get_param("SubnetConfigurations", []))
        endpoint = None
        try:
            endpoint = result.result["VpcEndpoint"]  # ActionResult
        except Exception:  # noqa: BLE001 - another moto shape: leave it as it was
            return result
        backend = self.ec2_backend
        for eni_id in list(getattr(endpoint, "network_interface_ids", None) or []):
            eni = backend.get_network_interface(eni_id)
            conf = confs.get(getattr(eni.subnet, "id", None))
            if conf:
                _set_address(eni, conf)
        return result

    VPCs.create_vpc_endpoint = create_vpc_endpoint

    from localstack.services.ec2.provider import Ec2Provider
    from localstack.services.ec2.provider import get_ec2_backend

    modify = Ec2Provider.modify_vpc_endpoint

    @functools.wraps(modify)
    def modify_vpc_endpoint(self, context, vpc_endpoint_id, *args, **kwargs):
        add = kwargs.get("add_subnet_ids") or []
        remove = kwargs.get("remove_subnet_ids") or []
        confs = _configs(kwargs.get("subnet_configurations"))
        out = modify(self, context, vpc_endpoint_id, *args, **kwargs)
        backend = get_ec2_backend(context.account_id, context.region)
        endpoint = backend.vpc_end_points.get(vpc_endpoint_id)
        if endpoint is None or (getattr(endpoint, "vpc_endpoint_type", None) or "").lower() != "interface":
            return out
        for sid in remove:
            eni = _interface_in(backend, endpoint, sid)
            if eni is not None:
                endpoint.network_interface_ids.remove(eni.id)
                try:
                    backend.delete_network_interface(eni.id)
                except Exception:  # noqa: BLE001 - already gone
                    pass
        for sid in add:
            if _interface_in(backend, endpoint, sid) is None:
                _new_interface(backend, endpoint, sid, confs.get(sid))
        for sid, conf in confs.items():
            eni = _interface_in(backend, endpoint, sid)
            if eni is not None:
                _set_address(eni, conf)
        return out

    Ec2Provider.modify_vpc_endpoint = modify_vpc_endpoint


def main():
    patch()
    run = os.environ.get("INFRA_LOCALSTACK_RUN_DIR")
    if run:
        with open(os.path.join(run, "localstack.patches"), "w") as f:
            f.write(VERSION + "\n")
    import runpy

    runpy.run_module("localstack.runtime.main", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
