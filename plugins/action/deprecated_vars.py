# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""deprecated_vars: the deprecated variable names a play's hosts set, as Ansible's own deprecation warnings.

It runs on the controller only (no connection is opened, nothing is sent to a host) and reads each
host's variables raw, as names: no value is templated or returned.
"""

from collections.abc import Mapping

from ansible.plugins.action import ActionBase

from ansible_collections.datafabric.crosscluster.plugins.module_utils._deprecated_vars import deprecations, set_for

ARGUMENT_SPEC = dict(
    renamed=dict(type="dict", required=True),
    hosts=dict(type="list", elements="str", required=True),
)


def _names_of(hostvars):
    """A host's variables before templating (``raw_get``), looked at only for their names."""
    def names(host):
        found = hostvars.raw_get(host) if hostvars is not None else None
        # A host not in the inventory comes back as an undefined marker: it sets nothing.
        return found if isinstance(found, Mapping) else ()
    return names


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    # Nothing runs on a host: this starts no persistent connection either (the other connections
    # only ever connect when a command is sent, and none is).
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        found = set_for(args["renamed"], args["hosts"], _names_of((task_vars or {}).get("hostvars")))
        result.update(changed=False, names=sorted(found))
        if found:
            # The standard key: Ansible's callback prints each entry as a [DEPRECATION WARNING].
            result["deprecations"] = deprecations(args["renamed"], found)
        return result
