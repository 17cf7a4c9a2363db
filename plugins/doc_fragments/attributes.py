# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""How the modules of this collection support check mode, diff mode and platforms.

Used with ansible.builtin.action_common_attributes, which describes each attribute; a module's own
``attributes`` entry adds ``details`` where it behaves in its own way.
"""


class ModuleDocFragment:
    # A module that changes files on the node: both modes in full.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
"""

    # A module that only reads.
    READ_ONLY = r"""
options: {}
attributes:
  check_mode:
    support: full
    details: Read-only; it behaves the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

    # The action plugins that do the work on the controller (with ansible.builtin.action_common_attributes.flow).
    ACTION = r"""
options: {}
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
"""
