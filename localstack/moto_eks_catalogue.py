"""The EKS catalogue operations moto 5.2.5 lacks, answered from a small fixed catalogue.

- DescribeAddonVersions    GET /addons/supported-versions[?addonName=&kubernetesVersion=]
- DescribeClusterVersions  GET /cluster-versions[?clusterType=&versionStatus=&defaultOnly=
                               &includeAll=&clusterVersions=]

The shapes are EKS's (AddonInfo with addonVersions and their compatibilities;
ClusterVersionInformation); the content is fixed and small: four Kubernetes versions and
four add-ons, enough for `aws_eks_addon_version` and `aws_eks_cluster_versions`. Newest
first, as EKS answers. Imported by moto_eks_updates.py, which registers the routes.
"""

from moto.core.responses import ActionResult

# version, status, default, release date, end of standard support, end of extended support,
# patch version
CLUSTER_VERSIONS = [
    ("1.33", "STANDARD_SUPPORT", False, "2025-05-28", "2026-07-28", "2027-07-28", "1.33.5"),
    ("1.32", "STANDARD_SUPPORT", True, "2025-01-22", "2026-03-22", "2027-03-22", "1.32.9"),
    ("1.31", "STANDARD_SUPPORT", False, "2024-09-25", "2025-11-25", "2026-11-25", "1.31.13"),
    ("1.30", "EXTENDED_SUPPORT", False, "2024-05-23", "2025-07-23", "2026-07-23", "1.30.14"),
]

# add-on -> [(version, the Kubernetes minors it runs on, the minors it is the default for)]
ADDONS = {
    "vpc-cni": [
        ("v1.20.1-eksbuild.3", ["1.33", "1.32", "1.31", "1.30"], ["1.33"]),
        ("v1.19.6-eksbuild.1", ["1.33", "1.32", "1.31", "1.30"], ["1.32", "1.31", "1.30"]),
    ],
    "coredns": [
        ("v1.12.1-eksbuild.2", ["1.33"], ["1.33"]),
        ("v1.11.4-eksbuild.14", ["1.32", "1.31"], ["1.32", "1.31"]),
        ("v1.11.1-eksbuild.9", ["1.30"], ["1.30"]),
    ],
    "kube-proxy": [
        (f"v{patch}-eksbuild.2", [minor], [minor])
        for minor, _, _, _, _, _, patch in CLUSTER_VERSIONS
    ],
    "eks-pod-identity-agent": [
        ("v1.3.8-eksbuild.2", ["1.33", "1.32", "1.31", "1.30"], ["1.33", "1.32", "1.31", "1.30"]),
    ],
}


def _flag(value):
    return str(value).lower() == "true" if value is not None else False


def _version_json(version, minors, defaults):
    return {
        "addonVersion": version,
        "architecture": ["amd64", "arm64"],
        "computeTypes": ["ec2"],
        "compatibilities": [
            {"clusterVersion": m, "platformVersions": ["*"], "defaultVersion": m in defaults}
            for m in minors
        ],
        "requiresConfiguration": False,
        "requiresIamPermissions": False,
    }


def describe_addon_versions(self):
    name = self._get_param("addonName")
    k8s = self._get_param("kubernetesVersion")
    addons = []
    for addon, versions in ADDONS.items():
        if name and name != addon:
            continue
        found = [
            _version_json(v, minors, defaults)
            for v, minors, defaults in versions
            if not k8s or k8s in minors
        ]
        if found:
            addons.append({
                "addonName": addon,
                "type": "networking",
                "addonVersions": found,
                "publisher": "eks",
                "owner": "aws",
                "marketplaceInformation": {},
            })
    return ActionResult({"addons": addons})


def describe_cluster_versions(self):
    cluster_type = self._get_param("clusterType") or "eks"
    status = self._get_param("versionStatus")
    default_only = _flag(self._get_param("defaultOnly"))
    include_all = _flag(self._get_param("includeAll"))
    wanted = self._get_param("clusterVersions") or []
    if isinstance(wanted, str):
        wanted = [wanted]
    out = []
    for minor, vstatus, default, released, std_end, ext_end, patch in CLUSTER_VERSIONS:
        if status and status != vstatus:
            continue
        if default_only and not default:
            continue
        if wanted and minor not in wanted:
            continue
        if not include_all and not status and vstatus not in ("STANDARD_SUPPORT", "EXTENDED_SUPPORT"):
            continue
        out.append({
            "clusterVersion": minor,
            "clusterType": cluster_type,
            "defaultPlatformVersion": "eks.1",
            "defaultVersion": default,
            "releaseDate": f"{released}T00:00:00Z",
            "endOfStandardSupportDate": f"{std_end}T00:00:00Z",
            "endOfExtendedSupportDate": f"{ext_end}T00:00:00Z",
            "status": vstatus,
            "versionStatus": vstatus,
            "kubernetesPatchVersion": patch,
        })
    return ActionResult({"clusterVersions": out})
