"""SSM hybrid activations for LocalStack 4.13.1, whose SSM (and its moto) answers
CreateActivation, DescribeActivations and DeleteActivation "not implemented".
localstack_patches.py calls `patch()` before LocalStack starts; the handlers are named
exactly like the SsmProvider methods and registered on it, as the EC2 emulations are.

Emulated as the SSM API reference documents them, per account and region (see
localstack/README.md):
- CreateActivation requires `IamRole`, a role *name* (`^[\\p{L}\\p{N}+=,.@\\-_]*$`, at most
  64 characters); a role IAM does not know, or whose trust policy does not let
  `ssm.amazonaws.com` assume it, is `ValidationException` "Nonexistent role or missing ssm
  service principal in trust policy: ..." (the error the provider retries while a new
  role propagates). `RegistrationLimit` is 1..1000 (default 1), `ExpirationDate` must lie
  in the future and at most 30 days ahead (default: 24 hours from now), `Description` and
  `DefaultInstanceName` at most 256 characters; a violated constraint is AWS's
  `ValidationException` "1 validation error detected: ...". The answer is the activation
  id (a UUID) and its code (20 characters), which nothing can read again, as on AWS.
  `Tags` are kept with the activation (at most 1,000; keys 1..128, values 0..256
  characters).
- DescribeActivations takes `Filters` (`ActivationIds`, `DefaultInstanceName`, `IamRole`;
  exact values, any of a filter's values, every filter) and pages with `MaxResults`
  (1..50) and `NextToken` (`InvalidNextToken` for one it did not give). Each activation
  reports `Expired` (its expiration date has passed), `RegistrationsCount` (0: nothing
  registers here), `CreatedDate` and `Tags`. An expired activation stays listed until it
  is deleted, as on AWS.
- DeleteActivation of an id that is not a UUID is `InvalidActivationId`; of an unknown
  one, `InvalidActivation` (the provider's "already gone").
- Tagging: SSM's tagging API has no activation resource type (AddTagsToResource's
  `ResourceTypeForTagging` lists none), so LocalStack's moto answers
  `InvalidResourceType` for `Activation`; unchanged here. Tags are set at creation only.
"""

import datetime
import re
import secrets
import threading
import uuid

_lock = threading.RLock()
_regions = {}  # (account, region) -> {activation id: dict}, in creation order

_ROLE_NAME = re.compile(r"^[\w+=,.@\-]*$")
_CODE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_FILTER_KEYS = ("ActivationIds", "DefaultInstanceName", "IamRole")
_FILTER_FIELDS = {
    "ActivationIds": "ActivationId",
    "DefaultInstanceName": "DefaultInstanceName",
    "IamRole": "IamRole",
}


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _mine(context):
    return _regions.setdefault((context.account_id, context.region), {})


def _is_uuid(s):
    try:
        uuid.UUID(s)
    except (TypeError, ValueError, AttributeError):
        return False
    return len(s) == 36


def _trusts_ssm(document):
    """Whether a trust policy (JSON text, possibly URL-encoded) lets ssm.amazonaws.com
    assume the role."""
    import json
    from urllib.parse import unquote

    if not document:
        return False
    try:
        policy = json.loads(document)
    except ValueError:
        try:
            policy = json.loads(unquote(document))
        except ValueError:
            return False
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    for s in statements:
        if not isinstance(s, dict) or s.get("Effect") != "Allow":
            continue
        actions = s.get("Action") or []
        actions = [actions] if isinstance(actions, str) else actions
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        principal = s.get("Principal") or {}
        if principal == "*":
            return True
        services = principal.get("Service") if isinstance(principal, dict) else None
        services = [services] if isinstance(services, str) else (services or [])
        if "ssm.amazonaws.com" in services:
            return True
    return False


def _as_utc(t):
    if isinstance(t, (int, float)):
        return datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    if t.tzinfo is None:
        return t.replace(tzinfo=datetime.timezone.utc)
    return t.astimezone(datetime.timezone.utc)


