"""The Ansible inventory the lab writes for its clusters (YAML)."""

from __future__ import annotations

import yaml

from .node.mapr_node import PROVIDER_CLASS

SSH_ARGS = ("-o ControlMaster=auto -o ControlPersist=30s -o UserKnownHostsFile=/dev/null "
            "-o StrictHostKeyChecking=no")


def build(lab) -> dict:
    common = {"lab_mode": lab.mode, "lab_dir": lab.dir}
    if lab.mode == "local":
        common.update(ansible_connection="local",
                      # As on ssh-mode nodes and in a real inventory: secrets travel on stdin only.
                      ansible_pipelining=True,
                      ansible_python_interpreter="{{ ansible_playbook_python }}",
                      # Local-mode nodes share this machine's user database, which has neither
                      # the owner nor the cross-cluster user (so their files are not the owner's
                      # either); ssh-mode nodes have their own.
                      preflight_check_users=False, preflight_check_owners=False)
    else:
        common.update(
            ansible_user="root",
            ansible_private_key_file=lab.ssh_key,
            ansible_python_interpreter=lab.NODE_PYTHON,
            ansible_ssh_pipelining=True,
            ansible_host_key_checking=False,
            ansible_ssh_args=SSH_ARGS,
            # Under the lab's own dir, so `down` can find and end the ssh masters it caused.
            ansible_control_path_dir=lab.control_path_dir,
            mapr_home="/opt/mapr",
        )
    if lab.fips:
        # The stand-in provider jar (Debian's bcprov) has another class than the bc-fips jar's.
        common["crosscluster_fips_provider_class"] = PROVIDER_CLASS
    groups = {}
    for cluster in lab.clusters:
        hostvars = {}
        for name in cluster.hosts:
            host = lab.hosts[name]
            if lab.mode == "local":
                hostvars[name] = {"mapr_home": lab.mapr_home(name)}
            else:
                hostvars[name] = {"ansible_host": host.address}
        groups[cluster.group] = {
            "vars": {
                "mapr_cluster_name": cluster.name,
                "mapr_truststore_password": cluster.store_password,
                # Per cluster, as in a real inventory: owners may differ between clusters.
                "mapr_cluster_owner": lab.OWNER,
                "mapr_cluster_group": lab.OWNER_GROUP,
                "mapr_owner_password": cluster.owner_password,
                "mapr_crosscluster_user": lab.XCS_USER,
                "mapr_crosscluster_password": cluster.xcs_password,
                # The user the checks log in to this cluster as from its peers' nodes: not the owner.
                "mapr_check_user": lab.CHECK_USER,
                "mapr_check_password": cluster.check_password,
            },
            "hosts": hostvars,
            "children": {cluster.cldb_group: {"hosts": {h: None for h in cluster.cldb_hosts}}},
        }
    return {"all": {"children": {"mapr_clusters": {"vars": common, "children": groups}}}}


def dump(inventory: dict) -> str:
    header = "# Written by tests/lab (datafabric.crosscluster test lab); removed by `lab.py down`.\n"
    return header + yaml.safe_dump(inventory, sort_keys=False, default_flow_style=False)