def patch():
    from localstack.aws.api import CommonServiceException, handler
    from localstack.services.ssm.provider import SsmProvider

    def fail(code, message):
        raise CommonServiceException(code=code, message=message, status_code=400)

    def invalid(value, member, constraint):
        fail(
            "ValidationException",
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
            f"constraint: Member must {constraint}",
        )

    def role_known(context, name):
        from moto.iam.models import iam_backends

        try:
            role = iam_backends[context.account_id][context.partition].get_role(name)
        except Exception:  # noqa: BLE001 - moto's NotFound: no such role
            return False
        return _trusts_ssm(getattr(role, "assume_role_policy_document", None))

    def public(a):
        out = {k: v for k, v in a.items() if not k.startswith("_")}
        out["Expired"] = _now() >= a["ExpirationDate"]
        out["Tags"] = [dict(t) for t in a["Tags"]]
        return out

    @handler("CreateActivation", expand=False)
    def create_activation(self, context, request):
        role = request.get("IamRole")
        if role is None:
            invalid("null", "iamRole", "not be null")
        if len(role) > 64:
            invalid(role, "iamRole", "have length less than or equal to 64")
        if not _ROLE_NAME.match(role):
            invalid(role, "iamRole", "satisfy regular expression pattern: ^[\\p{L}\\p{N}+=,.@\\-_]*$")
        description = request.get("Description")
        if description is not None and len(description) > 256:
            invalid(description, "description", "have length less than or equal to 256")
        name = request.get("DefaultInstanceName")
        if name is not None and len(name) > 256:
            invalid(name, "defaultInstanceName", "have length less than or equal to 256")
        limit = request.get("RegistrationLimit")
        if limit is None:
            limit = 1
        elif limit < 1:
            invalid(limit, "registrationLimit", "have value greater than or equal to 1")
        elif limit > 1000:
            invalid(limit, "registrationLimit", "have value less than or equal to 1000")
        now = _now()
        expires = request.get("ExpirationDate")
        if expires is None:
            expires = now + datetime.timedelta(hours=24)
        else:
            expires = _as_utc(expires)
            if expires <= now:
                fail("ValidationException", "ExpirationDate must be a date in the future")
            if expires > now + datetime.timedelta(days=30):
                fail("ValidationException", "ExpirationDate must be within 30 days from now")
        tags = request.get("Tags") or []
        if len(tags) > 1000:
            invalid("[...]", "tags", "have length less than or equal to 1000")
        for t in tags:
            key, value = t.get("Key") or "", t.get("Value") or ""
            if not 1 <= len(key) <= 128:
                invalid(key, "tags.member.key", "have length between 1 and 128")
            if len(value) > 256:
                invalid(value, "tags.member.value", "have length less than or equal to 256")
        if not role_known(context, role):
            arn = f"arn:{context.partition}:iam::{context.account_id}:role/{role}"
            fail(
                "ValidationException",
                f"Nonexistent role or missing ssm service principal in trust policy: {arn}",
            )
        activation_id = str(uuid.uuid4())
        code = "".join(secrets.choice(_CODE_CHARS) for _ in range(20))
        a = {
            "ActivationId": activation_id,
            "IamRole": role,
            "RegistrationLimit": limit,
            "RegistrationsCount": 0,
            "ExpirationDate": expires,
            "CreatedDate": now,
            "Tags": [{"Key": t["Key"], "Value": t.get("Value") or ""} for t in tags],
        }
        if description is not None:
            a["Description"] = description
        if name is not None:
            a["DefaultInstanceName"] = name
        with _lock:
            _mine(context)[activation_id] = a
        return {"ActivationId": activation_id, "ActivationCode": code}

    @handler("DescribeActivations", expand=False)
    def describe_activations(self, context, request):
        filters = request.get("Filters") or []
        for f in filters:
            key = f.get("FilterKey")
            if key not in _FILTER_KEYS:
                invalid(key, "filters.member.filterKey", f"satisfy enum value set: [{', '.join(_FILTER_KEYS)}]")
        size = request.get("MaxResults")
        if size is None:
            size = 50
        elif not 1 <= size <= 50:
            invalid(size, "maxResults", "have value between 1 and 50")
        with _lock:
            items = list(_mine(context).values())
        for f in filters:
            field = _FILTER_FIELDS[f["FilterKey"]]
            values = set(f.get("FilterValues") or [])
            items = [a for a in items if a.get(field) in values]
        token = request.get("NextToken")
        start = 0
        if token is not None:
            m = re.fullmatch(r"act-page-(\d+)", token)
            if not m:
                fail("InvalidNextToken", "The specified token isn't valid.")
            start = int(m.group(1))
        page = items[start : start + size]
        out = {"ActivationList": [public(a) for a in page]}
        if start + size < len(items):
            out["NextToken"] = f"act-page-{start + size}"
        return out

    @handler("DeleteActivation", expand=False)
    def delete_activation(self, context, request):
        activation_id = request.get("ActivationId")
        if not _is_uuid(activation_id or ""):
            fail(
                "InvalidActivationId",
                "The activation ID isn't valid. Verify that you entered the correct ActivationId or ActivationCode and try again.",
            )
        with _lock:
            if _mine(context).pop(activation_id, None) is None:
                fail(
                    "InvalidActivation",
                    "The activation isn't valid. The activation might have been deleted, or the ActivationId and the ActivationCode don't match.",
                )
        return {}

    # the dispatch table resolves each handler by its function's name
    SsmProvider.create_activation = create_activation
    SsmProvider.describe_activations = describe_activations
    SsmProvider.delete_activation = delete_activation
